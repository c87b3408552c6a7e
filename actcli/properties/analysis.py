"""The shared state of one activation's analysis: its real domain cut into parts
(`actcli.domain.Structure`), compiled float functions for the numeric fallbacks, and the
algebraic forms of each part's derivatives that interval arithmetic encloses.

A derivative is enclosed in several forms (as differentiated, over a common denominator,
factored, with square-root cancellations rationalised): interval arithmetic overestimates each
differently, and a region is decided by any form that decides it; enclosures of all forms are
intersected. Every SymPy rewrite runs within a time budget.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import sympy
from flint import arb

from actcli.activation import Activation
from actcli.budget import Budget, bounded
from actcli.domain import Structure
from actcli.errors import AnalysisError
from actcli.expr import X
from actcli.functions import simplify, to_elementary
from actcli.interval import (
    Enclosure,
    Interval,
    Undefined,
    compile_enclosure,
    greater,
    point_function,
    working_precision,
)
from actcli.properties.values import FLAT_OPS

BUDGET_SECONDS = 20.0  # all SymPy work for one activation
FORM_SECONDS = 1.0
FORM_OPS = 80  # count_ops above which no rewrite is tried
WINDOW = 60.0  # numeric fallback: dense samples on [-WINDOW, WINDOW]
TAIL = 1e6  # ... and geometric samples out to +-TAIL
GRID_STEP = 0.01
POINT_BITS = (120, 600, 3000)  # `tight_point`'s precisions
LIMIT_OPS = 40
LIMIT_SECONDS = 1.0
FLAT_SECONDS = 0.5  # 4x for the rarer simplify of a slope seen to vanish at points


class Analysis:
    """What every `properties` entry shares, computed once per activation."""

    def __init__(self, activation: Activation) -> None:
        self.activation = activation
        self.budget = Budget(BUDGET_SECONDS)
        self.structure = Structure(activation, budget=self.budget)
        self.parts = self.structure.parts
        self.cuts = self.structure.cuts
        self._functions: dict[int, Callable[[np.ndarray], np.ndarray]] = {}
        self._forms: dict[tuple[int, int], list[Enclosure]] = {}
        self.cache: dict[tuple[object, ...], object] = {}  # results shared between entries

    # -- numbers -------------------------------------------------------------------------
    def evaluate(self, order: int, x: np.ndarray) -> np.ndarray:
        """f^(order) in float64 (the compiled stable form), quietly nan where undefined."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(self.function(order)(np.asarray(x, dtype=float)), dtype=float)

    def repaired(self, order: int, x: np.ndarray) -> np.ndarray:
        """`evaluate`, with nan where the floats overflowed (inf*0: erf(cosh(x**3))' beyond
        8.9) replaced by the float of an Arb enclosure of the part's branch, where one is tight
        enough (Arb keeps exponents exact: exp(-exp(1e5)) is 0.0 in microseconds)."""
        values = self.evaluate(order, x)
        for index in np.nonzero(np.isnan(values) & np.isfinite(x))[0]:
            point = float(x[index])
            for part_index, part in enumerate(self.parts):
                if part.defined and part.contains(point):
                    found = self._point_function(part_index, order)(point)
                    values[index] = math.nan if found is None else found
        return values

    def _point_function(self, part_index: int, order: int) -> Callable[[float], float | None]:
        key = ("point function", part_index, order)
        if key not in self.cache:
            try:
                self.cache[key] = point_function(self.parts[part_index].derivative(order))
            except (AnalysisError, Undefined):
                self.cache[key] = lambda x: None
        return self.cache[key]  # type: ignore[return-value]

    def function(self, order: int) -> Callable[[np.ndarray], np.ndarray]:
        """f^(order) compiled on first use (`actcli check` never samples f''): samples and
        quadrature need good floats, not the best, so the rewrites are not measured."""
        if order not in self._functions:
            self._functions[order] = self.activation.function(order, measured=False)
        return self._functions[order]

    def scalar(self, order: int) -> Callable[[float], float]:
        """f^(order) at one point, as a NumPy float (overflow gives inf, never an exception)."""
        return lambda x: self.evaluate(order, np.array([x]))[0]

    def is_flat(self, part_index: int, order: int) -> bool:
        """f^(order) is constant on the part: structurally, or by a bounded simplify of a small
        slope; of a larger one, in exp and log terms, where the slope vanishes at a few points
        (samples only choose where to try: tanh(x) - 2*sigmoid(2*x) is flat by the simplify)."""
        key = ("flat", part_index, order)
        if key not in self.cache:
            part = self.parts[part_index]
            g, slope = part.derivative(order), part.derivative(order + 1)
            flat = not g.has(X) or slope == 0
            ops = sympy.count_ops(slope) if not flat else 0
            if not flat and ops <= FLAT_OPS:
                flat = bool(bounded(lambda: simplify(slope) == 0, FLAT_SECONDS, self.budget))
            if not flat and ops <= LIMIT_OPS and self._vanishes_at_points(part_index, order + 1):
                elementary = to_elementary(slope)
                zero = bounded(lambda: simplify(elementary) == 0, 4 * FLAT_SECONDS, self.budget)
                flat = bool(zero)
            self.cache[key] = flat
        return self.cache[key]  # type: ignore[return-value]

    def _vanishes_at_points(self, part_index: int, order: int) -> bool:
        """f^(order) is 0 to rounding (1e-9) at five points around the part's probe."""
        part = self.parts[part_index]
        x = part.probe + np.array([-1.7, -0.6, 0.0, 0.45, 1.3]) * max(1.0, abs(part.probe))
        values = self.evaluate(order, x[(part.lo < x) & (x < part.hi)])
        return bool(values.size) and bool(np.all(np.abs(values) <= 1e-9))

    # -- enclosures ----------------------------------------------------------------------
    def forms(self, part_index: int, order: int) -> list[Enclosure]:
        """Enclosures of the part's branch's order-th derivative in several algebraic forms."""
        key = (part_index, order)
        if key not in self._forms:
            expression = self.parts[part_index].derivative(order)
            candidates = [expression, *self._rewrites(expression)]
            compiled = []
            for candidate in candidates:
                try:
                    compiled.append(compile_enclosure(candidate))
                except (AnalysisError, TypeError, ValueError):
                    continue
            self._forms[key] = compiled
        return self._forms[key]

    def _rewrites(self, expression: sympy.Expr) -> list[sympy.Expr]:
        if not expression.has(X) or sympy.count_ops(expression) > FORM_OPS:
            return []
        found = []
        rewrites = (
            sympy.together,
            sympy.factor_terms,
            lambda e: rationalise(sympy.together(e)),
            # common factors out: (x**2 - 4)/(x + 2) is x - 2, with no 0/0 beside -2
            lambda e: sympy.cancel(sympy.together(e)),
        )
        for rewrite in rewrites:
            value = bounded(lambda r=rewrite: r(expression), FORM_SECONDS, self.budget)
            if value is not None and value != expression and value not in found:
                found.append(value)
        return found

    def enclose(
        self, part_index: int, order: int, region: Interval, bits: int = 120
    ) -> Interval | None:
        """The intersection of every form's enclosure over region (None if none encloses)."""
        low = high = None
        with working_precision(bits):
            for form in self.forms(part_index, order):
                try:
                    result = form(region)
                except Undefined:
                    continue
                if low is None:
                    low, high = result.lo, result.hi
                    continue
                low = result.lo if greater(result.lo, low) else low
                high = result.hi if greater(high, result.hi) else high
        return None if low is None else Interval(low, high)

    def sign(self, part_index: int, order: int, region: Interval) -> int | None:
        """+1 if f^(order) >= 0 on region, -1 if <= 0 (proven), else None."""
        with working_precision(120):
            for form in self.forms(part_index, order):
                try:
                    sign = form(region).weak_sign()
                except Undefined:
                    continue
                if sign is not None:
                    return 1 if sign >= 0 else -1
        return None

    def point(self, part_index: int, order: int, x: arb) -> Interval | None:
        """An enclosure of f^(order) at one exact point x inside the part."""
        return self.enclose(part_index, order, Interval(x, x))

    def tight_point(self, part_index: int, order: int, x: float) -> Interval | None:
        """`point` at 120, 600 and 3000 bits until the enclosure is within 1e-13 relative
        (cos(cosh(x)) at x = -520 needs 750 bits before the cosine's argument has any);
        the widest one where none is, None where no form encloses f^(order) there."""
        enclosure = None
        for bits in POINT_BITS:
            enclosure = self.enclose(part_index, order, Interval(arb(x), arb(x)), bits)
            if enclosure is None or tight(enclosure):
                return enclosure
        return enclosure


