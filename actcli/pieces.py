"""Piecewise structure: where a definition switches branches, and which branch holds where.

Everything that reasons piece by piece (derivatives, smoothness, properties, checks, tables,
plots) starts here: max/min/abs/sign/heaviside rewritten as Piecewise, the breakpoints (exact,
possibly in terms of parameters, ordered at the parameters' values), the open intervals between
them with a probe point inside each, and the branch active at a probe. The functions take any
bound activation (an object with `name`, `symbols` and `values`, see `Bound`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Mapping
from typing import Any, Protocol

import mpmath
import numpy as np
import sympy

from actcli.budget import Budget, bounded
from actcli.compiler import compile_scalar
from actcli.deferred import scipy_optimize
from actcli.errors import ActcliError, AnalysisError, ResourceLimitError
from actcli.expr import X
from actcli.functions import beyond_solvers, simplify, to_elementary
from actcli.numeric import ScalarFunction
from actcli.proofs import is_zero

SOLVE_SECONDS = 2.0
ROOT_DIGITS = 120  # numerically found roots, refined by mpmath (`refined_zero`)
MAX_BRANCH_COMBINATIONS = 1024  # folding is exponential in the number of separate kinks
MAX_CANONICAL_PIECES = 200  # above this a definition keeps its conditions as written
KINKS = (sympy.Max, sympy.Min, sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Piecewise)


class Bound(Protocol):
    """What the piecewise machinery needs of an activation: its parameters' symbols and values."""

    name: str
    symbols: Mapping[str, Any]
    values: Mapping[str, Any]

    def symbolic(self) -> Any: ...


def to_piecewise(expression: sympy.Expr) -> sympy.Expr:
    """Rewrite max/min/abs/sign/heaviside as Piecewise and fold nested Piecewise.

    Differentiating the folded form never produces DiracDelta or a Heaviside(0) convention, and
    its conditions are where the breakpoints are.
    """
    kinds = (sympy.Max, sympy.Min, sympy.Abs, sympy.sign, sympy.Heaviside)
    if not expression.has(*kinds):
        return expression
    _check_fold_cost(expression)
    # 1/sign(u) is sign(u) wherever it is defined; as written its zoo at u = 0 ends up in
    # conditions (zoo*x <= 1) that SymPy's folding cannot compare (x/sign(x) inside a max)
    expression = expression.replace(
        lambda node: node.is_Pow and isinstance(node.base, sympy.sign) and node.exp == -1,
        lambda node: node.base,
    )
    rewritten = expression.replace(lambda node: isinstance(node, kinds), _as_piecewise)
    try:
        return sympy.piecewise_fold(rewritten)
    except (TypeError, ValueError) as exc:  # SymPy's own comparisons failing inside the fold
        raise AnalysisError(
            f"SymPy cannot fold {sympy.sstr(expression)} into one piecewise definition ({exc})"
        ) from None


def _as_piecewise(node: sympy.Expr) -> sympy.Expr:
    """max/min/abs/sign/heaviside as a Piecewise. SymPy rewrites abs(u) and sign(u) only where
    it knows u real, which it does not for sqrt(x) - 1 or log(x) (real only where f is: the
    real domain is handled apart); left as they were, their kinks went unseen (sign(log(x))
    was Cinf) and their derivatives were unevaluated Derivative or complex-valued forms."""
    rewritten = node.rewrite(sympy.Piecewise)
    if rewritten != node or not isinstance(node, (sympy.Abs, sympy.sign)):
        return rewritten
    (u,) = node.args
    if isinstance(node, sympy.Abs):
        return sympy.Piecewise((u, u >= 0), (-u, True))
    return sympy.Piecewise((1, u > 0), (-1, u < 0), (0, True))


def _check_fold_cost(expression: sympy.Expr) -> None:
    """Refuse before folding what cannot finish: the folded form can have as many pieces as
    the product of the branch counts of the separate kinks (100 abs terms: 2**100)."""
    nodes = [node for node in expression.atoms(*KINKS) if node.has(X)]
    combinations = 1
    for node in nodes:
        branches = (
            len(node.args) if isinstance(node, (sympy.Piecewise, sympy.Max, sympy.Min)) else 2
        )
        combinations *= branches + (1 if isinstance(node, sympy.sign) else 0)
        if combinations > MAX_BRANCH_COMBINATIONS:
            raise ResourceLimitError(
                f"{len(nodes)} max/min/abs/sign/heaviside/piecewise terms in x make up to "
                f"{combinations:,}+ combinations of branches; folding them into one piecewise "
                f"definition is limited to {MAX_BRANCH_COMBINATIONS} (write fewer separate kinks, "
                "e.g. one piecewise with explicit pieces)"
            )


