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
from typing import TYPE_CHECKING, Any

from actcli.errors import AnalysisError, UsageError

if TYPE_CHECKING:
    import sympy

    from actcli.activation import Activation
    from actcli.spec import Spec

MAX_ORDER = 10
SIMPLIFY_BUDGET = 40  # count_ops above which results are left as differentiated


@dataclass(frozen=True)
class Case:
    """One piece of a result: `expression` holds on the open interval (lower, upper)."""

    lower: Any  # SymPy number or expression, -oo for none
    upper: Any
    expression: Any

    def condition(self) -> str:
        import sympy

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
    import sympy

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
        import sympy

        from actcli.expr import X

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
    import sympy

    from actcli.activation import to_piecewise
    from actcli.expr import X

    if not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order {order}: must be between 1 and {MAX_ORDER}")
    if activation.kind != "scalar":
        raise UsageError(f"{activation.name} is a vector activation: use its Jacobian")
    definition = to_piecewise(with_values(activation, symbolic))
    variable = X if wrt == "x" else activation.symbols.get(wrt)
    if variable is None:
        known = ", ".join(("x", *activation.spec.parameter_names))
        raise UsageError(f"--wrt {wrt}: not x or a parameter of {activation.name} ({known})")
    pieces = intervals(definition, activation)
    cases = []
    for lower, upper, probe in pieces:
        branch = active_branch_at(definition, activation, probe)
        for _ in range(order):  # one order at a time from the tidied form: shorter results
            branch = tidy(sympy.diff(branch, variable))
        cases.append(Case(lower, upper, branch))
    points = []
    for index in range(1, len(pieces)):
        point = pieces[index][0]
        if wrt != "x":  # by a parameter: cases may merge wherever their formulas agree
            points.append(PointValue(point, None, None, True))
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


def in_terms_of_output(activation: Activation, *, symbolic: Collection[str] = ()) -> Derivative:
    """f' as g(y) with y = f(x), piece by piece.

    Raises:
        AnalysisError: on a piece where f is not one-to-one (GELU, SiLU) or y = f(x) has no
            solution SymPy can find; the message names the piece.
    """
    import sympy

    from actcli.activation import to_piecewise
    from actcli.expr import X

    first = derivative(activation, 1, symbolic=symbolic)
    definition = to_piecewise(with_values(activation, symbolic))
    cases = []
    for case in first.cases:
        probe = _probe_between(case.lower, case.upper, activation)
        branch = active_branch_at(definition, activation, probe)
        if not branch.has(X):  # f constant here: f' is that constant's derivative, 0
            cases.append(Case(case.lower, case.upper, case.expression))
            continue
        _require_monotone(sympy.diff(branch, X), case, probe, activation)
        solution = _inverse(branch, case, probe, activation)
        cases.append(Case(case.lower, case.upper, tidy(case.expression.subs(X, solution))))
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


# -- pieces ------------------------------------------------------------------------------


def with_values(activation: Activation, symbolic: Collection[str] = ()) -> sympy.Expr:
    """The definition with every parameter but those in `symbolic` given its value."""
    values = {activation.symbols[k]: v for k, v in activation.values.items() if k not in symbolic}
    return activation.symbolic().subs(values)


def default_values(activation: Activation) -> dict[Any, Any]:
    """Parameter symbol -> value used to order breakpoints and pick probe points."""
    return {activation.symbols[name]: v for name, v in activation.values.items()}


def intervals(definition: sympy.Expr, activation: Activation) -> list[tuple[Any, Any, float]]:
    """(lower, upper, probe) for each interval between breakpoints, left to right."""
    import sympy

    points = symbolic_breakpoints(definition, activation)
    edges = [-sympy.oo, *points, sympy.oo]
    return [
        (lower, upper, _probe_between(lower, upper, activation))
        for lower, upper in zip(edges, edges[1:], strict=False)
    ]


