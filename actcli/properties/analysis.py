"""The shared state of one activation's analysis: its pieces, compiled numeric functions,
sampled values, and the limits at +-oo and at breakpoints that every entry starts from.

Nothing here takes a limit of a whole Piecewise (SymPy ignores the direction there): values at
breakpoints are those of the branch active on each side, limits at -oo/+oo those of the branch
active on that far side.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import sympy

from actcli.activation import Activation
from actcli.budget import Budget, bounded
from actcli.expr import X
from actcli.functions import to_elementary
from actcli.pieces import active_branch_at, intervals, to_piecewise
from actcli.properties.values import Piece, Value, is_real_number, to_float

WINDOW = 60.0  # dense numeric search on [-WINDOW, WINDOW]
TAIL = 1e6  # geometric samples out to +-TAIL
GRID_STEP = 0.01
LIMIT_OPS = 40
LIMIT_SECONDS = 0.6
BUDGET_SECONDS = 6.0  # all SymPy work for one activation


class Analysis:
    """What every `properties` entry shares: pieces, samples, numeric functions and limits
    (computed once per activation, limits cached)."""

    def __init__(self, activation: Activation) -> None:

        self.activation = activation
        self.budget = Budget(BUDGET_SECONDS)
        self.definition = to_piecewise(activation.expression)
        self.functions = [activation.function(k) for k in range(3)]
        self.pieces: list[Piece] = []
        for lower, upper, probe in intervals(self.definition, activation):
            branch = active_branch_at(self.definition, activation, probe)
            self.pieces.append(
                Piece(
                    lower,
                    upper,
                    to_float(lower),
                    to_float(upper),
                    probe,
                    branch,
                    to_elementary(branch),
                )
            )
        self.breakpoints = [p.upper for p in self.pieces[:-1]]
        self.point_values = [self.definition.subs(X, b) for b in self.breakpoints]
        for piece in self.pieces:
            piece.samples = _samples(piece.lo, piece.hi)
            piece.values = [self.evaluate(k, piece.samples) for k in range(3)]
        self._limits: dict[tuple[int, int, int], Value] = {}

    def evaluate(self, order: int, x: np.ndarray) -> np.ndarray:
        """f^(order) at x, numerically (overflow and invalid values give inf/nan, silently)."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(self.functions[order](np.asarray(x, dtype=float)), dtype=float)

    def scalar(self, order: int) -> Callable[[float], float]:
        """f^(order) as a float -> float function (for root finding and quadrature)."""
        return lambda x: float(self.evaluate(order, np.array([x]))[0])

    # -- limits and one-sided values

    def far_limit(self, piece: Piece, order: int, direction: int) -> Value:
        """lim f^(order) as x -> direction*oo, of the branch active on that side: SymPy's value
        of the branch at +-oo when that is a number (extended-real arithmetic gives nan for
        every indeterminate form), else `sympy.limit`, else values out to 1e300."""
        key = (id(piece), order, direction)
        if key not in self._limits:
            self._limits[key] = self._far_limit(piece, order, direction)
        return self._limits[key]

    def _far_limit(self, piece: Piece, order: int, direction: int) -> Value:

        g = piece.derivative(order)
        side = sympy.oo if direction > 0 else -sympy.oo
        if not g.has(X):
            return Value(to_float(g), g, False, rank=3)
        numeric = self._numeric_limit(order, direction)
        substituted = bounded(lambda: g.subs(X, side), LIMIT_SECONDS, self.budget)
        if is_real_number(substituted) and _consistent_limit(to_float(substituted), numeric):
            return Value(to_float(substituted), substituted, False, rank=3)
        if sympy.count_ops(g) <= LIMIT_OPS:
            limit = bounded(lambda: sympy.limit(g, X, side), LIMIT_SECONDS, self.budget)
            if is_real_number(limit) and _consistent_limit(to_float(limit), numeric):
                return Value(to_float(limit), limit, False, rank=3)
        return Value(numeric, None, False, rank=3)

    def _numeric_limit(self, order: int, direction: int) -> float:
        """f^(order)(x) for x -> direction*oo, from values at 10, 100, ..., 1e300 (up to the
        largest x where the numeric function gives a number): the value they settle on, +-inf
        for steady growth, nan when they oscillate or creep (no numeric verdict)."""
        x = direction * 10.0 ** np.arange(1, 301)
        values = self.evaluate(order, x)
        defined = values[~np.isnan(values)]
        if defined.size == 0:
            return math.nan
        last = float(defined[-1])
        if math.isinf(last) or abs(last) > 1e12:
            return math.copysign(math.inf, last)
        tail = defined[-6:]
        if np.all(np.abs(tail - last) <= 1e-9 * max(1.0, abs(last))):
            return last
        steps = np.diff(tail)
        steady = abs(steps[-1]) >= 0.5 * abs(steps[0]) if steps.size else False
        if steady and (np.all(steps > 0) or np.all(steps < 0)):
            return math.copysign(math.inf, float(steps[-1]))  # growing like log(x)
        return math.nan

    def end_value(self, piece: Piece, order: int, at_lower: bool) -> Value:
        """The one-sided limit of f^(order) at a piece's finite end (the branch's value)."""

        point = piece.lower if at_lower else piece.upper
        g = piece.derivative(order)
        value = g.subs(X, point)
        if not is_real_number(value) or value in (sympy.oo, -sympy.oo):
            direction = "+" if at_lower else "-"
            value = bounded(lambda: sympy.limit(g, X, point, direction), 1.0, self.budget)
        if is_real_number(value):
            return Value(to_float(value), value, False, rank=2)
        x = to_float(point)
        inside = x + (1 if at_lower else -1) * 1e-9 * max(1.0, abs(x))
        return Value(self.scalar(order)(inside), None, False, rank=2)

    def ends(self, piece: Piece, order: int) -> list[Value]:
        """f^(order) approaching the piece's two ends (limits, never attained)."""
        left = (
            self.far_limit(piece, order, -1)
            if math.isinf(piece.lo)
            else self.end_value(piece, order, True)
        )
        right = (
            self.far_limit(piece, order, 1)
            if math.isinf(piece.hi)
            else self.end_value(piece, order, False)
        )
        return [left, right]