def with_values(activation: Bound, symbolic: Collection[str] = ()) -> sympy.Expr:
    """The definition with every parameter but those in `symbolic` given its value."""
    values = {activation.symbols[k]: v for k, v in activation.values.items() if k not in symbolic}
    return activation.symbolic().subs(values)


def default_values(activation: Bound) -> dict[Any, Any]:
    """Parameter symbol -> value used to order breakpoints and pick probe points."""
    return {activation.symbols[name]: v for name, v in activation.values.items()}


def intervals(definition: sympy.Expr, activation: Bound) -> list[tuple[Any, Any, float]]:
    """(lower, upper, probe) for each interval between breakpoints, left to right."""
    points = symbolic_breakpoints(definition, activation)
    edges = [-sympy.oo, *points, sympy.oo]
    return [
        (lower, upper, probe_between(lower, upper, activation))
        for lower, upper in zip(edges, edges[1:], strict=False)
    ]


def symbolic_breakpoints(definition: sympy.Expr, activation: Bound) -> list[Any]:
    """x where a Piecewise condition switches, possibly in terms of parameters, sorted by value
    at the parameters' values."""
    values = default_values(activation)
    return list(_breakpoints(definition, tuple(sorted(values.items(), key=str)))[0])


def breakpoints_at_values_only(definition: sympy.Expr, activation: Bound) -> bool:
    """Whether `symbolic_breakpoints` with parameters in the boundaries may hold at the
    parameters' values only: a boundary's solution in the parameters was not real there (for
    exp(x) - x = a, -a - W(-exp(-a)) is real for a >= 1 only: no cut at a = 1/2, two at a = 2),
    or its roots were found numerically, at those values."""
    values = default_values(activation)
    return _breakpoints(definition, tuple(sorted(values.items(), key=str)))[1]


@functools.lru_cache(maxsize=128)
def _breakpoints(
    definition: sympy.Expr, items: tuple[tuple[Any, Any], ...]
) -> tuple[tuple[Any, ...], bool]:
    """`symbolic_breakpoints` and `breakpoints_at_values_only`, remembered: an activation's
    kinks, table, plot and checks all ask, and solving a boundary SymPy cannot solve runs into
    its time limit each time."""
    found: dict[float, Any] = {}
    at_values_only = False
    values = dict(items)
    for piecewise in definition.atoms(sympy.Piecewise):
        for _, condition in piecewise.args:
            for relation in condition.atoms(sympy.core.relational.Relational):
                boundary = relation.lhs - relation.rhs
                if X not in boundary.free_symbols:
                    continue
                # the condition switches where the boundary crosses 0, or jumps across it at a
                # pole (heaviside(1/x) switches at 0): zeros of numerator and denominator
                numerator, denominator = sympy.fraction(sympy.together(boundary))
                for part in (numerator, denominator):
                    if X not in part.free_symbols:
                        continue
                    for solution in _zeros(part, values):
                        number = complex(sympy.N(solution.subs(values)))
                        if abs(number.imag) < 1e-12:
                            found.setdefault(round(number.real, 12), simplify(solution))
                        at_values_only |= _at_values_only(part, solution, number)
    return tuple(found[key] for key in sorted(found)), at_values_only


def _at_values_only(part: Any, solution: Any, number: complex) -> bool:
    """Whether a zero of a boundary with parameters is one at their values only: in terms of
    the parameters but not real there, or a number (found numerically at the values) that is
    no zero for every value of them."""
    if not (part.free_symbols - {X}):
        return False
    if solution.free_symbols:
        return abs(number.imag) >= 1e-12
    return not is_zero(part.subs(X, solution))