def symbolic_breakpoints(definition: sympy.Expr, activation: Activation) -> list[Any]:
    """x where a Piecewise condition switches, possibly in terms of parameters, sorted by value
    at the parameters' values."""
    import sympy

    from actcli.expr import X

    found: dict[float, Any] = {}
    values = default_values(activation)
    for piecewise in definition.atoms(sympy.Piecewise):
        for _, condition in piecewise.args:
            for relation in condition.atoms(sympy.core.relational.Relational):
                boundary = relation.lhs - relation.rhs
                if X not in boundary.free_symbols:
                    continue
                try:
                    solutions = sympy.solve(boundary, X)
                except NotImplementedError:
                    solutions = numeric_roots(boundary.subs(values))
                for solution in solutions:
                    number = complex(sympy.N(solution.subs(values)))
                    if abs(number.imag) < 1e-12:
                        found.setdefault(round(number.real, 12), sympy.simplify(solution))
    return [found[key] for key in sorted(found)]


def numeric_roots(expression: Any, low: float = -100.0, high: float = 100.0) -> list[Any]:
    """Real roots of an expression in x where SymPy's solve gives up: sign changes on a grid,
    refined by bisection (Brent). They come back as SymPy Floats, which marks them numeric."""
    import numpy as np
    import sympy
    from scipy.optimize import brentq

    from actcli.numeric import compile_scalar

    function = compile_scalar(expression)
    grid = np.linspace(low, high, 200001)
    values = function(grid)
    roots = []
    for a, b, fa, fb in zip(grid, grid[1:], values, values[1:], strict=False):
        if fa == 0:
            roots.append(sympy.Float(float(a), 17))
        elif np.isfinite(fa) and np.isfinite(fb) and fa * fb < 0:
            root = brentq(lambda t: float(function(np.array([t]))[0]), a, b, xtol=1e-15)
            roots.append(sympy.Float(root, 17))
    return roots


def _probe_between(lower: Any, upper: Any, activation: Activation) -> float:
    import sympy

    values = default_values(activation)
    low = -math.inf if lower == -sympy.oo else float(sympy.N(sympy.sympify(lower).subs(values)))
    high = math.inf if upper == sympy.oo else float(sympy.N(sympy.sympify(upper).subs(values)))
    if math.isinf(low) and math.isinf(high):
        return 0.5
    if math.isinf(low):
        return high - 1.0
    if math.isinf(high):
        return low + 1.0
    return (low + high) / 2


def active_branch_at(expression: sympy.Expr, activation: Activation, probe: float) -> sympy.Expr:
    """Every Piecewise replaced by its branch that holds at x = probe (parameters at their
    values for deciding, kept symbolic in the result)."""
    import sympy

    from actcli.expr import X

    values = default_values(activation)
    point = sympy.Float(probe, 30)

    def choose(piecewise: sympy.Piecewise) -> sympy.Expr:
        for value, condition in piecewise.args:
            if bool(condition.subs(values).subs(X, point)):
                return value
        raise AnalysisError(f"no piece of {activation.name} covers x = {probe}")

    return expression.replace(lambda node: isinstance(node, sympy.Piecewise), choose)


def point_value(
    point: Any, left: sympy.Expr, right: sympy.Expr, order: int, activation: Activation
) -> PointValue:
    """Whether d^order/dx^order exists at a breakpoint: f..f^(order) must all be continuous."""
    import sympy

    from actcli.expr import X

    jumps = []
    for k in range(order + 1):
        left_k = tidy(sympy.diff(left, X, k).subs(X, point))
        right_k = tidy(sympy.diff(right, X, k).subs(X, point))
        jumps.append((k, left_k, right_k, tidy(left_k - right_k)))
    left_value, right_value = jumps[-1][1], jumps[-1][2]
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
    condition = sympy.simplify(sympy.And(*conditions))
    if condition is sympy.false:
        return PointValue(point, left_value, right_value, False)
    return PointValue(point, left_value, right_value, None, condition)


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
    import sympy

    try:
        return sympy.simplify(a - b) == 0
    except (TypeError, ValueError):
        return False