def tight(enclosure: Interval) -> bool:
    """The enclosure pins its value to 1e-13 relative (or absolute, below 1)."""
    return enclosure.high - enclosure.low <= 1e-13 * max(
        1.0, abs(enclosure.low), abs(enclosure.high)
    )


def rationalise(expression: sympy.Expr) -> sympy.Expr:
    """Sums u + c*sqrt(v) whose terms cancel (squareplus' x + sqrt(x**2 + 4) for x < 0)
    written as (u**2 - c**2*v)/(u - c*sqrt(v)): the same function, without the cancellation
    that interval arithmetic (and float64) cannot see through."""

    def conjugate(node: sympy.Expr) -> sympy.Expr:
        if not isinstance(node, sympy.Add):
            return node
        roots = [t for t in node.args if _square_root(t) is not None]
        if len(roots) != 1:
            return node
        term = roots[0]
        rest = node - term
        coefficient, radicand = _square_root(term)
        square, other = sympy.expand(rest**2), sympy.expand(coefficient**2 * radicand)
        numerator = sympy.expand(square - other)
        if sympy.count_ops(numerator) >= sympy.count_ops(square) + sympy.count_ops(other):
            return node  # nothing cancels: the conjugate form would only be longer
        return numerator / (rest - term)

    return expression.replace(lambda node: isinstance(node, sympy.Add), conjugate)


def _square_root(term: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """(c, v) when term is c*sqrt(v) with v depending on x, else None."""
    coefficient, factors = sympy.S.One, []
    for factor in sympy.Mul.make_args(term):
        if isinstance(factor, sympy.Pow) and factor.exp == sympy.Rational(1, 2):
            factors.append(factor.base)
        else:
            coefficient *= factor
    if len(factors) != 1 or not factors[0].has(X):
        return None
    return coefficient, factors[0]
