"""What every claim check shares: the activation, its definition with the free parameters kept
symbolic, the parameter sets to test numerically, seeded sample points, mpmath functions, and
small numeric helpers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import mpmath
import numpy as np
import sympy

from actcli import compiler
from actcli.activation import Activation, bind, build_expression
from actcli.calculus import Case
from actcli.errors import ActcliError
from actcli.expr import X, Y, parse_expression, scalar_namespace
from actcli.functions import to_elementary
from actcli.interval import reference_ball
from actcli.pieces import (
    active_branch_at,
    probe_between,
    symbolic_breakpoints,
    to_piecewise,
    with_values,
)
from actcli.proofs import is_zero
from actcli.spec import Definition

DIGITS = 50
POINTS_PER_PIECE = 6
FAR_POINTS = (60.0, 300.0, 3e3, 1e5, 1e10, 1e30, 1e100, 1e300)  # |x| beyond the window
POINT_SECONDS = 2.0  # one sample point of a claim in mpmath: exp(exp(exp(30))) never ends
FAR_SECONDS = 4.0  # all far points of one claim or variant: the rest are left out, and said so


@dataclass
class Piece:
    lower: Any
    upper: Any
    probe: float


class CheckContext:
    """One activation under check; the claim checkers (`expressions`, `variants`, `shape`,
    `vector`) are functions of it."""

    def __init__(self, activation: Activation, symbolic: list[str]) -> None:
        self.activation = activation
        self.spec = activation.spec
        self.symbolic = symbolic
        self.definition = to_piecewise(with_values(activation, symbolic))
        # numeric checks take every parameter as an argument (derivative_wrt needs them all)
        self.numeric_definition = to_piecewise(activation.symbolic())
        self.rng = random.Random(f"actcli-check-{self.spec.name}")
        self.properties_cache: dict[tuple[tuple[str, str], ...], Any] = {}
        self.claims_only = False  # check only the spec's claims, not its stable forms
        self.extremes: Any = None  # vector kinds: numeric evidence, shared by bound claims
        self.parameter_sets = self.make_parameter_sets()

    def claim_definition(self, name: str) -> Definition:
        claims = self.spec.claims
        if name == "derivative":
            return claims["derivative"].value
        return claims["derivatives"].value[int(name.split(".")[1])]

    def build(self, definition: Definition, variables: tuple[str, ...] = ("x",)) -> Any:
        expression = build_expression(definition, self.spec, self.activation.symbols, variables)
        values = {
            self.activation.symbols[k]: v
            for k, v in self.activation.values.items()
            if k not in self.symbolic
        }
        return to_piecewise(expression.subs(values))

    def pieces(self, claimed: Any, values: Mapping[str, Any] | None = None) -> list[Piece]:
        """The intervals between the breakpoints of the definition and `claimed`, ordered
        (and told apart) at the parameter `values` (the bound ones by default): where a
        breakpoint moves with a free parameter, another set of values can have other pieces
        (x > a and x > 1 are one breakpoint at a = 1, two elsewhere)."""
        bound = self.activation if values is None else _AtValues(self.activation, values)
        points = symbolic_breakpoints(sympy.Add(self.definition, claimed), bound)
        edges = [-sympy.oo, *points, sympy.oo]
        return [
            Piece(lo, hi, probe_between(lo, hi, bound))
            for lo, hi in zip(edges, edges[1:], strict=False)
        ]

    def branch(self, expression: Any, piece: Piece, values: Mapping[str, Any] | None) -> Any:
        """The expression's branch on a piece of `pieces(..., values)`."""
        bound = self.activation if values is None else _AtValues(self.activation, values)
        return active_branch_at(expression, bound, piece.probe)

    def make_parameter_sets(self) -> list[dict[str, Any]]:
        """The bound values, and one random set for the symbolic parameters (seeded)."""
        base = dict(self.activation.values)
        sets = [base]
        if not self.symbolic:
            return sets
        for _ in range(20):
            trial = dict(base)
            for name in self.symbolic:
                domain = self.spec.parameter(name).domain
                trial[name] = sympy.Rational(random_in(domain, float(base[name]), self.rng))
            try:
                bind(self.spec, {k: str(v) for k, v in trial.items()})
            except ActcliError:
                continue
            sets.append(trial)
            break
        return sets

    def sample_points(self, pieces: list[Piece], values: Mapping[str, Any]) -> list[float]:
        edges = self.edges(pieces, values)
        points: list[float] = []
        bounds = [-math.inf, *edges, math.inf]
        for low, high in zip(bounds, bounds[1:], strict=False):
            lo = high - 30 if math.isinf(low) else low
            hi = low + 30 if math.isinf(high) else high
            if math.isinf(lo):
                lo, hi = -30.0, 30.0
            for _ in range(POINTS_PER_PIECE):
                points.append(self.rng.uniform(lo, hi))
        for edge in edges:
            step = 1e-6 * max(1.0, abs(edge))
            points += [edge - step, edge + step]
        return [p for p in points if all(abs(p - e) > 1e-12 for e in edges)]

    def far_points(self, pieces: list[Piece], values: Mapping[str, Any]) -> list[float]:
        """Points beyond the sampling window, +-FAR_POINTS outside the outermost breakpoints:
        where numbers decide a verdict (a tolerance, no symbolic proof), a claim wrong only
        far out must not pass. mpmath's exponents do not overflow at 1e300."""
        edges = self.edges(pieces, values) or [0.0]
        return far_beyond(edges[0], -1) + far_beyond(edges[-1], 1)

    def edges(self, pieces: list[Piece], values: Mapping[str, Any]) -> list[float]:
        """The breakpoints between the pieces at these parameter values, as floats."""
        symbols = {self.activation.symbols[k]: v for k, v in values.items()}
        return [float(sympy.N(sympy.sympify(p.lower).subs(symbols))) for p in pieces[1:]]

    def mp_function(self, expression: Any, with_y: bool = False) -> Callable[..., Any]:
        """expression(x, params[, y]) in mpmath, actcli's functions rewritten to exp/log."""
        symbols = [self.activation.symbols[k] for k in self.activation.values]
        arguments = [X, *symbols, *([Y] if with_y else [])]
        compiled = sympy.lambdify(arguments, to_elementary(expression), modules="mpmath")
        names = list(self.activation.values)

        def evaluate(x: Any, numbers: Mapping[str, Any], *y: Any) -> Any:
            return compiled(x, *(numbers[n] for n in names), *y)

        return evaluate

    def at_values(self, expression: Any) -> Any:
        symbols = {self.activation.symbols[k]: v for k, v in self.activation.values.items()}
        return sympy.sympify(expression).subs(symbols)

    def float_values(self) -> dict[str, float]:
        return {k: as_float(v) for k, v in self.activation.values.items()}