def _require_monotone(slope: sympy.Expr, case: Case, probe: float, activation: Activation) -> None:
    """f must be one-to-one on the piece for g(y) to exist: f' may not change sign there."""
    import sympy

    from actcli.expr import X

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
    """x in terms of y on this piece: the solution of y = branch(x) that returns the probe."""
    import sympy

    from actcli.expr import X, Y

    values = default_values(activation)
    if sympy.count_ops(branch) > 60:
        raise AnalysisError(f"f is too complicated to invert on {case.condition()}")
    try:
        solutions = sympy.solve(sympy.Eq(Y, branch), X)
    except (NotImplementedError, ValueError):
        solutions = []
    y_probe = branch.subs(values).subs(X, probe)
    for solution in solutions:
        back = complex(sympy.N(solution.subs(values).subs(Y, y_probe)))
        if abs(back.imag) < 1e-9 and abs(back.real - probe) < 1e-9 * max(1, abs(probe)):
            return solution
    raise AnalysisError(f"no closed form for x in terms of y = f(x) on {case.condition()}")


# -- presentation --------------------------------------------------------------------------


def tidy(expression: Any) -> Any:
    """A form a person would write: simplified, sigmoid(u) recognised where it makes the result
    shorter, and no hyperbolic or other functions the input did not have."""
    import sympy

    from actcli.functions import to_elementary

    expression = sympy.sympify(expression)
    if not expression.free_symbols:
        return sympy.nsimplify(expression) if expression.is_Float else sympy.simplify(expression)
    allowed = _function_kinds(expression) | {"sigmoid", "softplus"}
    recognised = _with_softplus(expression)
    candidates = [expression, recognised]
    if sympy.count_ops(expression) <= SIMPLIFY_BUDGET:  # simplify is slow on big expressions
        try:
            simple = sympy.simplify(expression)
            elementary = sympy.simplify(to_elementary(expression))
            exponential = sympy.simplify(expression.rewrite(sympy.exp))
            candidates += [simple, elementary, exponential, sympy.factor(simple)]
            candidates += [_with_sigmoid(c) for c in (recognised, elementary, exponential)]
        except (TypeError, ValueError, RecursionError, NotImplementedError):
            pass

    def cost(candidate: Any) -> tuple[int, int]:
        foreign = len(_function_kinds(candidate) - allowed)
        return (sympy.count_ops(candidate) + 4 * foreign, len(str(candidate)))

    return _absorb_sign(min(candidates, key=cost))


def _absorb_sign(expression: Any) -> Any:
    """-(s - 1)*s -> s*(1 - s): move a leading minus into a two-term factor."""
    import sympy

    if not (expression.is_Mul and expression.could_extract_minus_sign()):
        return expression
    for factor in expression.args:
        if factor.is_Add and len(factor.args) == 2:
            rest = sympy.Mul(*(a for a in expression.args if a is not factor))
            return sympy.Mul(-rest, -factor, evaluate=False)
    return expression


def _function_kinds(expression: Any) -> set[str]:
    import sympy

    return {type(f).__name__ for f in expression.atoms(sympy.Function)}


def _with_softplus(expression: Any) -> Any:
    """log(1 + exp(u)) -> softplus(u), exp(u)/(exp(u) + 1) and 1/(1 + exp(-u)) -> sigmoid(u)."""
    import sympy

    from actcli.functions import sigmoid, softplus

    u = sympy.Wild("u")
    expression = expression.replace(sympy.log(1 + sympy.exp(u)), softplus(u))
    expression = expression.replace(sympy.exp(u) / (sympy.exp(u) + 1), sigmoid(u))
    expression = expression.replace(1 / (1 + sympy.exp(u)), sigmoid(-u))
    rest = sympy.Wild("rest")
    return expression.replace(rest * sympy.exp(u) * sigmoid(-u), rest * sigmoid(u))


def _with_sigmoid(expression: Any) -> Any:
    """exp(a) written through s = sigmoid(a) (exp(a) = s/(1 - s)) or s = sigmoid(-a), when one
    of them makes the expression shorter."""
    import sympy

    from actcli.functions import sigmoid

    best = expression
    for atom in expression.atoms(sympy.exp):
        a = atom.args[0]
        s = sympy.Dummy("s", positive=True)
        for u, replacement in ((a, s / (1 - s)), (-a, (1 - s) / s)):
            replaced = expression.subs(atom, replacement)
            if replaced.has(sympy.exp) or sympy.count_ops(replaced) > SIMPLIFY_BUDGET:
                continue
            candidate = sympy.factor(sympy.simplify(replaced)).subs(s, sigmoid(u))
            if sympy.count_ops(candidate) < sympy.count_ops(best):
                best = candidate
    return best