def _zeros(expression: Any, values: Mapping[Any, Any]) -> list[Any]:
    """Real zeros of an expression in x: SymPy's solve, unless solveset sees infinitely many
    (a periodic boundary such as sin(x), where solve lists only a few: then no finite list of
    breakpoints describes the function, and the analysis refuses); numeric where SymPy fails.
    Where solveset leaves an equation unsolved, solve's list need not be complete (it gives
    one of the two roots of exp(x) - x - 2, and none of 10**6*(x - sin(x) - 10)**2 - 1):
    the numeric roots it lacks are added.
    """
    if beyond_solvers(expression, X):
        return numeric_roots(expression.subs(values))
    unsolved = False
    if not (expression.free_symbols - {X}):
        found = bounded(
            lambda: sympy.solveset(expression, X, sympy.S.Reals), SOLVE_SECONDS, Budget(5.0)
        )
        if isinstance(found, sympy.FiniteSet):
            return list(found)
        if found is sympy.S.EmptySet:
            return []
        if found is not None and found.has(sympy.ImageSet):
            raise AnalysisError(
                f"{sympy.sstr(expression)} = 0 has infinitely many solutions: no finite list "
                "of breakpoints describes this activation"
            )
        unsolved = found is None or found.has(sympy.ConditionSet)
    solved = bounded(lambda: sympy.solve(expression, X), SOLVE_SECONDS, Budget(SOLVE_SECONDS))
    if solved is None:  # NotImplementedError, or no end (exp(x) - 1 - x = 1e-20: minutes)
        return numeric_roots(expression.subs(values))
    if not (expression.free_symbols - {X}):  # with parameters its realness is SymPy's guess
        solved += _other_lambert_branches(expression, solved)
        return _completed(solved, numeric_roots(expression), {}) if unsolved else solved
    if _radical_solvable(expression):
        return solved
    # in the parameters solve's list can be empty (x**5 + x = a: []) or partial: the roots
    # at the values that none of its solutions gives there are added
    return _completed(solved, numeric_roots(expression.subs(values)), values)


def _radical_solvable(expression: Any) -> bool:
    """A polynomial in x of degree at most 4: solve gives all its roots in radicals."""
    try:
        return sympy.Poly(expression, X).degree() <= 4
    except sympy.PolynomialError:
        return False


def _other_lambert_branches(expression: Any, solved: list[Any]) -> list[Any]:
    """Each solution in Lambert's W on its principal branch, also on the branch k = -1 where
    that is proven a root: solve gives -a - W(-exp(-a)) for exp(x) - x = a and leaves out
    -a - W_-1(-exp(-a)), the other real root for a > 1 (a breakpoint lost with the
    parameters kept symbolic)."""
    found = []
    for solution in solved:
        other = solution.replace(
            lambda n: isinstance(n, sympy.LambertW) and len(n.args) == 1,
            lambda n: sympy.LambertW(n.args[0], -1),
        )
        if other != solution and other not in solved and is_zero(expression.subs(X, other)):
            found.append(other)
    return found


def _completed(solved: list[Any], numeric: list[Any], values: Mapping[Any, Any]) -> list[Any]:
    """SymPy's solutions and the numeric roots that are none of them (within 1e-9) at the
    parameters' values."""
    known = []
    for solution in solved:
        number = complex(sympy.N(solution.subs(values), 30))
        if abs(number.imag) < 1e-12:
            known.append(number.real)
    missing = [
        root
        for root in numeric
        if all(abs(float(root) - k) > 1e-9 * max(1.0, abs(k)) for k in known)
    ]
    return [*solved, *missing]


OUTER_REACH = 1e8  # numeric roots are looked for out to here
OUTER_POINTS = 20001
OUTER_ROOTS = 8  # more sign changes than this beyond the window a side: an oscillation there


def numeric_roots(expression: Any, low: float = -100.0, high: float = 100.0) -> list[Any]:
    """Real roots of an expression in x where SymPy's solve gives up: sign changes on a grid
    (200,001 points on [low, high], and 20,001 geometric ones a side from there out to
    1e8: x - sin(x) = 150 at 149.02 was missed, and the piece beyond it with it), and pairs
    of roots inside one step around an extremum (`_turning_points`), refined by bisection
    (Brent). Beyond the window a side with more than OUTER_ROOTS roots oscillates
    (1/x - cos(x), like cos(x), out to where the grid's step passes pi: thousands of roots,
    minutes to refine) and is left out, as it always was. They come back as SymPy Floats,
    which marks them numeric, except a simple rational where the expression is exactly 0
    (x = tanh x at 0)."""
    function = compile_scalar(expression)
    brentq = scipy_optimize().brentq
    outward = np.geomspace(1.0, OUTER_REACH / max(abs(low), abs(high), 1.0), OUTER_POINTS)[1:]
    grid = np.concatenate([low * outward[::-1], np.linspace(low, high, 200001), high * outward])
    values = function(grid)
    fa, fb = values[:-1], values[1:]
    with np.errstate(invalid="ignore"):  # the signs' product: fa*fb can underflow to 0
        crossing = (fa == 0) | (np.isfinite(fa) & np.isfinite(fb) & (np.sign(fa) * np.sign(fb) < 0))
    # a run of exact zeros is a plateau of rounding (sigmoid(x) - 1 beyond x = 37), not
    # thousands of roots to refine: only a zero between two nonzero values is one
    plateau = (fa == 0) & ((fb == 0) | (np.concatenate([[1.0], fa[:-1]]) == 0))
    crossing &= ~plateau
    turning, extrema = _turning_points(expression, function, grid, values, crossing)
    inner = outward.size  # the window's first interval; the far side's starts after it
    for side in (slice(0, inner), slice(inner + 200000, None)):
        if np.count_nonzero(crossing[side]) + 2 * np.count_nonzero(turning[side]) > OUTER_ROOTS:
            crossing[side] = turning[side] = False
    brackets = [(float(grid[i]), float(grid[i + 1])) for i in np.flatnonzero(crossing).tolist()]
    for i in np.flatnonzero(turning).tolist():  # a root on each side of the extremum
        brackets += [(float(grid[i]), float(extrema[i])), (float(extrema[i]), float(grid[i + 1]))]
    roots = []
    for a, b in sorted(brackets):
        root = a
        if function(np.array([a]))[0] != 0:
            root = brentq(lambda t: float(function(np.array([t]))[0]), a, b, xtol=1e-15)
        exact = simple_rational_root(expression, root, a, b)
        roots.append(exact if exact is not None else refined_float(expression, root))
    return roots