@dataclass(frozen=True)
class _AtValues:
    """An activation's parameters at other values (`pieces.Bound`), to cut pieces there."""

    activation: Activation
    values: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.activation.name

    @property
    def symbols(self) -> Mapping[str, Any]:
        return self.activation.symbols

    def symbolic(self) -> Any:
        return self.activation.symbolic()


def far_beyond(end: float, direction: int) -> list[float]:
    """The FAR_POINTS (negated for direction -1) that lie beyond `end` that way, near to far."""
    return [direction * x for x in FAR_POINTS if x > direction * end]


SCAN_POINTS = 20001  # a float64 grid on each piece within +-SCAN_REACH
SCAN_REACH = 1000.0
SCAN_CANDIDATES = 4


def float64_form(expression: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """The expression compiled in float64 (actcli's NumPy form), or None where it does not
    compile: its values only choose where mpmath or Arb look (`scan_candidates`, the
    variant grid's ranking), never decide."""
    try:
        return compiler.compile_scalar(expression)
    except (ActcliError, ArithmeticError, LookupError, TypeError, ValueError, SyntaxError):
        return None


def scan_candidates(
    size: Callable[[np.ndarray], np.ndarray], lower: float, upper: float, threshold: float
) -> list[float]:
    """Up to SCAN_CANDIDATES points of a dense float64 grid on (lower, upper) within
    +-SCAN_REACH where `size` (a float64 measure of disagreement) is largest and above
    `threshold`: a claim or variant that parts from the truth on a stretch narrower than the
    sample points' spacing (a bump of width 1 at x = 10, or at 55 between the variant grid
    and the far points) is looked at there too, exactly. Float64 only chooses the points."""
    low, high = max(lower, -SCAN_REACH), min(upper, SCAN_REACH)
    if not low < high:
        return []
    grid = np.linspace(low, high, SCAN_POINTS)[1:-1]
    with np.errstate(all="ignore"):
        values = np.asarray(size(grid), dtype=np.float64)
    values = np.where(np.isfinite(values), values, -np.inf)
    order = np.argsort(-values, kind="stable")[:SCAN_CANDIDATES]
    return [float(grid[i]) for i in order if values[i] > threshold]


def ball_values(expressions: Sequence[Any]) -> Callable[[float], tuple[Any, ...] | None] | None:
    """x -> each expression's value at x to DIGITS digits from Arb balls (rigorous), None where
    one ball is not that tight; None in place of the function where an expression takes no
    balls (Piecewise, |u|, ...). A witness's values are re-verified with it."""
    functions = [reference_ball(e, DIGITS, relative=True) for e in expressions]
    if None in functions:
        return None

    def values(x: float) -> tuple[Any, ...] | None:
        found = tuple(function(x) for function in functions)
        return None if None in found else found

    return values


def settled(a: Any, b: Any) -> bool:
    """Two computations of one number agree to 1e-10 (relative; absolute below 1)."""
    return bool(abs(a - b) <= SETTLED * max(abs(a), abs(b), 1))


SETTLED = 1e-10


SAME_END = (
    1e-9  # relative: a claimed end this close to a range end found in numbers is no refutation
)


def same_end(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= SAME_END * max(1.0, abs(b))


def working_digits(x: float) -> int:
    """Enough digits that 1 + exp(-|x|) or 1 + erf(x/sqrt(2)) in a definition keep DIGITS."""
    return DIGITS + 10 + int(min(x * x / 2 + abs(x), 2000) / math.log(10))


def numeric_diff(f: Callable[..., Any], x: Any, order: int, numbers: Mapping[str, Any]) -> Any:
    """The order-th derivative of the definition by finite differences at high precision: with
    the step 1e-20 inside the sampling window; beyond it (`FAR_POINTS`) 10**-(digits/2), which
    a far witness's re-computation at twice the digits changes too. Over 1e-20, exp(exp(x))
    grows by a factor e**1e6 at x = 60: a fixed step gave a false witness there."""
    digits = 20 if abs(x) < FAR_POINTS[0] else mpmath.mp.dps // 2
    with mpmath.workdps(mpmath.mp.dps + 25 * (order + 1)):
        step = mpmath.mpf(10) ** -digits
        return mpmath.diff(lambda t: f(t, numbers), mpmath.mpf(x), order, h=step)


def numeric_diff_parameter(
    f: Callable[..., Any], x: Any, parameter: str, numbers: Mapping[str, Any]
) -> Any:
    with mpmath.workdps(mpmath.mp.dps + 25):

        def along(p: Any) -> Any:
            return f(mpmath.mpf(x), {**numbers, parameter: p})

        return mpmath.diff(along, numbers[parameter], h=mpmath.mpf(10) ** -20)


def random_in(domain: Any, default: float, rng: random.Random) -> str:
    """A random value in a domain, near the default (decimal text, exact when parsed)."""
    low = domain.lower if math.isfinite(domain.lower) else default - 2
    high = domain.upper if math.isfinite(domain.upper) else max(default, low) + 2
    value = rng.uniform(low + 1e-3 * (high - low), high - 1e-3 * (high - low))
    if domain.integer:
        value = round(value)
    return f"{value:.4f}"


def interval_text(piece: Piece) -> str:
    return Case(piece.lower, piece.upper, sympy.S.Zero).condition()


def params_text(values: Mapping[str, float]) -> str:
    return ", ".join(f"{k} = {v:g}" for k, v in values.items()) or "no parameters"


def derivative_name(order: int) -> str:
    return "f" + ("'" * order if order <= 3 else f"^({order})")


def as_float(value: Any) -> float:
    """An exact SymPy number as the nearest float (30 digits first, then rounded once)."""
    return float(sympy.N(value, 30))


def parameter_condition(ctx: CheckContext, *expressions: Any) -> str:
    """A condition of the claim or the definition on free parameters alone (min(alpha, 5)
    is a Piecewise on alpha < 5), as text; "" where there is none. Its branch was chosen at
    the default values, where exp(x/min(alpha, 5)) equals f' of alpha*exp(x/alpha): "held"."""
    free = {ctx.activation.symbols[name] for name in ctx.symbolic}
    for expression in expressions:
        for condition in to_piecewise(sympy.sympify(expression)).atoms(sympy.Piecewise):
            for _, when in condition.args:
                for relation in when.atoms(sympy.core.relational.Relational):
                    if relation.free_symbols & free and X not in relation.free_symbols:
                        return sympy.sstr(relation)
    return ""


def cut_texts(pieces: list[Piece]) -> list[str]:
    """The pieces' cut points as exact texts, to tell whether they move with the parameters."""
    return [sympy.srepr(piece.lower) for piece in pieces[1:]]


def values_at_cut(
    ctx: CheckContext, point: Any, claimed: Any, definition: Any
) -> tuple[Any, Any] | None:
    """(claimed, definition) at a cut point, at the parameter values, where both are finite
    numbers and differ (not proven equal); else None."""
    try:
        at = ctx.at_values(sympy.sympify(claimed).subs(X, point))
        exact = ctx.at_values(sympy.sympify(definition).subs(X, point))
    except TypeError:  # a condition SymPy cannot order there: the pieces' limits decide
        return None
    if not (at.is_number and exact.is_number and at.is_finite and exact.is_finite):
        return None
    return None if is_zero(at - exact) else (at, exact)


def cuts_may_cross(ctx: CheckContext, pieces: list[Piece]) -> bool:
    """Whether two neighbouring cut points, one moving with a free parameter, may trade places
    for some value in the domains: x > 10 and x > alpha are in this order for alpha > 10
    only, and a proof on the defaults' pieces (alpha = 1) is none for alpha = 20. A cut's
    lead is settled by SymPy's assumptions from the domains, or by a constraint of the spec
    (hardtanh: min_val < max_val)."""
    constraints = [
        parse_expression(c.text, scalar_namespace(ctx.activation.symbols), condition=True)
        for c in ctx.spec.constraints
    ]
    leads = [
        r.gts - r.lts
        for r in constraints
        if isinstance(
            r, (sympy.StrictLessThan, sympy.StrictGreaterThan, sympy.LessThan, sympy.GreaterThan)
        )
    ]
    for left, right in pairwise(piece.lower for piece in pieces[1:]):
        difference = sympy.sympify(right - left)
        # nonnegative: cuts that meet at a value (softshrink's -lambd and lambd at 0) only
        # lose the piece between them, whose proof stands elsewhere
        if not difference.free_symbols or difference.is_nonnegative:
            continue
        if not any(is_zero(difference - lead) for lead in leads):
            return True
    return False