# -- the command ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeriveResult:
    """What `actcli derive` prints: a derivative, a Jacobian, or why no g(y) exists."""

    activation: str
    params: dict[str, Any]
    order: int
    wrt: str
    derivative: Derivative | None = None
    jacobian: Any = None  # actcli.jacobian.Jacobian for vector kinds
    no_output_form: str = ""  # why f' is not a function of y, when asked for one
    code: str = ""  # --format python / c

    def to_json(self) -> dict[str, Any]:
        import sympy

        from actcli.api import json_number

        data: dict[str, Any] = {
            "activation": self.activation,
            "params": {k: json_number(float(v)) for k, v in self.params.items()},
            "order": self.order,
            "wrt": self.wrt,
        }
        if self.jacobian is not None:
            jac = self.jacobian
            data.update(
                {
                    "expression": sympy.sstr(jac.in_y if jac.in_y is not None else jac.in_x),
                    "jacobian": sympy.sstr(jac.in_x),
                    "jacobian_in_outputs": None if jac.in_y is None else sympy.sstr(jac.in_y),
                    "latex": sympy.latex(jac.in_y if jac.in_y is not None else jac.in_x),
                    "note": jac.note,
                    "matrix": None
                    if jac.matrix is None
                    else [[sympy.sstr(e) for e in row] for row in jac.matrix.tolist()],
                }
            )
            return data
        result = self.derivative
        data["in_terms_of_output"] = bool(result and result.in_terms_of_output) or bool(
            self.no_output_form
        )
        if result is None:
            data.update({"expression": None, "reason": self.no_output_form})
            return data
        data.update(
            {
                "expression": sympy.sstr(result.expression()),
                "latex": sympy.latex(result.expression()),
                "pieces": [
                    {"when": c.condition(), "expression": sympy.sstr(c.expression)}
                    for c in result.cases
                ],
                "undefined_at": [
                    {
                        "x": sympy.sstr(p.x),
                        "left": sympy.sstr(p.left),
                        "right": sympy.sstr(p.right),
                        "exists_when": None if p.condition is None else p.condition_text(),
                    }
                    for p in result.undefined_at
                ],
            }
        )
        return data


def derive(
    spec: Spec,
    params: Mapping[str, str] | None = None,
    *,
    order: int = 1,
    wrt: str = "x",
    output: bool = False,
    n: int | None = None,
    language: str | None = None,
) -> DeriveResult:
    """`actcli derive`: parameters given in `params` are substituted, the others stay symbolic.

    `language` ("python" or "c") asks for code of f and its derivatives up to `order` instead
    (all parameters at their values).
    """
    from actcli.activation import bind

    activation = bind(spec, params)
    symbolic = [name for name in spec.parameter_names if name not in (params or {})]
    bound = {k: v for k, v in activation.values.items() if k not in symbolic}
    if language is not None:
        from actcli.codegen import generate_code

        code = generate_code(activation, list(range(order + 1)), language)
        return DeriveResult(spec.name, dict(activation.values), order, wrt, code=code)
    if spec.kind == "vector":
        from actcli.jacobian import jacobian

        if order != 1 or wrt != "x" or output:
            raise UsageError("vector activations: derive gives the first-order Jacobian only")
        return DeriveResult(spec.name, bound, 1, "x", jacobian=jacobian(activation, n))
    if n is not None:
        raise UsageError("--n is for vector activations")
    if output:
        if order != 1 or wrt != "x":
            raise UsageError("--in-terms-of-output is for the first derivative by x")
        try:
            result = in_terms_of_output(activation, symbolic=symbolic)
        except AnalysisError as exc:
            return DeriveResult(spec.name, bound, 1, "x", no_output_form=str(exc))
        return DeriveResult(spec.name, bound, 1, "x", derivative=result)
    result = derivative(activation, order, wrt, symbolic=symbolic)
    return DeriveResult(spec.name, bound, order, wrt, derivative=result)