def _turning_points(
    expression: Any,
    function: ScalarFunction,
    grid: np.ndarray,
    values: np.ndarray,
    crossing: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The grid steps (a mask) with an extremum inside at which the expression takes the other
    sign than at both ends, and those extrema (by step): two roots in one step, which no sign
    change on the grid shows ((x - sin(x) - 10)**2 < 1e-6 holds on a piece 1e-3 wide). The
    extrema are the derivative's sign changes, located by a bisection of all steps at once."""
    turning, extrema = np.zeros(crossing.size, dtype=bool), np.zeros(crossing.size)
    try:
        slope = compile_scalar(sympy.diff(expression, X))
    except (ActcliError, ArithmeticError, ValueError, TypeError, RecursionError):
        return turning, extrema
    slopes = slope(grid)
    fa, fb, sa, sb = values[:-1], values[1:], slopes[:-1], slopes[1:]
    with np.errstate(invalid="ignore"):
        candidate = ~crossing & np.isfinite(fa) & np.isfinite(fb) & (fa != 0)
        candidate &= np.isfinite(sa) & np.isfinite(sb) & (np.sign(sa) * np.sign(sb) < 0)
    steps = np.flatnonzero(candidate)
    low, high, side = grid[steps], grid[steps + 1], np.sign(sa[steps])
    for _ in range(60):  # to the last bit of a step of 1e-3 (and of the widest far step)
        middle = 0.5 * (low + high)
        same = np.sign(slope(middle)) == side
        low, high = np.where(same, middle, low), np.where(same, high, middle)
    extremum = 0.5 * (low + high)
    at_extremum = function(extremum)
    with np.errstate(invalid="ignore"):
        other_sign = (at_extremum == 0) | (np.sign(at_extremum) * np.sign(fa[steps]) < 0)
    turning[steps[other_sign]] = True
    extrema[steps[other_sign]] = extremum[other_sign]
    return turning, extrema


@functools.lru_cache(maxsize=256)
def refined_zero(argument: Any, near: float) -> Any:
    """mpmath's root of `argument` started at `near`: a simple root within 1e-12 of it (the
    secant method), or a multiple root within 1e-4 (modified Newton; a float search finds
    tanh(u) - u = 0, a triple root, only to 3e-6), where the derivative vanishes too."""
    function = sympy.lambdify(X, to_elementary(argument), modules="mpmath")
    scale = max(1.0, abs(near))
    with mpmath.workdps(ROOT_DIGITS):
        flat = mpmath.mpf(10) ** -(ROOT_DIGITS // 3)  # |derivative| at a multiple root
        for solver, within in (("secant", 1e-12), ("mnewton", 1e-4)):
            try:
                root = mpmath.findroot(function, mpmath.mpf(near), solver=solver)
                multiple = abs(mpmath.diff(function, root)) <= flat
            except (ValueError, ZeroDivisionError, TypeError, OverflowError):
                continue
            if not isinstance(root, mpmath.mpf) or abs(root - near) > within * scale:
                continue
            if multiple == (solver == "mnewton"):  # the secant method stalls at multiple roots
                return +root
    return None


def refined_float(expression: Any, root: float) -> sympy.Float:
    """A root found by bisection as a SymPy Float, refined by mpmath where it converges (a
    multiple root, which bisection finds only to ~1e-5, is then good to the last digit)."""
    refined = refined_zero(expression, root)
    return sympy.Float(root if refined is None else refined, 17)


def simple_rational_root(expression: Any, near: float, low: float, high: float) -> Any | None:
    """A simple rational in [low, high] next to `near` where SymPy evaluates the expression to
    exactly 0: a proof that it is a root (x = tanh x at 0, or a triple root, which bisection
    finds only to ~1e-5); None where there is none."""
    for denominators in (12, 1000):
        nearest = sympy.Rational(near).limit_denominator(denominators)
        if low <= nearest <= high and expression.subs(X, nearest) == 0:
            return nearest
    return None


def probe_between(lower: Any, upper: Any, activation: Bound) -> float:
    values = default_values(activation)
    low = -math.inf if lower == -sympy.oo else float(sympy.N(sympy.sympify(lower).subs(values)))
    high = math.inf if upper == sympy.oo else float(sympy.N(sympy.sympify(upper).subs(values)))
    if math.isinf(low) and math.isinf(high):
        return 0.5
    # a step of 1 vanishes in rounding beyond 2**53: 1e16 - 1 is 1e16, the breakpoint itself,
    # and the piece left of it took the right one's branch (abs(x - 1e16) was x - 1e16)
    if math.isinf(low):
        return high - max(1.0, abs(high) * PROBE_STEP)
    if math.isinf(high):
        return low + max(1.0, abs(low) * PROBE_STEP)
    return (low + high) / 2


PROBE_STEP = 2.0**-20  # relative: a probe beyond a breakpoint is this far from it, or 1


def active_branch_at(expression: sympy.Expr, activation: Bound, probe: float) -> sympy.Expr:
    """Every Piecewise replaced by its branch that holds at x = probe (parameters at their
    values for deciding, kept symbolic in the result)."""
    values = default_values(activation)
    point = sympy.Float(probe, 30)

    def choose(piecewise: sympy.Piecewise) -> sympy.Expr:
        for value, condition in piecewise.args:
            holds = _decided(condition.subs(values), point)
            if holds is None:  # non-real around the probe (x <= log(x) at x = -1): no real
                return sympy.nan  # piece, as the float path gives nan there
            if holds:
                return value
        raise AnalysisError(f"no piece of {activation.name} covers x = {probe}")

    return expression.replace(lambda node: isinstance(node, sympy.Piecewise), choose)


def _decided(condition: Any, point: Any) -> bool | None:
    """The condition at x = point, or just beside it where it compares a non-real value at
    the point itself (log1p(x) >= x**2 at a probe x = -1, log1p's pole); None where it does
    on both sides too (outside the real domain)."""
    for x in (point, point + NUDGE * max(1, abs(point)), point - NUDGE * max(1, abs(point))):
        try:
            return bool(condition.subs(X, x))
        except TypeError:
            continue
    return None


NUDGE = sympy.Rational(1, 2**20)


def canonical_piecewise(expression: sympy.Expr, activation: Bound) -> sympy.Expr:
    """The same function as a Piecewise whose conditions are bounds on x at its exact
    breakpoints (`x < c`), with the value at each breakpoint as its own `Eq(x, c)` branch.

    Conditions such as `x >= tanh(x)` (from max(x, tanh(x))) are decided wrongly in floats near
    their boundary (tanh(-1e-12) rounds to -1e-12); comparisons with constants are not.
    """
    definition = to_piecewise(expression)
    if not definition.has(sympy.Piecewise):
        return definition
    try:
        parts = intervals(definition, activation)
    except AnalysisError:  # infinitely many breakpoints: the conditions as written
        return definition
    if len(parts) > MAX_CANONICAL_PIECES:  # rebuilding costs pieces**2 SymPy decisions
        return definition
    if len(parts) == 1:
        return active_branch_at(definition, activation, parts[0][2])
    branches = []
    for lower, _, _ in parts[1:]:
        try:
            value = definition.subs(X, lower)
        except (TypeError, ValueError):  # a condition compares zoo (a pole at the point)
            continue
        if value.is_number and value.is_finite and value.is_real:
            branches.append((value, sympy.Eq(X, lower)))
    for _, upper, probe in parts[:-1]:
        branches.append((active_branch_at(definition, activation, probe), X < upper))
    branches.append((active_branch_at(definition, activation, parts[-1][2]), sympy.true))
    return sympy.Piecewise(*branches)
