"""`actcli smoothness`: the continuity class C-1, C0, C1, ..., Cinf, where it fails, and for which
parameter values it holds.

Points where smoothness can fail are the cut points of `actcli.domain`: breakpoints of the
(Piecewise-rewritten) definition, poles and log singularities, and ends of the real domain. At
each one the value f(c) counts (f = 5 at 0 and x elsewhere is C-1), and so do the one-sided
limits of f, f', ..., f^(K), from the branch active on each side (never `sympy.limit` of the
whole Piecewise, which ignores the direction); a jump of order k is right minus left.

- f is continuous at c when both one-sided limits are finite and equal f(c). Where f is
  undefined at c but the limits agree (sin(x)/x at 0, x*sin(1/x) at 0), the singularity is
  removable and f is judged as its continuous extension (as everywhere in actcli); where they
  do not (1/x at 0, sin(1/x) at 0), f is not continuous there: C-1. An end of the real domain
  (log(x) at 0) is judged from the side where f is real.
- f^(k) is continuous at c when its one-sided limits are finite and equal; an infinite limit
  (sqrt(|x|)' at 0) or an oscillation (x*sin(1/x)' at 0) makes the class C(k-1).
- Where both sides are one analytic function (the same branch, regular or with a removable
  singularity at c), the point costs nothing: Cinf there.

With parameters symbolic (`--symbolic-params`), each class's condition on them is solved for.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from actcli.activation import Activation, bind
from actcli.budget import Budget, bounded
from actcli.calculus import condition_text
from actcli.domain import Limit, Structure, _singular_at
from actcli.errors import AnalysisError, UsageError
from actcli.expr import X
from actcli.functions import reduce_max, reduce_min, simplify
from actcli.interval import constant_value
from actcli.json_values import json_number
from actcli.pieces import active_branch_at, breakpoints_at_values_only, intervals, to_piecewise
from actcli.proofs import is_zero
from actcli.spec import Spec
from actcli.supervisor import step

MAX_ORDER = 8


@dataclass(frozen=True)
class Point:
    """One point: one-sided limits of f..f^(K) on each side and the jumps (right - left)."""

    x: Any
    kind: str  # breakpoint | singularity | domain
    left: tuple[Any, ...]
    right: tuple[Any, ...]
    same_function: bool  # the pieces on both sides are one analytic function
    branches: tuple[Any, Any] = (None, None)  # the pieces on each side
    jumps: tuple[Any, ...] = ()  # right - left, per order
    value: Any = None  # f(x) as defined there (None: undefined)
    verdict: str = ""  # how the point bounds the class ("C0", "excluded", ...), at values

    def __post_init__(self) -> None:
        if not self.jumps:
            pairs = zip(self.left, self.right, strict=True)
            object.__setattr__(self, "jumps", tuple(_simple(r - lft) for lft, r in pairs))

    def to_json(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Exact forms as SymPy strings; numbers at the parameter values `params`."""

        def at(value: Any) -> Any:
            value = sympy.sympify(value)
            named = {s: params[s.name] for s in value.free_symbols if s.name in (params or {})}
            return value.subs(named)

        def numbers(values: tuple[Any, ...]) -> list[Any]:
            return [json_number(_number(at(v))) for v in values]

        return {
            "x": json_number(_number(at(self.x))),
            "x_exact": sympy.sstr(self.x),
            "kind": self.kind,
            "found": "numeric" if isinstance(self.x, sympy.Float) else "symbolic",
            "left": numbers(self.left),
            "right": numbers(self.right),
            "jumps": numbers(self.jumps),
            "jumps_exact": [sympy.sstr(j) for j in self.jumps],
            "left_exact": [sympy.sstr(v) for v in self.left],
            "right_exact": [sympy.sstr(v) for v in self.right],
            "value": None if self.value is None else json_number(_number(at(self.value))),
            "value_exact": None if self.value is None else sympy.sstr(self.value),
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class Smoothness:
    """The class at the bound parameter values, the points, and (symbolic) class conditions."""

    activation: str
    params: dict[str, Any]
    smoothness_class: str
    max_order: int
    points: tuple[Point, ...]
    conditions: tuple[tuple[str, str], ...] = ()  # (class, "alpha = 1")
    conditions_exact: tuple[str, ...] = ()  # the same conditions as SymPy strings
    variants: tuple[tuple[str, Smoothness], ...] = ()
    note: str = ""  # how the class was found, where that is not from points (vector kinds)

    @property
    def found(self) -> str:
        """ "numeric" where a point was located numerically: a float64 grid can put a cut off
        its place or miss one (a piece narrower than its step), so the class is evidence."""
        numeric = any(isinstance(p.x, sympy.Float) for p in self.points)
        return "numeric" if numeric else "symbolic"

    def to_json(self) -> dict[str, Any]:

        return {
            "activation": self.activation,
            "params": {k: json_number(_number(v)) for k, v in self.params.items()},
            "params_exact": {k: sympy.sstr(v) for k, v in self.params.items()},
            "class": self.smoothness_class,
            "class_found": self.found,
            "max_order_checked": self.max_order,
            "points": [p.to_json(self.params) for p in self.points],
            "conditions": [
                {"class": c, "condition": exact, "text": text}
                for (c, text), exact in zip(self.conditions, self.conditions_exact, strict=True)
            ],
            "variants": [{"name": name, **result.to_json()} for name, result in self.variants],
            "note": self.note,
        }


def smoothness(
    spec: Spec,
    params: Mapping[str, str] | None = None,
    *,
    max_order: int = 3,
    symbolic_params: bool = False,
    variants: bool = True,
) -> Smoothness:
    """The smoothness of a scalar spec's definition and (unless `variants` is False: a claim
    about the definition) of each of its variants."""

    if not 0 <= max_order <= MAX_ORDER:
        raise UsageError(f"--max-order {max_order}: give 0 to {MAX_ORDER}")
    activation = bind(spec, params)
    if spec.kind == "vector":
        klass, note = vector_class(activation.expression)
        return Smoothness(spec.name, dict(activation.values), klass, max_order, (), note=note)
    symbolic = (
        [p for p in spec.parameter_names if p not in (params or {})] if symbolic_params else []
    )
    with step(f"finding the smoothness class of {spec.name}"):
        main = analyse(activation, activation.symbolic(), max_order, symbolic)
    found = []
    for name, variant in spec.variants.items() if variants else ():
        with step(f"finding the smoothness class of {spec.name}'s variant {name}"):
            definition = activation.symbolic(variant.definition)
            found.append((name, analyse(activation, definition, max_order, symbolic)))
    return dataclasses.replace(main, variants=tuple(found))


def vector_class(expression: Any) -> tuple[str, str]:
    """The class of a vector activation from how it is composed.

    exp, tanh, sigmoid, softplus, erf, polynomials and sums are analytic; log and powers are
    analytic where their argument is positive, which must be provable (exp, or a sum or
    logsumexp of exps); a max or min over the inputs is continuous with a gradient jump where
    two inputs tie (n >= 2), so C0. Anything else is not decided here.
    """

    kinks = (reduce_max, reduce_min, sympy.Max, sympy.Min, sympy.Abs)
    if expression.has(sympy.Piecewise, sympy.sign, sympy.Heaviside):
        raise AnalysisError("smoothness of vector activations with jumps is not supported yet")
    for node in sympy.preorder_traversal(expression):
        argument = None
        if isinstance(node, sympy.log):
            argument = node.args[0]
        elif isinstance(node, sympy.Pow) and not (node.exp.is_Integer and node.exp >= 0):
            argument = node.base
        if argument is not None and not _provably_positive(argument):
            raise AnalysisError(f"cannot show that {argument} stays positive")
    if expression.has(*kinks):
        return "C0", "a max/min over the inputs: continuous, its gradient jumps at ties"
    return "Cinf", "a composition of analytic functions (log and powers of positive sums)"


def _provably_positive(expression: Any) -> bool:

    if expression.is_positive:
        return True
    if isinstance(expression, sympy.exp):
        return True
    if isinstance(expression, sympy.Sum):
        return _provably_positive(expression.function)
    if isinstance(expression, sympy.Add | sympy.Mul):
        return all(_provably_positive(arg) for arg in expression.args)
    return isinstance(expression, sympy.Pow) and _provably_positive(expression.base)


def analyse(
    activation: Activation, expression: Any, max_order: int, symbolic: list[str]
) -> Smoothness:
    """Smoothness of `expression` (in the activation's parameter symbols): at the parameter
    values from the cut points of its domain; with `symbolic` parameters, also the condition
    on them for each class (from the breakpoints' jumps)."""
    at_values = _at_values(activation, expression, max_order)
    if not symbolic:
        return at_values
    symbolic_result = _analyse_symbolic(activation, expression, max_order, symbolic)
    return dataclasses.replace(symbolic_result, smoothness_class=at_values.smoothness_class)


def _at_values(activation: Activation, expression: Any, max_order: int) -> Smoothness:
    """The class with every parameter at its value, from `actcli.domain.Structure`."""
    structure = Structure(activation, activation.substitute(expression))
    points = []
    worst = math.inf
    unproven = False
    for index, cut in enumerate(structure.cuts):
        sides = [structure.cut_sides(index, k) for k in range(max_order + 1)]
        left_part, right_part = structure.parts[index], structure.parts[index + 1]
        verdict, rank = _judge(cut, sides, left_part, right_part, max_order)
        unproven = unproven or verdict.startswith("C>=")
        worst = min(worst, rank)
        points.append(
            Point(
                cut.x,
                cut.kind,
                tuple(_limit_value(s[0]) if left_part.defined else sympy.nan for s in sides),
                tuple(_limit_value(s[1]) if right_part.defined else sympy.nan for s in sides),
                verdict == "Cinf",
                (left_part.branch, right_part.branch),
                value=cut.value,
                verdict=verdict,
            )
        )
    if worst == math.inf:
        klass = "Cinf"
    elif worst == max_order + 0.5 or unproven:
        klass = f"C>={int(min(worst, max_order + 0.5))}"
    else:
        klass = f"C{int(worst)}"
    return Smoothness(activation.name, dict(activation.values), klass, max_order, tuple(points))


def _judge(
    cut: Any, sides: list[tuple[Limit, Limit]], left: Any, right: Any, max_order: int
) -> tuple[str, float]:
    """How a cut point bounds the class: its verdict text and rank (C-1 is -1, Cinf inf;
    max_order + 0.5 means every order checked is continuous, C>=K)."""
    defined = [part.defined for part in (left, right)]
    if not any(defined):
        return "excluded", math.inf
    values = [
        [s for s, ok in zip(pair, defined, strict=True) if ok] for pair in sides
    ]  # the limits from the sides where f is real
    if cut.value is None:  # no continuous extension (a removable point has its limit)
        if all(defined):
            return "C-1", -1  # a pole or a jump where f is undefined: not continuous there
        return "excluded", math.inf  # an end of the real domain that f never reaches
    for k, limits in enumerate(values):
        if any(v.kind == "unknown" for v in limits):
            return f"C>={k - 1}" if k else "C>=-1", k - 1 + 0.5 if k else -0.5
        if not all(v.finite for v in limits):
            return f"C{k - 1}", k - 1
        numbers = [v.value for v in limits]
        if k == 0 and cut.value is not None:
            numbers.append(cut.value)
        if not _all_equal(numbers):
            return f"C{k - 1}", k - 1
    if all(defined) and _one_function(left.branch, right.branch, cut.x):
        return "Cinf", math.inf
    return f"C>={max_order}", max_order + 0.5


def _all_equal(values: list[Any]) -> bool:
    first = values[0]
    return all(_same(first, other) for other in values[1:])


def _same(a: Any, b: Any) -> bool:
    """Equal exact values (proven), or values found numerically equal to 1e-10."""
    if a.has(sympy.Float) or b.has(sympy.Float):
        x, y = _number(a), _number(b)
        return math.isfinite(x) and abs(x - y) <= 1e-10 * max(1.0, abs(x), abs(y))
    return is_zero(a - b)


def _one_function(left: Any, right: Any, point: Any) -> bool:
    """Both sides are one function analytic at the point: the same branch, regular there or
    with a removable singularity (its Laurent series at the point has no negative or
    fractional powers)."""
    if not is_zero(left - right):
        return False
    if not _singular_at(left, point):
        return True
    series = bounded(lambda: sympy.series(left, X, point, 6).removeO(), 2.0, Budget(2.0))
    if series is None:
        return False
    shifted = sympy.expand(series.subs(X, X + point))
    return shifted.is_polynomial(X)


def _limit_value(limit: Limit) -> Any:
    """A one-sided limit as a SymPy value: a number, +-oo, or nan (no single value)."""
    if limit.kind == "value":
        return limit.value
    return {"oo": sympy.oo, "-oo": -sympy.oo}.get(limit.kind, sympy.nan)


def _analyse_symbolic(
    activation: Activation, expression: Any, max_order: int, symbolic: list[str]
) -> Smoothness:
    """The points and the condition of each class with `symbolic` parameters kept symbols."""

    values = {activation.symbols[k]: v for k, v in activation.values.items() if k not in symbolic}
    piecewise = to_piecewise(expression.subs(values))
    pieces = intervals(piecewise, activation)
    points = []
    for (_, point, left_probe), (_, _, right_probe) in zip(pieces, pieces[1:], strict=False):
        left = active_branch_at(piecewise, activation, left_probe)
        right = active_branch_at(piecewise, activation, right_probe)
        found = _point(point, "breakpoint", left, right, max_order)
        # f at the breakpoint: its own conditions decide (at the parameters' values when they
        # involve the symbolic parameters, as the breakpoints are ordered)
        value = active_branch_at(piecewise.subs(X, point), activation, 0.0)
        if value.is_number and not value.is_finite:
            value = None
        points.append(dataclasses.replace(found, value=value))
    breakpoints = {point.x for point in points}
    points.extend(  # a singularity at a breakpoint is judged there, from its one-sided limits
        p for p in _singular_points(piecewise, activation, max_order) if p.x not in breakpoints
    )
    at_values = {activation.symbols[k]: v for k, v in activation.values.items()}
    klass = _class([_at(p, at_values) for p in points], max_order)
    if breakpoints_at_values_only(piecewise, activation) or any(
        sympy.sympify(p.x).is_real is not True for p in points
    ):
        # a cut that is real at these values only (-a - LambertW(-exp(-a)) needs a >= 1: none
        # at a = 1/2, two at a = 2), or found numerically there: the cuts elsewhere differ,
        # and with them the conditions
        names = [f"C{k}" for k in range(max_order + 1)] + ["Cinf"]
        conditions: tuple[tuple[str, Any], ...] = tuple((name, UNKNOWN) for name in names)
    else:
        conditions = _conditions(points, max_order)
    # the class is at these values (with --symbolic-params the conditions say the rest)
    return Smoothness(
        activation.name,
        dict(activation.values),
        klass,
        max_order,
        tuple(points),
        tuple((name, condition_text(condition)) for name, condition in conditions),
        tuple(sympy.sstr(condition) for _, condition in conditions),
    )


def _point(x: Any, kind: str, left: Any, right: Any, max_order: int) -> Point:

    def limits(branch: Any, direction: str) -> tuple[Any, ...]:
        values = []
        for k in range(max_order + 1):
            derivative = sympy.diff(branch, X, k)
            value = _simple(derivative.subs(X, x))
            if value.has(sympy.nan, sympy.zoo) or any(  # 0**(a - 1): the limit depends on a
                power.base == 0 for power in value.atoms(sympy.Pow)
            ):
                value = _power_sum_limit(derivative, x, direction)
            values.append(value)
        return tuple(values)

    return Point(
        x, kind, limits(left, "-"), limits(right, "+"), _identical(left, right), (left, right)
    )


def _power_sum_limit(expression: Any, point: Any, direction: str) -> Any:
    """The one-sided limit at `point` of a sum of c*(x - point)**e whose exponents involve the
    parameters, as a Piecewise on their signs: each term tends to 0 (e > 0), c (e = 0) or
    +-oo (e < 0, c's sign). x**a's f' at 0 from the right is a*x**(a - 1): 0 for a > 1, 1 at
    a = 1, oo below, where substitution gave nan (and the class condition False). nan where
    the expression is not such a sum or two infinite terms may cancel."""
    h = sympy.Dummy("h", positive=True)
    side = 1 if direction == "+" else -1
    shifted = sympy.expand(sympy.powdenest(expression.subs(X, point + side * h), force=True))
    terms: dict[Any, Any] = {}
    for term in sympy.Add.make_args(shifted):
        coefficient, exponent = sympy.powsimp(term, force=True).as_coeff_exponent(h)
        if coefficient.has(h):
            return sympy.nan
        terms[exponent] = terms.get(exponent, 0) + coefficient
    limits = []
    infinite = 0
    for exponent, coefficient in terms.items():
        coefficient = sympy.factor(coefficient)
        if coefficient.is_real is not True:  # (-h)**a: not real
            return sympy.nan
        if coefficient == 0 or exponent.is_positive:
            continue
        infinite += exponent.is_positive is not True and exponent.is_zero is not True
        limits.append(
            sympy.Piecewise(
                (0, exponent > 0),
                (coefficient, sympy.Eq(exponent, 0)),
                (0, sympy.Eq(coefficient, 0)),
                (sympy.oo, coefficient > 0),
                (-sympy.oo, True),
            )
        )
    if infinite > 1:
        return sympy.nan
    found = sympy.piecewise_fold(sympy.Add(*limits)) if limits else sympy.Integer(0)
    return sympy.nan if found.has(sympy.nan) else found


def _identical(left: Any, right: Any) -> bool:
    """The two branches are one analytic function (then no derivative jumps, at any order)."""

    return is_zero(left - right)


def _singular_points(piecewise: Any, activation: Activation, max_order: int) -> list[Point]:
    """Real zeros of denominators (singularities) and of log/sqrt arguments (domain ends)."""

    found: list[Point] = []
    candidates: list[tuple[Any, Any, str]] = []  # (the node, the argument that vanishes, kind)
    for power in piecewise.atoms(sympy.Pow):
        if power.exp.is_negative and power.base.has(X):
            candidates.append((power, power.base, "singularity"))
        elif power.exp.is_Rational and not power.exp.is_Integer and power.base.has(X):
            candidates.append((power, power.base, "domain"))
    for log in piecewise.atoms(sympy.log):
        if log.args[0].has(X):
            candidates.append((log, log.args[0], "domain"))
    seen = set()
    for node, base, kind in candidates:
        try:
            roots = sympy.solve(base, X)
        except NotImplementedError:
            continue
        for root in roots:
            if not root.is_real or root in seen:
                continue
            seen.add(root)
            value = float(sympy.N(root.subs(_values(activation))))
            step = 1e-9 * max(1.0, abs(value))
            left = active_branch_at(piecewise, activation, value - step)
            right = active_branch_at(piecewise, activation, value + step)
            if not (left.has(node) or right.has(node)):  # not the base: (1 + x/a)/2 has x/a
                continue  # the zero lies where another piece is active
            found.append(_limits_point(root, kind, left, right, max_order))
    return found


def _limits_point(x: Any, kind: str, left: Any, right: Any, max_order: int) -> Point:
    """One-sided limits with sympy.limit of each (analytic) branch: here the branch itself is
    singular at x, so its value there is no limit."""

    def limits(branch: Any, direction: str) -> tuple[Any, ...]:
        values = []
        for k in range(max_order + 1):
            try:
                value = sympy.limit(sympy.diff(branch, X, k), X, x, dir=direction)
            except (NotImplementedError, ValueError):
                value = sympy.nan
            values.append(value)
        return tuple(values)

    return Point(x, kind, limits(left, "-"), limits(right, "+"), False, (left, right))


def _values(activation: Activation) -> dict[Any, Any]:
    return {activation.symbols[k]: v for k, v in activation.values.items()}


def _at(point: Point, values: Mapping[Any, Any]) -> Point:

    def put(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(sympy.sympify(v).subs(values) for v in items)

    left, right = (None if b is None else b.subs(values) for b in point.branches)
    same = point.same_function or (
        point.kind == "breakpoint" and left is not None and _identical(left, right)
    )
    x = sympy.sympify(point.x).subs(values)
    return Point(x, point.kind, put(point.left), put(point.right), same, (left, right))


def _class(points: list[Point], max_order: int) -> str:
    """The class given points with numeric parameters."""

    worst = math.inf
    for point in points:
        if point.kind != "breakpoint":
            return "C-1"
        if point.same_function:
            continue
        # a breakpoint found numerically carries its rounding into the jumps
        tolerance = 1e-10 if isinstance(point.x, sympy.Float) else 0.0
        for k, jump in enumerate(point.jumps):
            value = complex(sympy.N(jump)) if jump.is_number else None
            sides = [_number(v) for v in (point.left[k], point.right[k])]
            if (
                value is None
                or not all(math.isfinite(v) for v in sides)
                or abs(value) > tolerance * max(1.0, *map(abs, sides))
            ):
                worst = min(worst, k - 1)
                break
        else:
            worst = min(worst, max_order + 0.5)
    if worst == math.inf:
        return "Cinf"
    if worst == max_order + 0.5:
        return f"C>={max_order}"
    return f"C{int(worst)}"


def _conditions(points: list[Point], max_order: int) -> tuple[tuple[str, Any], ...]:
    """For each class C0..C(max_order) (and Cinf), the parameter condition for it."""

    conditions = []
    accumulated: Any = sympy.true
    for k in range(max_order + 1):
        for point in points:
            if point.kind != "breakpoint":
                accumulated = sympy.false
                continue
            jumps = [point.jumps[k]]
            if k == 0 and point.value is not None:  # f(c) must equal the limits too
                jumps.append(_simple(point.value - point.left[0]))
            for jump in jumps:
                if jump != 0:
                    accumulated = _both(accumulated, _solve_zero(jump))
            for limit in (point.left[k], point.right[k]):  # +-oo on both sides: no jump, no f^(k)
                accumulated = _both(accumulated, _finite(limit))
        accumulated = _tidy(accumulated)
        conditions.append((f"C{k}", accumulated))
    same_everywhere = sympy.true
    for point in points:
        if point.kind != "breakpoint":
            same_everywhere = sympy.false
        elif not point.same_function:
            same_everywhere = _both(same_everywhere, _identical_condition(point))
    same_everywhere = _tidy(same_everywhere)
    highest = conditions[-1][1]
    if highest is sympy.false:  # not even C(max_order)
        same_everywhere = sympy.false
    elif same_everywhere is not UNKNOWN and not _equivalent(same_everywhere, highest):
        # one function on both sides is enough for Cinf, not needed: x**a*exp(-1/x) against
        # 0 is Cinf for every a, its pieces never the same function
        same_everywhere = UNKNOWN
    conditions.append(("Cinf", same_everywhere))
    return tuple(conditions)


def _equivalent(condition: Any, other: Any) -> bool:
    """The same condition (proven by SymPy's boolean simplification)."""
    if other is UNKNOWN:
        return False
    return bool(simplify(sympy.Equivalent(condition, other)) is sympy.true)


# a condition no analysis settled: a jump that is nan (a limit not found), not a jump that
# is never 0 (printed "unknown"; `check` then proves no class from it)
UNKNOWN = sympy.Symbol("unknown")


def _tidy(condition: Any) -> Any:
    """A condition simplified; on one parameter, as the set it describes: a > 1 and (a > 2 or
    a**2 - a = 0) is a > 2."""
    if condition is UNKNOWN:
        return condition
    condition = simplify(condition)
    symbols = condition.free_symbols
    if len(symbols) == 1 and not isinstance(condition, sympy.logic.boolalg.BooleanAtom):
        found = bounded(condition.as_set, 2.0, Budget(2.0))
        if found is not None:
            return simplify(found.as_relational(symbols.pop()))
    return condition


def _finite(limit: Any) -> Any:
    """The condition on the parameters under which a one-sided limit is a finite number."""
    limit = sympy.sympify(limit)
    if isinstance(limit, sympy.Piecewise):
        return sympy.Or(*(sympy.And(c, _finite(v)) for v, c in limit.args))
    if limit.has(sympy.nan):
        return UNKNOWN
    if limit.has(sympy.oo, -sympy.oo, sympy.zoo):
        return sympy.false
    return sympy.true


def _both(condition: Any, other: Any) -> Any:
    """condition and other, where either may be UNKNOWN (false wins over it)."""
    if condition is sympy.false or other is sympy.false:
        return sympy.false
    if condition is UNKNOWN or other is UNKNOWN:
        return UNKNOWN
    return sympy.And(condition, other)


def _solve_zero(expression: Any) -> Any:
    """The condition on the parameters under which `expression` = 0."""

    if expression.has(sympy.nan):
        return UNKNOWN
    if isinstance(expression, sympy.Piecewise):  # (0, a > 1), (1, a = 1), (oo, True)
        return sympy.Or(
            *(sympy.And(condition, _solve_zero(value)) for value, condition in expression.args)
        )
    symbols = sorted(expression.free_symbols, key=str)
    if not symbols:
        return sympy.true if expression == 0 else sympy.false
    if expression.is_zero is False:  # e.g. log1p(exp(-threshold))/beta with beta > 0
        return sympy.false
    if not expression.is_rational_function(*symbols):  # solve can take minutes on these
        return sympy.Eq(expression, 0)
    try:
        solutions = sympy.solve(expression, symbols, dict=True)
    except NotImplementedError:
        return sympy.Eq(expression, 0)
    if not solutions:
        return sympy.false
    return sympy.Or(*(sympy.And(*(sympy.Eq(k, v) for k, v in s.items())) for s in solutions))


def _identical_condition(point: Point) -> Any:
    """When the pieces meeting at a breakpoint become one analytic function: all derivative
    jumps vanish (checked on the orders computed), and the difference of the pieces is 0 for
    every x (`_identically_zero`): x**a against 0 had every jump through f''' 0 for a > 3,
    and was said to be Cinf there."""

    condition = sympy.true
    for jump in point.jumps:
        if jump != 0:
            condition = _both(condition, _solve_zero(jump))
    if point.same_function or condition is sympy.false:
        return condition
    left, right = point.branches
    return _both(condition, _identically_zero(left - right))


IDENTITY_POINTS = (sympy.Rational(1, 3), sympy.Rational(2, 7), sympy.Rational(5, 11))


def _identically_zero(difference: Any) -> Any:
    """The parameter values where a difference of branches is 0 for every x: the solutions of
    its values at one x per parameter (a necessary condition), kept where SymPy proves the
    difference 0 with them. false where there is none and the equations are rational in the
    parameters (SymPy's solve then finds every solution); else UNKNOWN (x**a - (-x)**a is 0
    for even integers a, which solve does not list)."""
    parameters = sorted(difference.free_symbols - {X}, key=str)
    if not parameters:
        return sympy.true if is_zero(difference) else sympy.false
    if len(parameters) > len(IDENTITY_POINTS):
        return UNKNOWN
    equations = [difference.subs(X, x) for x in IDENTITY_POINTS[: len(parameters)]]
    if any(e.is_zero is False for e in equations):  # (1/3)**a: never 0, whatever a is
        return sympy.false
    solutions = bounded(lambda: sympy.solve(equations, parameters, dict=True), 2.0, Budget(2.0))
    if solutions is None:
        return UNKNOWN
    proven = [s for s in solutions if is_zero(difference.subs(s))]
    complete = all(e.is_rational_function(*parameters) for e in equations)
    if not proven and not complete:
        return UNKNOWN
    return sympy.Or(*(sympy.And(*(sympy.Eq(k, v) for k, v in s.items())) for s in proven))


def _simple(value: Any) -> Any:
    """Simplified when that is cheap (limit values and jumps are usually small)."""

    value = sympy.sympify(value)
    if sympy.count_ops(value) > 30:
        return value
    try:
        return simplify(value)
    except (NotImplementedError, TypeError, ValueError):  # "not sure of sign of a - 2"
        return value


def _number(value: Any) -> float:

    try:
        number = constant_value(value)
    except (TypeError, ValueError):
        return math.nan
    return number.real if abs(number.imag) < 1e-300 else math.nan
