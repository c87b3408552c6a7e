"""An activation on its real domain: the open parts between cut points, and what happens at each
cut point.

Cut points are the breakpoints of the (Piecewise-rewritten) definition, and the points where a
branch stops being analytic or real: zeros of denominators (poles), of log arguments, and of
the bases of real powers (sqrt(x) ends at 0). Between two cut points one branch is active and
analytic; it is real on the whole part or on none of it (its real domain ends only at cut
points), so a probe decides which. At a cut point the function has a value (the definition
evaluated there, which may be undefined, as 1/x at 0) and one-sided limits of every derivative,
taken from the branch active on each side: its value when it is analytic there, else
`sympy.limit` from that side (within a time budget), which may be a number, +-oo, an
oscillation (AccumBounds) or unknown.

Everything is exact where SymPy finds it; a cut point that only a numeric root search finds is
a SymPy Float (`Cut.found == "numeric"`), and an expression whose zeros cannot be isolated
(sin(1/x) vanishes infinitely often near 0) is refused with an AnalysisError naming it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import mpmath
import numpy as np
import sympy

from actcli.budget import Budget, bounded
from actcli.compiler import compile_scalar
from actcli.deferred import scipy_optimize
from actcli.errors import AnalysisError
from actcli.expr import X
from actcli.functions import (
    beyond_solvers,
    expm1,
    log1p,
    sigmoid,
    simplify,
    softplus,
    to_elementary,
)
from actcli.interval import ball_number, constant_value, taylor_coefficients
from actcli.options import MAX_DERIVATIVE_ORDER
from actcli.pieces import (
    Bound,
    active_branch_at,
    intervals,
    probe_between,
    refined_float,
    refined_zero,
    to_piecewise,
)
from actcli.proofs import is_zero
from actcli.rewrites import rewrite

SOLVE_SECONDS = 2.0
LIMIT_SECONDS = 1.0
SCAN_WINDOW = 1e3  # a numeric search for zeros covers [-SCAN_WINDOW, SCAN_WINDOW]
SCAN_POINTS = 200001
MAX_CUTS = 200
SIDE_DIGITS = 250  # one-sided limits at a numeric zero: f within 1e-45 of it


@dataclass(frozen=True)
class Limit:
    """A one-sided limit: an exact value, +-oo, an oscillation between `low` and `high`, or
    unknown (`kind` says which)."""

    kind: str  # "value" | "oo" | "-oo" | "oscillates" | "unknown"
    value: Any = None  # SymPy number for "value"
    low: Any = None  # for "oscillates": the AccumBounds ends
    high: Any = None

    @property
    def finite(self) -> bool:
        return self.kind == "value"

    def number(self) -> float:
        """As a float: +-inf for infinite limits, nan when there is no single value."""
        if self.kind == "value":
            return to_float(self.value)
        return {"oo": math.inf, "-oo": -math.inf}.get(self.kind, math.nan)

    def text(self) -> str:
        if self.kind == "value":
            return sympy.sstr(self.value)
        if self.kind == "oscillates":
            return f"oscillates in [{sympy.sstr(self.low)}, {sympy.sstr(self.high)}]"
        return {"oo": "oo", "-oo": "-oo"}.get(self.kind, "unknown")


@dataclass
class Part:
    """An open interval (lower, upper) between cut points, and the branch active on it."""

    lower: Any  # SymPy: -oo, a number
    upper: Any
    lo: float
    hi: float
    probe: float
    branch: Any  # as written (actcli's sigmoid/softplus kept)
    defined: bool  # the branch is real on the part
    _derivatives: list[Any] = field(default_factory=list)

    def derivative(self, order: int) -> Any:
        """d^order branch / dx^order (cached)."""
        if not self._derivatives:
            self._derivatives.append(self.branch)
        while len(self._derivatives) <= order:
            self._derivatives.append(sympy.diff(self._derivatives[-1], X))
        return self._derivatives[order]

    def contains(self, x: float) -> bool:
        return self.lo < x < self.hi


@dataclass(frozen=True)
class Cut:
    """A point where the definition switches branches, or a branch is singular or ends."""

    x: Any  # exact (SymPy), or a Float when found numerically
    kinds: frozenset[str]  # breakpoint, singularity (pole, log), domain (end of a real power)
    value: Any  # f(x) exactly, or None where f is undefined there

    @property
    def found(self) -> str:
        return "numeric" if isinstance(self.x, sympy.Float) else "symbolic"

    @property
    def removable(self) -> bool:
        """f is undefined here as written; `value` is the limit (its continuous extension)."""
        return "removable" in self.kinds

    @property
    def location(self) -> float:
        return to_float(self.x)

    @property
    def kind(self) -> str:
        for kind in ("breakpoint", "singularity", "domain"):
            if kind in self.kinds:
                return kind
        return "breakpoint"


class Structure:
    """The parts and cut points of an activation with every parameter at its value."""

    def __init__(self, activation: Bound, expression: Any = None, budget: Budget | None = None):
        self.activation = activation
        self.budget = budget or Budget(30.0)
        self.written = activation.expression if expression is None else expression
        self.definition = to_piecewise(self.written)
        self.parts: list[Part] = []
        self.cuts: list[Cut] = []
        self._limits: dict[tuple[int, int, str], Limit] = {}
        self._build()

    # -- building ----------------------------------------------------------------------
    def _build(self) -> None:
        points: dict[float, tuple[Any, set[str]]] = {}
        branches = []
        pieces = intervals(self.definition, self.activation)
        if len(pieces) - 1 > MAX_CUTS:  # before the work, which grows as their square
            raise AnalysisError(f"more than {MAX_CUTS} cut points (breakpoints, poles)")
        for lower, upper, probe in pieces:
            branch = active_branch_at(self.definition, self.activation, probe)
            branches.append((lower, upper, branch))
            for value in (lower, upper):
                if value not in (-sympy.oo, sympy.oo):
                    points.setdefault(round(to_float(value), 12), (value, set()))[1].add(
                        "breakpoint"
                    )
        for lower, upper, branch in branches:
            for point, kind in self._singular_points(branch, lower, upper):
                entry = points.setdefault(round(to_float(point), 12), (point, set()))
                entry[1].add(kind)
        if len(points) > MAX_CUTS:
            raise AnalysisError(f"more than {MAX_CUTS} cut points (breakpoints, poles)")
        ordered = [points[key] for key in sorted(points)]
        edges = [-sympy.oo, *(point for point, _ in ordered), sympy.oo]
        for lower, upper in zip(edges, edges[1:], strict=False):
            probe = probe_between(lower, upper, self.activation)
            branch = active_branch_at(self.definition, self.activation, probe)
            low, high = to_float(lower), to_float(upper)
            real = _real_at(branch, probe) and _real_at(branch, _second_probe(low, high, probe))
            self.parts.append(Part(lower, upper, low, high, probe, branch, real))
        for point, kinds in ordered:
            self.cuts.append(Cut(point, frozenset(kinds), self._value_at(point)))
        for index, cut in enumerate(self.cuts):
            if cut.value is None:
                self.cuts[index] = self._extended(index, cut)

    def _extended(self, index: int, cut: Cut) -> Cut:
        """A removable singularity (sin(x)/x at 0: f undefined, both one-sided limits finite
        and equal) takes the limit as its value: actcli judges, evaluates and draws the
        continuous extension, and says so (`Cut.removable`)."""
        left, right = self.parts[index], self.parts[index + 1]
        if cut.found == "numeric" and left.defined != right.defined:
            # the real domain ends at a numerically located zero: f there is the one-sided limit
            # (sqrt(x - cos(x)) is 0 at the Dottie number), when that is finite
            inside = self.cut_sides(index, 0)[0 if left.defined else 1]
            return Cut(cut.x, cut.kinds, inside.value) if inside.finite else cut
        if not (left.defined and right.defined):
            return cut
        below, above = self.cut_sides(index, 0)
        if below.finite and above.finite and _equal(below.value, above.value):
            return Cut(cut.x, cut.kinds | {"removable"}, below.value)
        return cut

    def _value_at(self, point: Any) -> Any:
        """f(point) from the definition itself (its conditions decide), or None if undefined
        (also at a numerically located pole, log singularity or end of the real domain, whose
        float stands for a point where f may be undefined: `_extended` decides there)."""
        if isinstance(point, sympy.Float) and _singular_at(self.definition, point):
            return None
        if self._pole_at(point):
            return None
        value = bounded(lambda: self.definition.subs(X, point), LIMIT_SECONDS, self.budget)
        if value is not None and value.has(sympy.Piecewise):  # conditions SymPy left open
            value = _decided_piecewise(value)
        if value is None or not _is_real_number(value):
            return None
        if self.written is not self.definition and self._undefined_as_written(point):
            return None
        return _simple(value, self.budget)

    def _pole_at(self, point: Any) -> bool:
        """A pole of the (one-branch) definition at the exact point, which SymPy's value can
        hide: (1 + 1/x)**x at 0 is zoo**0 = 1 to SymPy, and f is undefined there."""
        if self.definition.has(sympy.Piecewise):
            return False  # the pole may lie in a branch not active at the point
        return any(
            kind == "singularity" and argument.subs(X, point) == 0
            for argument, kind in _singular_arguments(self.definition)
        )

    def _undefined_as_written(self, point: Any) -> bool:
        """0/0 or c/0 in the expression as written, where folding it into one Piecewise
        cancelled the division (x/abs(x) is 1 on x >= 0 once folded, but undefined at 0)."""
        value = bounded(lambda: self.written.subs(X, point), LIMIT_SECONDS, self.budget)
        return value is not None and value.has(sympy.nan, sympy.zoo)

    def _singular_points(self, branch: Any, lower: Any, upper: Any) -> list[tuple[Any, str]]:
        """(x, kind) where the branch has a pole or a log singularity, or its real domain ends,
        strictly inside (lower, upper)."""
        found = []
        for argument, kind in _singular_arguments(branch):
            for root in self._zeros(argument, lower, upper):
                found.append((root, kind))
        return found

    def _zeros(self, expression: Any, lower: Any, upper: Any) -> list[Any]:
        """Real zeros of an expression in x strictly inside (lower, upper): exact from SymPy's
        solveset (actcli's sigmoid and softplus written out, which it can invert), else located
        numerically on [-1e3, 1e3] (then SymPy Floats)."""
        region = sympy.Interval.open(lower, upper)
        elementary = to_elementary(expression)
        solved = None
        if not beyond_solvers(elementary, X):
            solved = bounded(
                lambda: sympy.solveset(elementary, X, region), SOLVE_SECONDS, self.budget
            )
        if isinstance(solved, sympy.FiniteSet):
            roots = [r for r in solved if _is_real_number(r)]
            if len(roots) == len(solved):
                return sorted(roots, key=to_float)
        if solved is sympy.S.EmptySet:
            return []
        if solved is not None:
            self._refuse_accumulating(expression, solved, lower, upper)
        return _numeric_zeros(expression, to_float(lower), to_float(upper))

    def _refuse_accumulating(self, expression: Any, solved: Any, lower: Any, upper: Any) -> None:
        """Refuse a part in which infinitely many zeros lie: an image {g(n) : n integer} in
        SymPy's solution whose limit as n -> +-oo is a point of the part or an infinite end of
        it, and whose far terms (n = +-10**6, +-10**9) lie inside. cos(1/x) vanishes at
        1/(2 pi n + pi/2), which accumulate at 0, and cos(x/1000) at 1000 (2 pi n + pi/2), too
        far apart for the numeric search on [-1e3, 1e3] to see any: no finite list of cut points
        describes either."""
        lo, hi = to_float(lower), to_float(upper)
        for image in solved.atoms(sympy.ImageSet):
            (n,) = image.lamda.variables
            term, integers = image.lamda.expr, image.base_sets[0]
            for sign in (1, -1):
                if integers.contains(sign * 10**6) is not sympy.true:
                    continue
                end = sign * sympy.oo
                point = bounded(partial(sympy.limit, term, n, end), 1.0, self.budget)
                if point is None or not (point.is_extended_real and lo <= to_float(point) <= hi):
                    continue
                far = [to_float(term.subs(n, sign * 10**k)) for k in (6, 9)]
                if all(lo < value < hi for value in far):
                    where = f"as x -> {point}" if point.is_infinite else f"near x = {point}"
                    raise AnalysisError(
                        f"{sympy.sstr(expression)} vanishes infinitely often {where}: no finite "
                        "list of cut points describes it"
                    )

    # -- limits ------------------------------------------------------------------------
    def limit(self, part_index: int, order: int, end: str) -> Limit:
        """The limit of f^(order) at the `end` ("lower" or "upper") of a part, from inside;
        unknown, without asking SymPy, on a part where f is not real (its limits are of no use,
        and SymPy spent seconds on each: 8 of the 11 s of `smoothness` on log1p(-softplus(x)))."""
        key = (part_index, order, end)
        if key not in self._limits:
            part = self.parts[part_index]
            if not part.defined:
                return Limit("unknown")
            point = part.lower if end == "lower" else part.upper
            self._limits[key] = side_limit(
                part.derivative(order),
                point,
                "+" if end == "lower" else "-",
                self.budget,
                derivative_of=(part.branch, order),
            )
        return self._limits[key]

    def cut_sides(self, cut_index: int, order: int) -> tuple[Limit, Limit]:
        """The left and right limits of f^(order) at cut point `cut_index`."""
        return self.limit(cut_index, order, "upper"), self.limit(cut_index + 1, order, "lower")

    def mp_function(self, part_index: int, order: int = 0) -> Callable[[Any], Any]:
        """f^(order) on a part as an mpmath function of x (for checks at high precision)."""
        expression = to_elementary(self.parts[part_index].derivative(order))
        return sympy.lambdify(X, expression, modules="mpmath")


def side_limit(
    expression: Any,
    point: Any,
    direction: str,
    budget: Budget,
    *,
    derivative_of: tuple[Any, int] | None = None,
) -> Limit:
    """lim expression as x -> point from `direction` ("+" above, "-" below; point may be
    +-oo): the value when the expression is continuous there, else by the exact rules below,
    else from the Taylor series there (`series_derivative`; of f, for an expression that is
    the k-th derivative of f, `derivative_of` = (f, k)), else sympy.limit."""
    value = bounded(lambda: expression.subs(X, point), LIMIT_SECONDS, budget)
    if point in (sympy.oo, -sympy.oo):
        # SymPy's extended-real arithmetic gives nan for every indeterminate form, so a number
        # (or +-oo) here is the limit: each operation is continuous where it is determinate
        if value in (sympy.oo, -sympy.oo):
            return Limit("oo" if value == sympy.oo else "-oo")
        if value is not None and _is_real_number(value):
            return Limit("value", _simple(value, budget))
        rest = _without_vanishing_terms(expression, point)
        if rest is not None:  # the limit of what is left, a smaller expression
            return side_limit(rest, point, direction, budget)
    elif (
        isinstance(point, sympy.Float) and (root := _vanishing_root(expression, point)) is not None
    ):
        return _numeric_side_limit(expression, root, direction)
    elif value is not None and _is_real_number(value) and not _singular_at(expression, point):
        return Limit("value", _simple(value, budget))
    elif derivative_of is not None and (
        puiseux := _one_sided_series_limit(*derivative_of, point, direction, budget)
    ):
        return puiseux
    elif (by_parts := _limit_by_parts(expression, point, direction, budget)) is not None:
        return by_parts
    elif (through := _limit_through(expression, point, direction, budget)) is not None:
        return through
    elif (at_end := _limit_at_an_end(expression, point, direction, budget)) is not None:
        return at_end
    elif (removable := _removable_limit(expression, point, budget)) is not None:
        return removable
    elif (series := series_derivative(*(derivative_of or (expression, 0)), point)) is not None:
        return series  # exact where a rule above found it, else from the ball; SymPy's last
    elementary = to_elementary(expression)
    found = bounded(lambda: sympy.limit(elementary, X, point, direction), 2 * LIMIT_SECONDS, budget)
    if (found is None or found.has(sympy.Limit)) and elementary.has(sympy.erfc):
        # SymPy's limit knows erf's ends, not erfc's at -oo (erfc(x) there was unknown)
        rewritten = elementary.rewrite(sympy.erf)
        found = bounded(
            lambda: sympy.limit(rewritten, X, point, direction), 2 * LIMIT_SECONDS, budget
        )
    return _as_limit(found)


def two_sided_limit(
    expression: Any, point: Any, budget: Budget, *, derivative_of: tuple[Any, int] | None = None
) -> Limit:
    """lim expression as x -> point (finite), where both one-sided limits are the same number
    (see `side_limit`); else unknown."""
    limits = (side_limit(expression, point, s, budget, derivative_of=derivative_of) for s in "-+")
    left, right = limits
    if left.kind == right.kind == "value" and _equal(left.value, right.value):
        return left
    return Limit("unknown")


def _one_sided_series_limit(
    function: Any, order: int, point: Any, direction: str, budget: Budget
) -> Limit | None:
    """lim f^(order) at a finite exact point from one side, from SymPy's series of f in
    h = |x - point| on that side, where it is a sum of c*h**e (e rational, c a real number)
    and its order term is beyond h**order: order! times the coefficient of h**order (signed
    by the side), or +-oo from the lowest power e < order that is not an integer from 0 to
    order - 1 (its order-th derivative blows up). sqrt(1 - exp(-x**2)) is h - h**3/4 + ...
    on either side of 0, so f''' tends to 3/2 from the left, where the derivative's five
    terms tend to +-oo or 0 and neither the rules below nor SymPy's limit settled it in time.
    None where there is no such series (a log(h) term, an essential singularity) in time."""
    function = sympy.sympify(function)
    if point in (sympy.oo, -sympy.oo) or isinstance(point, sympy.Float) or not function.has(X):
        return None
    h = sympy.Dummy("h", positive=True)
    side = 1 if direction == "+" else -1
    shifted = to_elementary(function).subs(X, point + side * h)
    series = bounded(lambda: sympy.series(shifted, h, 0, order + 2), LIMIT_SECONDS, budget)
    if series is None or series.has(sympy.log, sympy.AccumBounds, sympy.zoo, sympy.nan):
        return None
    remainder = series.getO()
    if remainder is not None and (
        remainder.point != (0,) or remainder.expr.as_coeff_exponent(h)[1] <= order
    ):
        return None
    terms: dict[Any, Any] = {}
    for term in sympy.Add.make_args(series.removeO()):
        coefficient, exponent = term.as_coeff_exponent(h)
        if coefficient.has(h) or not exponent.is_Rational or not _is_real_number(coefficient):
            return None
        terms[exponent] = terms.get(exponent, 0) + coefficient
    exploding = [
        e for e, c in terms.items() if c != 0 and e < order and not (e.is_integer and e >= 0)
    ]
    if exploding:
        lowest = min(exploding)
        factor = terms[lowest] * sympy.ff(lowest, order) * side**order
        return Limit("oo" if factor > 0 else "-oo")
    coefficient = terms.get(sympy.Integer(order), sympy.Integer(0))
    return Limit("value", coefficient * math.factorial(order) * side**order)


def _without_vanishing_terms(expression: Any, point: Any) -> Any | None:
    """At +-oo, the expression without its terms that tend to 0 (`_vanishes_at_infinity`);
    None where no term does."""
    terms = sympy.Add.make_args(expression)
    kept = [term for term in terms if not _vanishes_at_infinity(term, point)]
    return None if len(kept) == len(terms) else sympy.Add(*kept)


def _vanishes_at_infinity(term: Any, point: Any) -> bool:
    """At +-oo, a product of rational functions of x (at most polynomial growth), bounded
    functions of real arguments (sigmoid, tanh, erf, erfc, sin, cos, atan) and at least one
    factor that decays
    exponentially tends to 0 (|r(x)| <= C|x|**n, where e**q(x) <= e**(-c|x|)): exp(q) and
    sigmoid(q) with q a polynomial tending to -oo there, erfc(q) with q tending to +oo, and
    1 + tanh(q), 1 - tanh(q)**2, 1 + erf(q) and the like through the exact rewrites
    (2*sigmoid(2q), 4*sigmoid(2q)*sigmoid(-2q), erfc(-q)). gelu_tanh and its f' at -oo and
    oo took SymPy's limit 1-3 s each."""
    decays = False
    for factor in sympy.Mul.make_args(term):
        if not factor.has(X) or factor.is_rational_function(X):
            continue
        try:
            form = rewrite(factor)
        except (TypeError, ValueError, RecursionError, NotImplementedError, AttributeError):
            return False
        for part in sympy.Mul.make_args(form):
            if part.is_Pow and part.exp.is_positive and part.exp.is_number:
                part = part.base  # a positive power of what decays decays, of what is bounded
            if not part.has(X) or part.is_rational_function(X):
                continue
            if _decays(part, point):
                decays = True
            elif not (isinstance(part, _BOUNDED) and _real_on_the_reals(part.args[0])):
                return False
    return decays


def _real_on_the_reals(expression: Any) -> bool:
    """No fractional power, log or inverse function that leaves the reals: cos(x*sqrt(x)) is
    cosh(|x|**1.5) for x < 0, not bounded."""
    return not expression.has(sympy.log, sympy.asin, sympy.acos, sympy.acosh, sympy.atanh) and all(
        power.exp.is_integer for power in expression.atoms(sympy.Pow) if power.base.has(X)
    )


_BOUNDED = (sigmoid, sympy.tanh, sympy.erf, sympy.erfc, sympy.sin, sympy.cos, sympy.atan)


def _decays(factor: Any, point: Any) -> bool:
    """exp(q) or sigmoid(q), q -> -oo, or erfc(q), q -> +oo, q a polynomial in x."""
    if isinstance(factor, sympy.exp | sigmoid):
        argument, sign = factor.args[0], -1
    elif isinstance(factor, sympy.erfc):
        argument, sign = factor.args[0], 1
    else:
        return False
    if not argument.is_polynomial(X):
        return False
    polynomial = sympy.Poly(argument, X)
    degree, leading = polynomial.degree(), polynomial.LC()
    if degree < 1 or not (leading.is_number and leading.is_real):
        return False
    toward = leading * (1 if point == sympy.oo else (-1) ** degree)
    return bool(toward * sign > 0)


def _limit_by_parts(expression: Any, point: Any, direction: str, budget: Budget) -> Limit | None:
    """The limit of a sum or product at a finite point from its terms' or factors' limits,
    where the algebra of limits determines it (no oo - oo, no 0*oo, no oscillation); None
    otherwise. SymPy's limit of the whole can take seconds where each factor takes a
    millisecond: f'' of log1p(-softplus(x)) at log(e - 1) timed out, its two terms did not."""
    if not isinstance(expression, (sympy.Add, sympy.Mul)):
        return None
    limits = [side_limit(arg, point, direction, budget) for arg in expression.args]
    if any(limit.kind not in ("value", "oo", "-oo") for limit in limits):
        return None
    infinite = {limit.kind for limit in limits} - {"value"}
    values = [limit.value for limit in limits if limit.kind == "value"]
    if not infinite:
        combine = sympy.Add if isinstance(expression, sympy.Add) else sympy.Mul
        return Limit("value", _simple(combine(*values), budget))
    if isinstance(expression, sympy.Add):
        return None if len(infinite) > 1 else Limit(infinite.pop())
    signs = [1 if value.is_positive else -1 if value.is_negative else 0 for value in values]
    if 0 in signs:  # 0*oo, or a sign SymPy cannot prove: the nonzero factors taken out
        return _limit_of_the_rest(expression.args, limits, point, direction, budget)
    negative = sum(sign < 0 for sign in signs) + sum(limit.kind == "-oo" for limit in limits)
    return Limit("-oo" if negative % 2 else "oo")


def _limit_of_the_rest(
    factors: tuple[Any, ...], limits: list[Limit], point: Any, direction: str, budget: Budget
) -> Limit | None:
    """lim A*B = lim A * lim B where lim A is a finite nonzero number, whatever B does: the
    factors with such limits times the limit of the product of the rest, taken whole (a 0*oo
    there is a 0/0 for the rules below: exp(x/sin(x))*(sin(x) - x*cos(x))/sin(x)**2 at 0)."""
    nonzero = [
        limit.kind == "value" and bool(limit.value.is_positive or limit.value.is_negative)
        for limit in limits
    ]
    settled = [limit.value for limit, keep in zip(limits, nonzero, strict=True) if keep]
    rest = [factor for factor, keep in zip(factors, nonzero, strict=True) if not keep]
    if not settled or not rest:
        return None
    remaining = side_limit(sympy.Mul(*rest), point, direction, budget)
    if remaining.kind == "value":
        return Limit("value", _simple(sympy.Mul(*settled) * remaining.value, budget))
    if remaining.kind in ("oo", "-oo"):  # the sign from each settled factor's proven sign
        flipped = {"oo": "-oo", "-oo": "oo"}[remaining.kind]
        negative = sum(bool(value.is_negative) for value in settled) % 2
        return Limit(flipped if negative else remaining.kind)
    return None


# continuous on the whole real line, each monotonic or even-and-monotonic on each side, so
# F(u) -> F(+-oo) as u -> +-oo, which SymPy's extended reals give (sin and cos would not)
_CONTINUOUS = (
    sympy.exp,
    expm1,
    sympy.tanh,
    sympy.sinh,
    sympy.cosh,
    sympy.atan,
    sympy.asinh,
    sympy.erf,
    sympy.erfc,
    sigmoid,
    softplus,
)


def _limit_through(expression: Any, point: Any, direction: str, budget: Budget) -> Limit | None:
    """F(u) for F continuous on the reals (`_CONTINUOUS`, sin and cos at a finite limit,
    u**n for an integer n >= 0): F(lim u). expm1(x/sin(x)) at 0 is expm1(1), where SymPy's
    limit of the whole took seconds (of f'', 2 s)."""
    if isinstance(expression, sympy.Pow) and expression.exp.is_Integer and expression.exp >= 0:
        inner, finite_only = expression.base, False
    elif isinstance(expression, _CONTINUOUS) or isinstance(expression, sympy.sin | sympy.cos):
        inner, finite_only = expression.args[0], not isinstance(expression, _CONTINUOUS)
    else:
        return None
    if not inner.has(X) or len(expression.args) != (2 if expression.is_Pow else 1):
        return None
    limit = side_limit(inner, point, direction, budget)
    if limit.kind == "value":
        at = limit.value
    elif limit.kind in ("oo", "-oo") and not finite_only:
        at = sympy.oo if limit.kind == "oo" else -sympy.oo
    else:
        return None
    value = expression.func(at, *expression.args[1:])
    if value in (sympy.oo, -sympy.oo):
        return Limit("oo" if value == sympy.oo else "-oo")
    return Limit("value", _simple(value, budget)) if _is_real_number(value) else None


def _limit_at_an_end(expression: Any, point: Any, direction: str, budget: Budget) -> Limit | None:
    """The limit of log(u), log1p(u) or u**p (p a negative number) at a finite point where u
    tends to the end of the function's domain (0; -1 for log1p) from the side that the sign of
    u'(point) proves (u - end ~ u'(point)*(x - point)): -oo for the logs, +-oo for the power.
    None where u' vanishes there, its sign is unknown, or u leaves the real domain: SymPy's
    limit decides. sympy.limit of log1p(-softplus(x)) at log(e - 1) took 1.5 s, and ran out
    of its time on a loaded machine."""
    if isinstance(expression, sympy.log | log1p):
        inner, end = expression.args[0], (-1 if isinstance(expression, log1p) else 0)
    elif (
        isinstance(expression, sympy.Pow)
        and expression.exp.is_number
        and expression.exp.is_negative
    ):
        inner, end = expression.base, 0
    else:
        return None
    if point in (sympy.oo, -sympy.oo) or not inner.has(X):
        return None
    limit = side_limit(inner, point, direction, budget)
    if limit.kind != "value" or not _is_exactly(limit.value, end, budget):
        return None
    derivative = sympy.diff(inner, X)
    slope = bounded(lambda: derivative.subs(X, point), LIMIT_SECONDS, budget)
    if slope is None or not _is_real_number(slope) or _singular_at(derivative, point):
        return None
    rising = slope.is_positive if direction == "+" else slope.is_negative  # u - end > 0
    falling = slope.is_negative if direction == "+" else slope.is_positive
    if rising:
        return Limit("oo" if isinstance(expression, sympy.Pow) else "-oo")
    if falling and isinstance(expression, sympy.Pow) and expression.exp.is_integer:
        return Limit("-oo" if expression.exp.is_odd else "oo")
    return None


# functions whose derivatives at a point are no Taylor coefficients (kinks, jumps, pieces)
_NOT_ANALYTIC = (
    sympy.Piecewise,
    sympy.Abs,
    sympy.sign,
    sympy.Heaviside,
    sympy.DiracDelta,
    sympy.Min,
    sympy.Max,
    sympy.floor,
    sympy.ceiling,
)
LHOPITAL_ORDERS = 8  # derivatives of numerator and denominator tried at a 0/0


def _removable_limit(expression: Any, point: Any, budget: Budget) -> Limit | None:
    """The limit at a finite exact point of N/D (the expression over a common denominator),
    N and D analytic there, where their first k derivatives vanish there exactly and D's k-th
    does not: N^(k)(point)/D^(k)(point) (their Taylor series share the factor
    (x - point)**k). None otherwise: a pole, a derivative SymPy cannot decide is 0, a kink.
    SymPy's limit of f'' of x/expm1(x) took 0.8 s (k = 3: 1/6 in 0.12 s), and of f''' 2 s,
    past its time; the value of f^(k) at such a point came out nan on a slow machine."""
    if point in (sympy.oo, -sympy.oo) or isinstance(point, sympy.Float):
        return None
    if expression.has(*_NOT_ANALYTIC):
        return None

    def ratio() -> Any:
        numerator, denominator = sympy.fraction(sympy.together(expression))
        if not denominator.has(X) or any(_singular_at(e, point) for e in (numerator, denominator)):
            return None
        for _ in range(LHOPITAL_ORDERS):
            top, bottom = numerator.subs(X, point), denominator.subs(X, point)
            if not (_is_real_number(top) and _is_real_number(bottom)):
                return None
            if bottom.is_zero is False:
                return top / bottom
            if bottom.is_zero is not True or top.is_zero is not True:
                return None  # undecided, or c/0: a pole, left to SymPy's limit
            numerator, denominator = sympy.diff(numerator, X), sympy.diff(denominator, X)
        return None

    value = bounded(ratio, LIMIT_SECONDS, budget)
    return None if value is None else Limit("value", _simple(value, budget))


def series_derivative(expression: Any, order: int, point: Any) -> Limit | None:
    """The limit of the expression's order-th derivative at a finite exact point (from either
    side), order! times its Taylor coefficient there, where Arb's power series arithmetic
    finds the series (`interval.taylor_coefficients`: no pieces or kinks, quotients that
    vanish to the same order at the point divided through): the expression is then analytic
    there once its removable 0/0s are filled. A rational where the ball holds one, else a
    Float of 30 digits; None where there is no series. The derivative's own terms can each
    have a pole there that only their sum cancels: f'''' of expm1(x/sin(x)) at 0, where
    neither the rules of `side_limit` nor SymPy's limit (5 s) found 4e/5."""
    coefficients = _taylor_at(expression, point)
    if coefficients is None or order >= len(coefficients):
        return None
    value = ball_number(coefficients[order])
    return None if value is None else Limit("value", value * math.factorial(order))


@functools.lru_cache(maxsize=256)
def _taylor_at(expression: Any, point: Any) -> tuple[Any, ...] | None:
    if point in (sympy.oo, -sympy.oo) or isinstance(point, sympy.Float):
        return None
    if expression.has(*_NOT_ANALYTIC):
        return None
    shifted = expression.subs(X, X + point) if point != 0 else expression
    found = taylor_coefficients(shifted, MAX_DERIVATIVE_ORDER + 1)
    return None if found is None else tuple(found)


def _is_exactly(value: Any, number: int, budget: Budget) -> bool:
    """value == number, proven by SymPy (softplus(log(e - 1)) is 1 written out)."""
    difference = to_elementary(value) - number
    if difference == 0:
        return True
    simpler = bounded(lambda: simplify(difference), LIMIT_SECONDS, budget)
    return simpler is not None and simpler == 0


def _as_limit(found: Any) -> Limit:
    if found is None:
        return Limit("unknown")
    if found == sympy.oo:
        return Limit("oo")
    if found == -sympy.oo:
        return Limit("-oo")
    if isinstance(found, sympy.AccumBounds):
        return Limit("oscillates", low=found.min, high=found.max)
    if found.has(sympy.AccumBounds):  # e.g. oo*sign(AccumBounds(-1, 1)): unbounded swings
        if found.has(sympy.oo, -sympy.oo, sympy.zoo):
            return Limit("oscillates", low=-sympy.oo, high=sympy.oo)
        return Limit("unknown")
    if _is_real_number(found):
        return Limit("value", found)
    return Limit("unknown")


def _numeric_side_limit(expression: Any, root: Any, direction: str) -> Limit:
    """The one-sided limit at a numerically located zero `root` (an mpmath number good to 120
    digits, `pieces.refined_zero`) of one of the expression's singular arguments, from the
    expression's values at distances 1e-15, 1e-30 and 1e-45 on that side (SIDE_DIGITS):
    converging (each step moving less than 1e-6 of the one before) to their last value, or to 0
    when that is below 1e-20; growing in magnitude with one sign at least as fast as a
    logarithm, to +-oo; otherwise unknown. It is found numerically, as the point is."""
    function = sympy.lambdify(X, to_elementary(expression), modules="mpmath")
    sign = 1 if direction == "+" else -1
    with mpmath.workdps(SIDE_DIGITS):  # tanh(u) - u at u = 1e-45 cancels to 3e-136
        try:
            values = [function(root + sign * mpmath.mpf(10) ** -k) for k in (15, 30, 45)]
        except (ValueError, ZeroDivisionError, TypeError, OverflowError):
            return Limit("unknown")
        if not all(isinstance(v, mpmath.mpf) and mpmath.isfinite(v) for v in values):
            return Limit("unknown")
        first, second = values[1] - values[0], values[2] - values[1]
        settled = abs(first) <= 1e-3 * max(1, abs(values[2]))  # not from a root too coarse
        converging = settled and abs(second) <= mpmath.mpf(10) ** -6 * abs(first)
        if converging or max(map(abs, values)) < 1e-20:
            last = values[2] if abs(values[2]) >= 1e-20 else 0
            return Limit("value", sympy.Float(last, 30))
        growing = abs(values[0]) < abs(values[1]) < abs(values[2]) and abs(second) >= abs(first) / 2
        if growing and (mpmath.sign(values[0]) == mpmath.sign(values[1]) == mpmath.sign(values[2])):
            return Limit("oo" if values[2] > 0 else "-oo")
    return Limit("unknown")


def _vanishing_root(expression: Any, point: sympy.Float) -> Any:
    """The zero, to 120 digits, of a singular argument of the expression (pole, log, real
    power) that the float `point` approximates (`pieces.refined_zero`), or None: a point found
    numerically is no exact zero, so the expression's value there (1/(x - cos(x)) is 2e16 at
    the float nearest the Dottie number) says nothing about its limits."""
    for argument, _ in _singular_arguments(expression):
        root = refined_zero(argument, float(point))
        if root is not None:
            return root
    return None


def _singular_at(expression: Any, point: Any) -> bool:
    """The expression has a pole, a log singularity or a real-power end exactly at point, or
    for a float found numerically, at the zero it approximates (its value there, even when
    finite, as sqrt(0), is then no proof of continuity of the derivatives; the limit
    decides)."""
    if isinstance(point, sympy.Float):
        return _vanishing_root(expression, point) is not None
    for argument, _ in _singular_arguments(expression):
        try:
            value = argument.subs(X, point)
        except (TypeError, ValueError):
            return True
        if value.is_zero is not False:
            return True
    return False


def _restricted(expression: Any) -> list[tuple[Any, str, bool]]:
    """(argument, kind, real only where argument >= 0) for each pole, log and real power in x:
    zeros of `argument` are poles, log singularities or ends of real domains (`kind`)."""
    found = []
    for node in sympy.preorder_traversal(expression):
        if isinstance(node, sympy.Pow) and node.base.has(X):
            exponent = node.exp
            if exponent.is_number and exponent.is_integer and exponent.is_negative:
                found.append((node.base, "singularity", False))
            elif exponent.is_number and not exponent.is_integer:
                found.append((node.base, "domain" if exponent.is_positive else "singularity", True))
            elif not exponent.is_number:
                found.append((node.base, "domain", True))
        elif isinstance(node, sympy.log) and node.args[0].has(X):
            found.append((node.args[0], "domain", True))
        elif isinstance(node, log1p) and node.args[0].has(X):
            found.append((node.args[0] + 1, "domain", True))
    return found


def _singular_arguments(expression: Any) -> list[tuple[Any, str]]:
    """(argument, kind) whose zeros are poles, log singularities or ends of real domains."""
    unique: dict[Any, str] = {}
    for argument, kind, _ in _restricted(expression):
        if unique.get(argument) != "singularity":
            unique[argument] = kind
    return list(unique.items())


def _real_domain(expression: Any) -> set[Any]:
    """Conditions on x, each needed for the expression to be real (argument >= 0 of every log
    and real power); those SymPy decides true for every real x are left out."""
    conditions = {sympy.Ge(argument, 0) for argument, _, real in _restricted(expression) if real}
    return {c for c in conditions if c is not sympy.true}


def undefined_where(definition: Any, derivative: Any) -> Any:
    """Where f is not real but the formula of its derivative is (d/dx log(x) = 1/x at x = -1):
    the conditions of each branch's real domain that `derivative` lost, on the part where that
    branch of `definition` is active. A derivative exists only where f does, so numeric
    evaluation must give nan there; false when nothing was lost. A branch that is zoo (a
    division by 0 made explicit by folding: 1/heaviside(x - 1) for x < 1) is nowhere real,
    though its derivative is 0."""
    kept = _real_domain(derivative)
    pieces = definition.args if isinstance(definition, sympy.Piecewise) else ((definition, True),)
    undefined = []
    earlier: Any = sympy.false
    for branch, condition in pieces:
        nowhere = branch.has(sympy.zoo, sympy.nan)
        lost = {sympy.false} if nowhere else _real_domain(branch) - kept
        if lost:
            where = sympy.And(condition, sympy.Not(earlier), sympy.Not(sympy.And(*lost)))
            undefined.append(_as_interval_condition(where))
        earlier = sympy.Or(earlier, condition)
    return sympy.Or(*undefined)


def _as_interval_condition(condition: Any) -> Any:
    """The condition as the union of intervals it describes (x < 0 for (x > -1) & (x < 0) |
    (x <= -1)): simpler to evaluate, false when empty; as written when SymPy cannot say
    within LIMIT_SECONDS."""
    region = bounded(condition.as_set, LIMIT_SECONDS, Budget(LIMIT_SECONDS))
    return condition if region is None else region.as_relational(X)


def _numeric_zeros(expression: Any, lo: float, hi: float) -> list[Any]:
    """Zeros located by sign changes on a grid of [-1e3, 1e3] within (lo, hi), refined by
    Brent's method (SymPy Floats: found numerically). Too many means an oscillation that no
    finite list of cut points describes: refused."""
    start, stop = max(lo, -SCAN_WINDOW), min(hi, SCAN_WINDOW)
    if not start < stop:
        return []
    function = compile_scalar(expression)
    grid = np.linspace(start, stop, SCAN_POINTS)[1:-1]
    with np.errstate(all="ignore"):
        values = function(grid)
    signs = np.sign(values)
    roots = []
    exact = np.nonzero(values == 0)[0]
    changes = np.nonzero((signs[:-1] * signs[1:]) < 0)[0]
    if len(exact) + len(changes) > MAX_CUTS:
        raise AnalysisError(
            f"{sympy.sstr(expression)} vanishes too often to analyse piece by piece"
        )
    roots.extend(sympy.Float(float(grid[i]), 17) for i in exact)
    brentq = scipy_optimize().brentq
    for i in changes:
        root = brentq(lambda t: float(function(np.array([t]))[0]), grid[i], grid[i + 1])
        roots.append(refined_float(expression, root))
    return sorted(roots, key=float)


def _second_probe(low: float, high: float, probe: float) -> float:
    """Another point of the part (low, high), away from the probe: a branch real at one
    point can be complex on the rest of its part (sqrt(x)*log(x) is -pi at the probe -1 of
    x < 0, and complex at every other x < 0)."""
    if math.isinf(low) and math.isinf(high):
        return probe + math.sqrt(2)
    if math.isinf(low):
        return high - math.sqrt(2)
    if math.isinf(high):
        return low + math.sqrt(2)
    return low + (high - low) * (3 - math.sqrt(5)) / 2


def _real_at(branch: Any, probe: float) -> bool:
    """The branch is real at the probe (and so on its whole part); not where it is zoo*x
    (x/heaviside(x) for x < 0, a division by 0)."""
    if branch.has(sympy.zoo, sympy.nan):
        return False
    function = sympy.lambdify(X, to_elementary(branch), modules="mpmath")
    try:
        with mpmath.workdps(30):
            value = function(mpmath.mpf(probe))
    except (ValueError, ZeroDivisionError, TypeError, OverflowError):
        return False
    if isinstance(value, mpmath.mpc):
        return abs(value.imag) <= mpmath.mpf(10) ** -25 * max(1, abs(value.real))
    return mpmath.isfinite(value)


def _equal(a: Any, b: Any) -> bool:
    """Two limits are the same number (exactly, or to 1e-25 when found numerically)."""
    if a == b:
        return True
    try:
        return abs(complex(sympy.N(a - b, 40))) <= 1e-25 * max(1.0, abs(complex(sympy.N(a, 40))))
    except (TypeError, ValueError):
        return False


def _simple(value: Any, budget: Budget) -> Any:
    """Simplified when that is quick (limit values are usually small)."""
    if sympy.count_ops(value) > 40:
        return value
    simpler = bounded(lambda: simplify(value), LIMIT_SECONDS, budget)
    return value if simpler is None else simpler


def _decided_piecewise(value: Any) -> Any:
    """A Piecewise at a point whose conditions SymPy left undecided (x*exp(x) != 1 at
    x = LambertW(1)), decided exactly: a comparison whose sides' difference is proven 0 is
    decided as equality, else by the sign of that difference at 30 digits. Unchanged where a
    difference is neither proven 0 nor clearly away from it (numerically evaluating the
    condition took LambertW(1)*exp(LambertW(1)) for 1 + 1e-31: f's value there was wrong)."""

    def truth(condition: Any) -> Any:
        if isinstance(condition, sympy.logic.boolalg.BooleanAtom):
            return condition
        if isinstance(condition, sympy.And | sympy.Or | sympy.Not):
            parts = [truth(arg) for arg in condition.args]
            return None if any(p is None for p in parts) else condition.func(*parts)
        if not isinstance(condition, sympy.core.relational.Relational):
            return None
        difference = condition.lhs - condition.rhs
        if is_zero(difference):
            return condition.func(0, 0)
        number = constant_value(difference)
        if number.imag or abs(number.real) < 1e-25:
            return None
        return condition.func(sympy.Float(number.real, 30), 0)

    if not isinstance(value, sympy.Piecewise):
        return value
    for branch, condition in value.args:
        decided = truth(condition)
        if decided is None:
            return value
        if decided is sympy.true:
            return _decided_piecewise(branch)
    return value


def _is_real_number(value: Any) -> bool:
    if not isinstance(value, sympy.Basic) or not value.is_number:
        return False
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.AccumBounds):
        return False
    try:
        number = complex(sympy.N(value, 30))
    except (TypeError, ValueError):
        return False
    return math.isfinite(number.real) and abs(number.imag) <= 1e-25 * max(1.0, abs(number.real))


def to_float(value: Any) -> float:
    """A real SymPy number as a float (+-inf for +-oo, nan when it is not real)."""
    if value == sympy.oo:
        return math.inf
    if value == -sympy.oo:
        return -math.inf
    number = constant_value(value)
    return number.real if abs(number.imag) <= 1e-20 * max(1.0, abs(number.real)) else math.nan


__all__ = ["Cut", "Limit", "Part", "Structure", "side_limit", "to_float"]
