"""Exact derivatives: by x or a parameter, of any order, as cases a person would write.

A piecewise result is rebuilt interval by interval between the breakpoints: on each interval the
active branch is differentiated and simplified, neighbours with the same formula are merged, and
at every breakpoint the one-sided limits of f, f', ..., f^(k) decide whether the derivative
exists there (never SymPy's Heaviside(0) = 1/2 convention). Breakpoints may depend on symbolic
parameters; they are ordered by the parameters' default values (stated in the result).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sympy

from actcli.activation import Activation
from actcli.budget import Budget
from actcli.domain import LIMIT_SECONDS, side_limit
from actcli.errors import AnalysisError, UsageError
from actcli.expr import X, Y
from actcli.functions import simplify
from actcli.options import MAX_DERIVATIVE_ORDER
from actcli.pieces import (
    active_branch_at,
    default_values,
    intervals,
    probe_between,
    to_piecewise,
    with_values,
)
from actcli.supervisor import progress
from actcli.tidy import tidy

MAX_ORDER = MAX_DERIVATIVE_ORDER


@dataclass(frozen=True)
class Case:
    """One piece of a result: `expression` holds on the open interval (lower, upper)."""

    lower: Any  # SymPy number or expression, -oo for none
    upper: Any
    expression: Any

    def condition(self) -> str:
        lower, upper = self.lower, self.upper
        if lower == -sympy.oo and upper == sympy.oo:
            return "all x"
        if lower == -sympy.oo:
            return f"x < {sympy.sstr(upper)}"
        if upper == sympy.oo:
            return f"x > {sympy.sstr(lower)}"
        return f"{sympy.sstr(lower)} < x < {sympy.sstr(upper)}"


@dataclass(frozen=True)
class PointValue:
    """At a breakpoint: the result's one-sided limits, and whether it exists there.

    `exists` is True, False, or None when it depends on the parameters (`condition` says when).
    """

    x: Any
    left: Any
    right: Any
    exists: bool | None
    condition: Any = None
    reason: str = ""

    def condition_text(self) -> str:
        """`alpha = 1` rather than SymPy's `Eq(alpha, 1)`."""
        return condition_text(self.condition)


def condition_text(condition: Any) -> str:
    if isinstance(condition, sympy.Eq):
        return f"{sympy.sstr(condition.lhs)} = {sympy.sstr(condition.rhs)}"
    if isinstance(condition, sympy.And | sympy.Or):
        joiner = " and " if isinstance(condition, sympy.And) else " or "
        return joiner.join(condition_text(arg) for arg in condition.args)
    return sympy.sstr(condition)


@dataclass(frozen=True)
class Derivative:
    """d^order f / d wrt^order, as cases between breakpoints."""

    activation: str
    params: dict[str, Any]  # the substituted parameters (exact); the others stay symbolic
    order: int
    wrt: str
    cases: tuple[Case, ...]
    points: tuple[PointValue, ...]
    in_terms_of_output: bool = False

    def expression(self) -> sympy.Expr:
        """The result as one SymPy expression (a Piecewise when there are several cases)."""
        if len(self.cases) == 1:
            return self.cases[0].expression
        branches = []
        for case in self.cases[:-1]:
            branches.append((case.expression, X < case.upper))
        branches.append((self.cases[-1].expression, True))
        return sympy.Piecewise(*branches)

    @property
    def undefined_at(self) -> tuple[PointValue, ...]:
        return tuple(p for p in self.points if p.exists is not True)


def derivative(
    activation: Activation,
    order: int = 1,
    wrt: str = "x",
    *,
    symbolic: Collection[str] = (),
) -> Derivative:
    """The order-th derivative of the definition w.r.t. `x` or a parameter.

    Args:
        symbolic: parameters kept as symbols over their domains; the others take their values
            from `activation`. Breakpoints are ordered, and pieces chosen, at those values.
    """
    if not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order {order}: must be between 1 and {MAX_ORDER}")
    if activation.kind != "scalar":
        raise UsageError(f"{activation.name} is a vector activation: use its Jacobian")
    variable = X if wrt == "x" else activation.symbols.get(wrt)
    if variable is None:
        known = ", ".join(("x", *activation.spec.parameter_names))
        raise UsageError(f"--wrt {wrt}: not x or a parameter of {activation.name} ({known})")
    # by a parameter given a value: differentiated as a symbol, then put at its value (once
    # substituted, d/dalpha of elu at alpha = 2 was 0)
    held = wrt == "x" or wrt in symbolic
    definition = to_piecewise(with_values(activation, symbolic if held else [*symbolic, wrt]))
    at_value = {} if held else {variable: activation.values[wrt]}
    pieces = intervals(definition, activation)
    cases = []
    for index, (lower, upper, probe) in enumerate(pieces):
        branch = active_branch_at(definition, activation, probe)
        for k in range(1, order + 1):
            result = tidy_derivative(branch, variable, k)
            progress(index * order + k, len(pieces) * order, "derivatives (piece x order)")
        if at_value:
            lower, upper, result = lower.subs(at_value), upper.subs(at_value), result.subs(at_value)
            result = tidy(result)
        cases.append(Case(lower, upper, result))
    points = []
    for index in range(1, len(pieces)):
        point = pieces[index][0]
        if wrt != "x":  # by a parameter: cases may merge wherever their formulas agree
            points.append(PointValue(point.subs(at_value), None, None, True))
            continue
        left = active_branch_at(definition, activation, pieces[index - 1][2])
        right = active_branch_at(definition, activation, pieces[index][2])
        points.append(point_value(point, left, right, order, activation))
    merged = _merge(cases, points)
    return Derivative(
        activation.name,
        {k: v for k, v in activation.values.items() if k not in symbolic},
        order,
        wrt,
        tuple(merged),
        tuple(p for p in points if wrt == "x" and _kept(p, merged)),
    )