def _consistent_limit(symbolic: float, numeric: float) -> bool:
    """A loose cross-check of SymPy's limit against values out to 1e300."""
    if math.isnan(numeric):
        return True
    if math.isinf(symbolic) or math.isinf(numeric):
        return symbolic == numeric or (math.isinf(symbolic) and abs(numeric) > 1e6)
    return abs(symbolic - numeric) <= 1e-3 * max(1.0, abs(symbolic))


def _samples(lo: float, hi: float) -> np.ndarray:
    """Points strictly inside (lo, hi): a dense grid on [-WINDOW, WINDOW], geometric tails to
    +-TAIL, and clusters approaching each finite end."""
    steps_per_unit = round(1 / GRID_STEP)
    count = round(WINDOW * steps_per_unit)
    core = np.arange(-count, count + 1) / steps_per_unit  # 0.0, 0.01, ... exactly as written
    tail = np.geomspace(WINDOW, TAIL, 400)
    parts = [-tail[::-1], core, tail]
    steps = np.geomspace(1e-9, 1e3, 100)
    for end in (lo, hi):
        if math.isfinite(end):
            scale = max(1.0, abs(end))
            parts += [end + steps * scale, end - steps * scale]
    if math.isfinite(lo) and math.isfinite(hi):
        parts.append(np.linspace(lo, hi, 2001))
    elif math.isfinite(lo) and lo >= TAIL:
        parts.append(lo + np.geomspace(1.0, 1e6, 200) * max(1.0, lo))
    elif math.isfinite(hi) and hi <= -TAIL:
        parts.append(hi - np.geomspace(1.0, 1e6, 200) * max(1.0, -hi))
    x = np.unique(np.concatenate(parts))
    margin_lo = lo + 5e-10 * max(1.0, abs(lo)) if math.isfinite(lo) else -math.inf
    margin_hi = hi - 5e-10 * max(1.0, abs(hi)) if math.isfinite(hi) else math.inf
    return x[(x > margin_lo) & (x < margin_hi)]