@lru_cache(maxsize=512)
def tidy_derivative(expression: sympy.Expr, variable: sympy.Symbol, order: int) -> sympy.Expr:
    """d^order expression / d variable^order, one order at a time from the tidied form of the
    one before (shorter results), memoised per (expression, variable, order): the third
    derivative after the second costs one differentiation and one tidy."""
    lower = expression if order == 1 else tidy_derivative(expression, variable, order - 1)
    return tidy(sympy.diff(lower, variable))


def in_terms_of_output(activation: Activation, *, symbolic: Collection[str] = ()) -> Derivative:
    """f' as g(y) with y = f(x), piece by piece.

    Raises:
        AnalysisError: on a piece where f is not one-to-one (GELU, SiLU) or y = f(x) has no
            solution SymPy can find; the message names the piece.
    """
    first = derivative(activation, 1, symbolic=symbolic)
    definition = to_piecewise(with_values(activation, symbolic))
    cases = []
    for case in first.cases:
        probe = probe_between(case.lower, case.upper, activation)
        branch = active_branch_at(definition, activation, probe)
        if not branch.has(X):  # f constant here: f' is that constant's derivative, 0
            cases.append(Case(case.lower, case.upper, case.expression))
            continue
        _require_monotone(sympy.diff(branch, X), case, probe, activation)
        solution = _inverse(branch, case, probe, activation)
        cases.append(
            Case(case.lower, case.upper, tidy(case.expression.subs(X, solution), thorough=True))
        )
        if cases[-1].expression.has(X):
            raise AnalysisError(f"no expression in y alone for f' on {case.condition()}")
    return Derivative(
        first.activation,
        first.params,
        1,
        "x",
        tuple(cases),
        first.points,
        in_terms_of_output=True,
    )


def point_value(
    point: Any, left: sympy.Expr, right: sympy.Expr, order: int, activation: Activation
) -> PointValue:
    """Whether d^order/dx^order exists at a breakpoint: f..f^(order) must all be continuous."""
    jumps = []
    for k in range(order + 1):
        left_k = _side_value(sympy.diff(left, X, k), point, "-")
        right_k = _side_value(sympy.diff(right, X, k), point, "+")
        jumps.append((k, left_k, right_k, tidy(left_k - right_k)))
    left_value, right_value = jumps[-1][1], jumps[-1][2]
    if any(jump.has(sympy.nan) for *_, jump in jumps):  # a one-sided limit not found: no verdict
        return PointValue(point, left_value, right_value, None, None, UNDECIDED)
    nonzero = [(k, jump) for k, _, _, jump in jumps if jump != 0]
    if not nonzero:
        return PointValue(point, left_value, right_value, True)
    conditions = []
    for k, jump in nonzero:
        solutions = sympy.solve(jump, sorted(jump.free_symbols, key=str), dict=True)
        if not solutions:  # never continuous, for any parameter values in their domains
            reason = "f jumps there" if k == 0 else f"f^({k}) jumps there" if k < order else ""
            return PointValue(point, left_value, right_value, False, None, reason)
        conditions.append(
            sympy.Or(*(sympy.And(*(sympy.Eq(k_, v) for k_, v in sol.items())) for sol in solutions))
        )
    condition = simplify(sympy.And(*conditions))
    if condition is sympy.false:
        return PointValue(point, left_value, right_value, False)
    return PointValue(point, left_value, right_value, None, condition)


UNDECIDED = "a one-sided limit there was not found"  # |x|**p at 0 with p symbolic: nan, nan


def _side_value(expression: Any, point: Any, direction: str) -> Any:
    """A branch's value at a breakpoint from one side: the value there, or where that is no
    number (0/0: 3*(-x)**(3/2)/(2*x) at 0, f' of |x|**1.5 from the left) its one-sided limit
    (`domain.side_limit`; nan where none is found)."""
    value = tidy(expression.subs(X, point))
    if not value.has(sympy.nan, sympy.zoo):
        return value
    limit = side_limit(expression, point, direction, Budget(2 * LIMIT_SECONDS))
    if limit.kind == "value":
        return tidy(limit.value)
    return {"oo": sympy.oo, "-oo": -sympy.oo}.get(limit.kind, value)


def _merge(cases: list[Case], points: list[PointValue]) -> list[Case]:
    """Join neighbouring cases whose formulas are equal and whose shared point is not a kink."""
    merged = [cases[0]]
    for case, point in zip(cases[1:], points, strict=True):
        previous = merged[-1]
        same = _equal(previous.expression, case.expression)
        if same and point.exists is True:
            merged[-1] = Case(previous.lower, case.upper, previous.expression)
        else:
            merged.append(case)
    return merged


def _kept(point: PointValue, cases: list[Case]) -> bool:
    """A breakpoint still separates two cases, or the result does not exist there."""
    return point.exists is not True or any(case.upper == point.x for case in cases[:-1])


def _equal(a: sympy.Expr, b: sympy.Expr) -> bool:
    try:
        return simplify(a - b) == 0
    except (TypeError, ValueError):
        return False


def _require_monotone(slope: sympy.Expr, case: Case, probe: float, activation: Activation) -> None:
    """f must be one-to-one on the piece for g(y) to exist: f' may not change sign there."""
    values = default_values(activation)
    numeric = sympy.lambdify(X, slope.subs(values), "mpmath")
    low = -50.0 if case.lower == -sympy.oo else float(sympy.N(case.lower.subs(values)))
    high = 50.0 if case.upper == sympy.oo else float(sympy.N(case.upper.subs(values)))
    samples = [low + (high - low) * (k + 0.5) / 400 for k in range(400)]
    signs = {math.copysign(1, float(numeric(x))) for x in samples if float(numeric(x)) != 0}
    if len(signs) > 1:
        changes = [
            a
            for a, b in zip(samples, samples[1:], strict=False)
            if float(numeric(a)) * float(numeric(b)) < 0
        ]
        raise AnalysisError(
            f"f' is not a function of y = f(x) on {case.condition()}: f is not one-to-one there "
            f"(f' changes sign near x = {changes[0]:.4g})"
        )


def _inverse(branch: sympy.Expr, case: Case, probe: float, activation: Activation) -> Any:
    """x in terms of y on this piece: the solution of y = branch(x) that returns x at the probe
    and near both ends of the piece. SymPy writes the cube root of x**3 = y as y**(1/3), not
    real for y < 0 (f' was 3*y**(2/3)): odd roots are also tried as real roots."""
    values = default_values(activation)
    if sympy.count_ops(branch) > 60:
        raise AnalysisError(f"f is too complicated to invert on {case.condition()}")
    try:
        solutions = sympy.solve(sympy.Eq(Y, branch), X)
    except (NotImplementedError, ValueError):
        solutions = []
    points = _spread(case, probe, values)
    for solution in solutions:
        for candidate in (solution, _real_odd_roots(solution)):
            if all(_returns(candidate.subs(values), branch.subs(values), x) for x in points):
                return candidate
    raise AnalysisError(f"no closed form for x in terms of y = f(x) on {case.condition()}")


def _spread(case: Case, probe: float, values: Mapping[Any, Any]) -> list[float]:
    """The probe and two points near the ends of the piece (10 + |probe| out where infinite)."""
    reach = 10.0 + abs(probe)
    ends = []
    for end, away in ((case.lower, -reach), (case.upper, reach)):
        value = sympy.sympify(end).subs(values)
        ends.append(float(value) if value.is_finite else probe + away)
    low, high = ends
    return [probe, low + (high - low) / 20, high - (high - low) / 20]


def _returns(solution: Any, branch: Any, x: float) -> bool:
    """Whether x(y) gives back x at y = branch(x)."""
    back = complex(sympy.N(solution.subs(Y, branch.subs(X, x))))
    return abs(back.imag) < 1e-9 and abs(back.real - x) < 1e-9 * max(1, abs(x))


def _real_odd_roots(expression: Any) -> Any:
    """u**(p/q) with q odd as the real root's p-th power: sign(u)*|u|**(1/q), to the p."""
    return expression.replace(
        lambda n: n.is_Pow and n.exp.is_Rational and n.exp.q % 2 == 1 and n.exp.q > 1,
        lambda n: (sympy.sign(n.base) * abs(n.base) ** sympy.Rational(1, n.exp.q)) ** n.exp.p,
    )
