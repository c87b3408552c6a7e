"""What a user's expression compiles to: of several equal forms, the one that measures best.

A built-in carries hand-written stable forms; an expression a user types does not. For it (and
for each derivative), `stable_form` builds candidates that are all equal to it: the expression as
written, its derivative taken from the already stabilised lower order, and SymPy's `together`,
`cancel`, `factor` (also with sinh and cosh as exponentials) and (small expressions only)
`simplify` of each, every one passed through the exact rewrites of `actcli.rewrites`. Each
candidate is compiled and compared with a 20-digit reference of the expression as written on
`grid()` (an Arb ball where one is tight enough, `interval.reference_ball`, 5-25x faster; else
mpmath's doubling precision); the most accurate wins (`_choose`), separately for x < 0 and x >= 0,
and within a side for |x| below and beyond a split, when different candidates win there (a
Piecewise on x, whose pieces are equal to the expression because every candidate is). One form
is not an identity: a Taylor polynomial about 0, tried only where the winner still loses digits
there (x - tanh(x)); it is used inside the radius where mpmath confirms its truncation error
below 2**-56 relative.

Errors are relative, `|got - true|/|true|`, with an absolute floor: a difference below 1e-300
counts as none (values that small are beyond what a relative target means in float64), and
where the truth exceeds the float range, inf of the right sign is exact. Points where the
expression is not real (outside its domain) or mpmath finds no reference are left out and
counted. The same measurement reports accuracy (`actcli.accuracy`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy

from actcli.budget import Budget, Timeout, alarm, bounded, clock
from actcli.compiler import compile_scalar, reference_function
from actcli.errors import ActcliError
from actcli.expr import X
from actcli.functions import expm1, sigmoid, simplify, to_elementary
from actcli.interval import ball_number, rational_in, reference_ball, taylor_coefficients
from actcli.rewrites import rewrite
from actcli.supervisor import step

TARGET = 1e-13  # the relative accuracy float64 results are held to
ABSOLUTE = 1e-300  # differences below this count as none
DIGITS = 20  # significant digits of the reference (enough to measure 1e-17)
MAX_DPS = 1200  # a cancellation deeper than ~1e-1100 is taken as underflow (seconds per point)
POINT_SECONDS = 0.5  # a reference value taking longer is left out (and counted as missing)
# from here out, a point beyond one whose reference ran out of time is left out unasked: out
# there the time goes into growing magnitudes (exp(exp(1e6)) needs ln 2 to 1.4e6 bits)
FAR = 100.0
SIMPLIFY_BUDGET = 25  # count_ops above which SymPy's simplify is not tried (it can take minutes)
MEASURE_BUDGET = 5000  # count_ops above which no form is searched or measured (55 nested sin: f'')
ALGEBRA_BUDGET = 160  # count_ops above which together/cancel/factor are not tried
SERIES_BUDGET = 40  # count_ops of a definition above which no series of it is tried
SERIES_ORDER = 30  # highest power of x in a Taylor polynomial
TAYLOR_DEGREE = SERIES_ORDER + 3  # the definition's: its third derivative's still has 30
SERIES_TOLERANCE = 2.0**-56  # truncation error allowed inside the radius, relative
SERIES_RADII = (0.5, 0.25, 0.125)
# tail patches: tried where digits are lost beyond |x| = TAIL_FROM, a series in 1/|x| (through
# SERIES_ORDER) or exp(-|x|) (TAIL_ORDERS), for |x| >= the first radius checked good
TAIL_FROM = 20.0
TAIL_RADII = (4.0, 5.0, 10.0, 20.0, 40.0, 100.0, 300.0, 700.0, 1e3, 1e4)
# (powers of exp(-|x|), SymPy's seconds): through t**8 first, which holds from |x| = 10 (f''
# of log(softplus(x)) cancels to 7e-12 at -10); through t**4 where that takes too long
TAIL_ORDERS = ((8, 2.0), (4, 10.0))
TAIL_SECONDS = 5.0  # for the series in 1/|x|, and for the radius search of each series
TAIL_BUDGET = 15.0  # SymPy's seconds for all tail series of one derivative
# SymPy's series of a definition where Arb's gives none (a removable 0/0 at 0): x/expm1(x) + x
# takes 1 s through x**33 (its f'''s own took 6-17 s), expm1(x/sin(x)) ran past the minute
SERIES_SECONDS = 20.0
# SymPy's algebraic rearrangements of one expression (cancel, factor, simplify): factor of
# tanh(x) + exp(x - 500) ran past three minutes; the ones that finish take well under a second
REARRANGE_SECONDS = 4.0
REARRANGE_BUDGET = 10.0


def grid(breakpoints: Sequence[float] = ()) -> np.ndarray:
    """Where accuracy is measured: 0; 1e-300, 1e-100, 1e-30; 1e-12 to 1e3 geometrically (two
    points a decade), then 1e4 to 1e8 (a decade apart: mpmath is slow out there), 0.25 to 5 in
    steps of 0.25, and 20, 30, 40, 50, 710, 745 (where exp and float64 part ways), all with both
    signs; and at and around each breakpoint b (b +- 1e-12, 1e-9, 1e-6, 1e-3, 0.1 times
    max(1, |b|))."""
    magnitudes = [10.0 ** (k / 2) for k in range(-24, 7)] + [10.0**k for k in range(4, 9)]
    magnitudes += [1e-300, 1e-100, 1e-30]  # where 1/x**2 overflows, and a rewrite with it
    magnitudes += [0.25 * k for k in range(1, 21)]
    magnitudes += [20.0, 30.0, 40.0, 50.0, 710.0, 745.0]
    points = {0.0}
    points.update(sign * m for m in magnitudes for sign in (1.0, -1.0))
    for b in breakpoints:
        if math.isfinite(b):
            points.add(float(b))
            scale = max(1.0, abs(b))
            for d in (1e-12, 1e-9, 1e-6, 1e-3, 0.1):
                points.update((b - d * scale, b + d * scale))
    return np.array(sorted(points))


@dataclass(frozen=True)
class Reference:
    """The mpmath values of an expression at the grid points: an mpf, or None where there is
    none (`missing`: the point is outside the real domain, or no reference converged)."""

    x: np.ndarray
    values: tuple[Any, ...]
    outside: int
    missing: int

    @classmethod
    def of(cls, expression: Any, x: np.ndarray, digits: int = DIGITS) -> Reference:
        evaluate = reference_function(expression, digits=digits, max_dps=MAX_DPS)
        ball = reference_ball(expression, digits)
        points = x.tolist()
        values: list[Any] = [None] * len(points)
        outside = missing = 0
        reach = {1.0: math.inf, -1.0: math.inf}  # |x| >= FAR where mpmath ran out of time
        for index in sorted(range(len(points)), key=lambda i: abs(points[i])):  # nearest first
            point = points[index]
            value = ball(point) if ball is not None else None
            if value is None:  # no tight Arb ball: mpmath's doubling precision
                side = math.copysign(1.0, point)
                if abs(point) > reach[side]:  # farther out in a growing tail: no quicker
                    missing += 1
                    continue
                try:
                    with alarm(POINT_SECONDS):  # exp(exp(1e8)) is out of any reference's reach
                        value = evaluate(point)
                except Timeout:
                    if abs(point) >= FAR:
                        reach[side] = abs(point)
                    missing += 1
                    continue
                except (ActcliError, ArithmeticError, ValueError, TypeError, MemoryError):
                    missing += 1
                    continue
                if isinstance(value, mpmath.mpc):
                    if value.imag != 0:
                        outside += 1
                        continue
                    value = value.real
            values[index] = value
        return cls(x, tuple(values), outside, missing)

    def errors(self, got: np.ndarray) -> np.ndarray:
        """The relative error at each point (nan where there is no reference)."""
        return np.array([_error(float(g), t) for g, t in zip(got, self.values, strict=True)])


def reference_at(expression: Any, x: np.ndarray) -> Reference:
    """`Reference.of`, remembered: choosing a form and reporting its accuracy measure the same
    expression at the same points."""
    return _reference(expression, tuple(x.tolist()))


@functools.lru_cache(maxsize=64)
def _reference(expression: Any, points: tuple[float, ...]) -> Reference:
    return Reference.of(expression, np.array(points))


def _error(got: float, true: Any) -> float:
    if true is None:
        return math.nan
    if isinstance(true, int):  # an exact int such as 10**400 has no float(), an mpf has inf
        true = mpmath.mpf(true)  # (anything else keeps its own precision: no rounding here)
    if not mpmath.isfinite(true):
        same = got == float(true) or (math.isnan(got) and mpmath.isnan(true))
        return 0.0 if same else math.inf
    if not math.isfinite(got):
        overflowed = math.isinf(float(true)) and got == float(true)
        return 0.0 if overflowed else math.inf
    difference = abs(mpmath.mpf(got) - true)
    if difference <= ABSOLUTE:
        return 0.0
    return float(difference / abs(true)) if true != 0 else math.inf


def worst(errors: np.ndarray, where: np.ndarray | None = None) -> float:
    """The largest error among the measured points (0 when none is measured)."""
    chosen = errors if where is None else errors[where]
    chosen = chosen[~np.isnan(chosen)]
    return float(chosen.max()) if chosen.size else 0.0


@dataclass(frozen=True)
class StableForm:
    """What a user's expression compiles to, and how it measured against the one as written."""

    expression: Any
    worst: float
    as_written: float
    approximate: bool = False  # a Taylor piece: equal to the expression within 2**-56 only


def stable_form(definition: Any, order: int = 0) -> StableForm:
    """The most accurate form found for the order-th derivative of `definition` (a SymPy
    expression in x, Piecewise for max/abs/...; parameters substituted)."""
    with step(f"finding an accurate float64 form of the order-{order} derivative"):
        return _stable_form(sympy.sympify(definition), order)


@functools.lru_cache(maxsize=256)
def _stable_form(definition: Any, order: int) -> StableForm:
    exact = sympy.diff(definition, X, order) if order else definition
    if exact.free_symbols - {X}:
        return StableForm(exact, math.nan, math.nan)  # compiling will say which have no value
    if sympy.count_ops(exact) > MEASURE_BUDGET:  # an mpmath reference would take minutes
        return StableForm(exact, math.nan, math.nan)
    sources = [exact]
    lower = _stable_form(definition, order - 1) if order else None
    if lower is not None and not lower.approximate:  # first: it is often already clean
        sources.insert(0, sympy.diff(lower.expression, X))
        combined = _expanded_exp(lower.expression)
        if combined != sources[0]:
            sources.insert(1, combined)
    candidates = _candidates(sources, exact, order)
    if lower is not None and lower.approximate:
        # the lower order's exact rewrite, differentiated: its series patch kept its
        # derivative out, and with it the forms that take exp(x) out of log(exp(x) + x)
        rewritten = _rewritten(sympy.diff(definition, X, order - 1))
        derived = None if rewritten is None else _rewritten(_expanded_exp(rewritten))
        if derived is not None and derived not in candidates:
            candidates.insert(-1, derived)
    x = grid(breakpoints(exact))
    try:
        reference = reference_at(exact, x)
    except (ActcliError, TypeError, ValueError, NameError):
        return StableForm(candidates[0], math.nan, math.nan)  # unmeasurable: trust the rules
    measured = []
    for candidate in candidates:
        errors = _errors_of(candidate, reference)
        if errors is not None:
            measured.append((candidate, errors))
    if not measured:
        return StableForm(exact, math.nan, math.nan)
    as_written = next((worst(e) for c, e in measured if c == exact), math.nan)
    if isinstance(exact, sympy.Piecewise):  # each branch stabilised on its own (sinc's near 0)
        branches = sympy.Piecewise(
            *((_stable_form(v, 0).expression if v.has(X) else v, c) for v, c in exact.args)
        )
        errors = _errors_of(branches, reference)
        if errors is not None:
            measured.append((branches, errors))
    chosen, errors = _choose(measured, x)
    approximate = False
    far = _tail_patches(definition, order, exact, chosen, errors, reference)
    if far is not None:
        (chosen, errors), approximate = far, True
    patched = _series_patch(definition, order, exact, chosen, errors, reference)
    if patched is not None:
        return StableForm(patched[0], worst(patched[1]), as_written, approximate=True)
    return StableForm(chosen, worst(errors), as_written, approximate)


def _expanded_exp(expression: Any) -> Any:
    """The derivative with its products of exponentials combined, term by term (exp(-x)*
    exp(x/2) is exp(-x/2), not 0*inf at x = 1e5)."""
    derivative = sympy.diff(expression, X)
    return _per_piece(derivative, lambda value: sympy.powsimp(sympy.expand(value)))


def _errors_of(candidate: Any, reference: Reference) -> np.ndarray | None:
    try:
        got = compile_scalar(candidate)(reference.x)
    except (ActcliError, TypeError, ValueError, NameError, SyntaxError, KeyError):
        return None
    return reference.errors(got)


def _candidates(sources: Sequence[Any], exact: Any, order: int) -> list[Any]:
    """The rewritten algebraic variants of each source, distinct, in order (the first wins
    ties), and the expression as written last."""
    found: list[Any] = []
    for source in sources:
        for form in rewritten_variants(source, order):
            if form not in found:
                found.append(form)
    if exact not in found:
        found.append(exact)
    return found


def rewritten_variants(expression: Any, order: int = 0) -> list[Any]:
    """`actcli.rewrites.rewrite` of the expression and of its algebraic variants, distinct
    (parameters may stay symbols: the rewrites need no values)."""
    found: list[Any] = []
    for variant in _variants(expression, order):
        form = _rewritten(variant)
        if form is not None and form not in found:
            found.append(form)
    return found


def _rewritten(expression: Any) -> Any:
    try:
        return rewrite(expression)
    except (TypeError, ValueError, RecursionError, NotImplementedError, AttributeError):
        return None


def _variants(expression: Any, order: int) -> list[Any]:
    """The expression, and SymPy's algebraic rearrangements of it (each piece of a Piecewise on
    its own), within budgets so that nothing hangs; `simplify` for a definition only."""
    if sympy.count_ops(expression) > ALGEBRA_BUDGET:  # folding 17 Piecewise of 2700 ops: 20 s
        return [expression]
    expression = sympy.piecewise_fold(expression)
    ops = sympy.count_ops(expression)
    steps: list[Callable[[Any], Any]] = []
    if ops <= ALGEBRA_BUDGET:
        steps += [lambda e: sympy.cancel(sympy.together(e)), sympy.factor]
        if expression.has(sympy.sinh, sympy.cosh):  # exponentials that cancel only written out
            steps.append(lambda e: sympy.cancel(sympy.together(e.rewrite(sympy.exp))))
            # or combine: exp(-x)*sinh(x) is (1 - exp(-2x))/2, not inf*0 at x = 1000
            steps.append(lambda e: sympy.powsimp(sympy.expand(e.rewrite(sympy.exp))))
        if expression.has(expm1) or (order == 0 and expression.has(sigmoid)):
            # exp(u)/expm1(u)**2: divided through by exp(2u) once written out; sigmoid(x) - 1
            # + exp(-x) is 1/(exp(2x) + exp(x)), with no cancellation left (a definition's
            # only: its derivatives start from its chosen form, and written out x*sigmoid(x)'s
            # f' lost the sigmoid structure its kernel is chosen by)
            steps.append(lambda e: sympy.cancel(sympy.together(to_elementary(e))))
    if ops <= SIMPLIFY_BUDGET:
        steps.append(simplify)
    variants = [expression]
    budget = Budget(REARRANGE_BUDGET)
    for rearrange in steps:
        found = bounded(
            functools.partial(_per_piece, expression, rearrange), REARRANGE_SECONDS, budget
        )  # None where it raised or ran out of time
        if found is not None:
            variants.append(found)
    return variants


def _per_piece(expression: Any, step: Callable[[Any], Any]) -> Any:
    if isinstance(expression, sympy.Piecewise):
        return sympy.Piecewise(*((step(value), cond) for value, cond in expression.args))
    return step(expression)


def _choose(measured: list[tuple[Any, np.ndarray]], x: np.ndarray) -> tuple[Any, np.ndarray]:
    """The candidate with the smallest worst error, on a tie the smallest second worst, and so
    on (errors below 1e-15 count as equal; then the earlier wins: candidates that all overflow
    far out are told apart by their errors elsewhere). Where others do better on one side of
    0, or on |x| < M and |x| >= M within a side (M in SPLITS: a form written in exponentials
    that is exact at x = 30 may overflow at 300), a Piecewise on x picks each where it wins."""
    overall = min(range(len(measured)), key=lambda i: (_score(measured[i][1]), i))
    pieces: list[tuple[Any, Any]] = []
    errors = np.array(measured[overall][1], dtype=float)
    for side, near in ((x < 0, X < 0), (x >= 0, True)):
        inner, outer, split = _side_choice(measured, x, side, overall)
        errors[side] = np.where(
            np.abs(x) < (split or math.inf), *(measured[i][1] for i in (inner, outer))
        )[side]
        if split is None:
            pieces.append((measured[inner][0], near))
        elif near is True:
            pieces += [(measured[inner][0], X < int(split)), (measured[outer][0], True)]
        else:
            pieces += [(measured[outer][0], X < -int(split)), (measured[inner][0], near)]
    forms = {form for form, _ in pieces}
    if len(forms) == 1:
        return measured[overall] if measured[overall][0] in forms else (forms.pop(), errors)
    return sympy.Piecewise(*pieces), errors


# |x| where a side of 0 may switch from one form to another (erf(2x) - erf(x) as typed up to 1,
# as a difference of tails beyond: as typed it was 1e-9 off at -3.9)
SPLITS = (1.0, 4.0, 30.0, 200.0, 1e3, 1e4)


def _score(errors: np.ndarray, floor: float = 1e-15) -> tuple[float, ...]:
    """The measured errors, largest first (below `floor` all alike, and from 1 up, inf included:
    no digit is right either way): compared lexicographically."""
    found = np.clip(errors[~np.isnan(errors)], floor, 1.0)
    return tuple(-np.sort(-found)) or (floor,)


def _side_choice(
    measured: list[tuple[Any, np.ndarray]], x: np.ndarray, side: np.ndarray, overall: int
) -> tuple[int, int, float | None]:
    """(form for |x| < split, form beyond, split) on one side of 0, split None for one form:
    the overall winner unless another scores strictly better there."""
    indices = range(len(measured))

    def best(where: np.ndarray) -> int:
        found = min(indices, key=lambda i: (_score(measured[i][1][where]), i))
        tie = _score(measured[found][1][where]) >= _score(measured[overall][1][where])
        return overall if tie else found

    single = best(side)  # a split must win digits beyond the target: more pieces cost time
    choice, score = (single, single, None), _score(measured[single][1][side], TARGET)
    for split in SPLITS:
        inside = np.abs(x) < split
        inner, outer = best(side & inside), best(side & ~inside)
        if inner == outer:
            continue
        combined = _score(np.where(inside, measured[inner][1], measured[outer][1])[side], TARGET)
        if combined < score:
            choice, score = (inner, outer, split), combined
    return choice


def _series_patch(
    definition: Any, order: int, exact: Any, chosen: Any, errors: np.ndarray, reference: Reference
) -> tuple[Any, np.ndarray] | None:
    """A Taylor polynomial about 0 inside a radius r where `chosen` (for exact, the order-th
    derivative of definition) loses digits near 0 and the polynomial's truncation error,
    checked with mpmath at r, r/2, r/4 (both signs), is below SERIES_TOLERANCE; None when that
    does not help. The polynomial is the order-th derivative of the definition's (Taylor
    series differentiate term by term): found once for every order, and the definition's
    series is the cheapest (SymPy's of x/expm1(x) + x takes ~1 s, of its f'' 6-17 s, which
    left the patch, and the digits near 0, to the machine's speed)."""
    near = (np.abs(reference.x) < 0.5) & (reference.x != 0)
    if worst(errors, near) <= TARGET or sympy.count_ops(definition) > SERIES_BUDGET:
        return None  # the derivative's own size does not matter: its series is derived
    if isinstance(exact, sympy.Piecewise):
        return None
    base = _definition_taylor(definition)
    if base is None:
        return None
    polynomial = base.diff((X, order)) if order else base
    check = reference_function(exact, digits=DIGITS, max_dps=MAX_DPS)
    for radius in SERIES_RADII:
        truncated = _shortest_within(polynomial, check, radius)
        if truncated is None:
            continue
        horner = sympy.horner(truncated.as_expr(), X)
        bound = sympy.Rational(radius)
        inside = sympy.And(X > -bound, X < bound)
        candidate = sympy.Piecewise((horner, inside), (chosen, True))
        patched = _errors_of(candidate, reference)
        changed = np.abs(reference.x) < radius  # elsewhere the candidate is `chosen`
        if patched is not None and worst(patched, changed) < worst(errors, changed):
            return candidate, patched
        return None
    return None


@functools.lru_cache(maxsize=256)
def _definition_taylor(definition: Any) -> Any:
    """The definition's Taylor polynomial through TAYLOR_DEGREE, for it and its derivatives."""
    return _taylor_polynomial(definition, TAYLOR_DEGREE)


def _taylor_polynomial(exact: Any, degree: int = SERIES_ORDER) -> Any:
    """exact's Taylor polynomial about 0 through x**degree; None where there is none.
    From Arb's power series where each coefficient's ball (640 bits) holds a rational of
    denominator at most 10**60, the one continued fractions find (milliseconds: SymPy's
    series of sigmoid'' takes 3 s), else holds one value to 30 digits (erf(x)/x: multiples
    of 1/sqrt(pi)), a Float; else from SymPy's series, its real coefficients as Floats."""
    balls = taylor_coefficients(exact, degree + 1)
    if balls is not None:
        rationals = [rational_in(ball) for ball in balls]
        if all(r is not None for r in rationals):
            return sympy.Poly.from_list(rationals[::-1], X)
        numbers = [ball_number(ball) for ball in balls]
        if all(n is not None for n in numbers):
            return sympy.Poly.from_list(numbers[::-1], X)
    return _series_polynomial(to_elementary(exact), X, degree=degree)


def _series_polynomial(
    expression: Any, variable: Any, seconds: float = SERIES_SECONDS, degree: int = SERIES_ORDER
) -> Any:
    """SymPy's series of the expression about variable = 0 through variable**degree, as a
    polynomial with exact rational or 30-digit Float coefficients; None where there is none
    (a pole, an essential singularity, SymPy's many errors) or it takes `seconds`."""
    polynomial = bounded(
        lambda: sympy.Poly(sympy.series(expression, variable, 0, degree + 1).removeO(), variable),
        seconds,
        Budget(seconds),
    )
    if polynomial is None:
        return None
    coefficients = polynomial.all_coeffs()
    if all(c.is_Rational for c in coefficients):
        return polynomial
    if not all(c.is_number and c.is_real for c in coefficients):
        return None
    return sympy.Poly.from_list([c.evalf(30) for c in coefficients], variable)


def _tail_patches(
    definition: Any, order: int, exact: Any, chosen: Any, errors: np.ndarray, reference: Reference
) -> tuple[Any, np.ndarray] | None:
    """On each side where `chosen` (for exact, the order-th derivative of definition) loses
    digits beyond |x| = TAIL_FROM, a series in a t that goes to 0 as |x| -> oo, used for
    |x| >= R where mpmath confirms its truncation error below SERIES_TOLERANCE at R, 2R and
    4R: first in t = exp(-|x|) (`_exponential_series`: for what underflows or cancels as
    exp(-|x|) -> 0, log(softplus(x)) is -inf at x = -1000, where
    x - t/2 + 5t**2/24 - ... gives -1000; exp(x)*log1p(exp(-x)) is inf*0 at 1000, where
    1 - t/2 + t**2/3 - ... gives 1), then in t = 1/|x| (`_inverse_series`: x*sin(1/x)' =
    sin(1/x) - cos(1/x)/x cancels to t**3/3; exp(x**2)*erfc(x) is nan beyond 27, where it is
    t/sqrt(pi) - t**3/(2*sqrt(pi)) + ...). The series is the order-th derivative of the
    definition's (`_definition_series`), checked like any other."""
    if sympy.count_ops(definition) > SERIES_BUDGET or isinstance(exact, sympy.Piecewise):
        return None
    if all(worst(errors, side * reference.x >= TAIL_FROM) <= TARGET for side in (-1, 1)):
        return None
    found = None
    check = reference_function(exact, digits=DIGITS, max_dps=MAX_DPS)
    budget = Budget(TAIL_BUDGET)
    for series_on in (_exponential_series, _inverse_series):  # the first fails fast or helps
        for side in (-1, 1):
            if worst(errors, side * reference.x >= TAIL_FROM) <= TARGET:
                continue
            series = _definition_series(series_on, definition, side, budget)
            if series is not None and order:
                series = bounded(
                    functools.partial(_differentiated, series, order, side), TAIL_SECONDS, budget
                )
            if series is not None:  # erf(x) - 1 + 2*exp(-2*x) - ...: -erfc(x) + ... keeps
                series = _rewritten(series) or series  # the digits that erf(x) - 1 loses
            radius = None if series is None else _tail_radius(series, check, side)
            if radius is None:
                continue
            beyond = side * X >= sympy.Integer(int(radius))
            candidate = sympy.Piecewise((series, beyond), (chosen, True))
            patched = _errors_of(candidate, reference)
            changed = side * reference.x >= radius  # elsewhere the candidate is `chosen`
            if patched is not None and _fewer_misses(patched, errors, changed):
                chosen, errors = found = candidate, patched
    return found


_tail_series: dict[tuple[str, Any, int], Any] = {}


def _definition_series(
    series_on: Callable[..., Any], definition: Any, side: int, budget: Budget
) -> Any:
    """`series_on(definition, side, budget)`, found once for every derivative: SymPy's series
    of the definition is the cheapest (x*tanh(softplus(x))/softplus(x)'s through exp(4x) took
    8 s on one machine and more than its share of TAIL_BUDGET on a slower one, where the
    definition's takes 1 s), and a series differentiates term by term."""
    key = (series_on.__name__, definition, side)
    if key in _tail_series:
        return _tail_series[key]
    series = series_on(definition, side, budget)
    if series is not None or budget.left() > 0:  # not for want of a share of the budget
        if len(_tail_series) >= 256:
            _tail_series.clear()
        _tail_series[key] = series
    return series


def _tail_radius(series: Any, check: Callable[[Any], Any], side: int) -> float | None:
    """The first of TAIL_RADII, R, where the series is within SERIES_TOLERANCE of mpmath at
    side*R, 2R and 4R; None when there is none within TAIL_SECONDS (the references can be
    slow: each may take POINT_SECONDS, and exp(exp(x)) at 40 is exp(2e17))."""
    approximation = sympy.lambdify(X, series, modules="mpmath")
    deadline = clock() + TAIL_SECONDS
    for radius in TAIL_RADII:
        if clock() >= deadline:
            return None
        points = [side * radius * d for d in (1, 2, 4)]
        truths = _nonzero_truths(check, points)
        if truths is None:
            continue
        with mpmath.workdps(DIGITS + 20):
            if all(
                abs(mpmath.re(approximation(mpmath.mpf(p))) - v) <= SERIES_TOLERANCE * abs(v)
                for p, v in zip(points, truths, strict=True)
            ):
                return radius
    return None


def _fewer_misses(patched: np.ndarray, errors: np.ndarray, where: np.ndarray) -> bool:
    """Fewer points off by more than TARGET and no worse a worst error: far out the reference
    itself can be wrong (exp(x)*log(1 + exp(-x)) is 0 at x = 1e4 to mpmath's 1200 digits, where
    the truth is 1), so a worst error of inf before and after says nothing."""
    misses = np.count_nonzero(patched[where] > TARGET), np.count_nonzero(errors[where] > TARGET)
    return misses[0] < misses[1] and worst(patched, where) <= worst(errors, where)


def _inverse_series(exact: Any, side: int, budget: Budget) -> Any:
    """exact's series in t = 1/|x| on one side (x = side/t) through t**SERIES_ORDER, written in
    x again; None where there is none (an essential singularity at infinity: exp(-x))."""
    t = sympy.Dummy("t", positive=True)
    elementary = to_elementary(exact).replace(  # SymPy has no expansion of asinh at oo
        sympy.asinh, lambda u: sympy.log(u + sympy.sqrt(u**2 + 1))
    )
    polynomial = _series_polynomial(
        elementary.subs(X, side / t), t, min(TAIL_SECONDS, budget.left())
    )
    return None if polynomial is None else polynomial.as_expr().subs(t, side / X)


def _exponential_series(exact: Any, side: int, budget: Budget) -> Any:
    """exact as a series in t = exp(-side*x) through the first of TAIL_ORDERS SymPy finds in
    time, x kept as a parameter (hyperbolic functions written as exponentials, each
    exp(k*x + c) as exp(c)*t**(-side*k), log(t) put back as -side*x), and t written as
    exp(-side*x) again; None where exact has an exponential not linear in x with a rational
    slope, or SymPy finds no series (tanh(exp(x)): exp(1/t) as t -> 0) in time."""
    t = sympy.Dummy("t", positive=True)

    def written() -> Any:
        hyperbolic = to_elementary(exact).rewrite([sympy.sinh, sympy.cosh, sympy.tanh], sympy.exp)
        return _exponentials_in_t(hyperbolic, t, side)

    in_terms_of_t = bounded(written, TAIL_SECONDS, budget)  # None also where it raised
    if in_terms_of_t is None or not in_terms_of_t.has(t):
        return None  # no exponential: nothing to expand in

    def series(order: int) -> Any:
        expansion = sympy.series(in_terms_of_t, t, 0, order + 1).removeO()
        return expansion.subs(sympy.log(t), -side * X).subs(t, sympy.exp(-side * X))

    for order, seconds in TAIL_ORDERS:
        found = bounded(functools.partial(series, order), seconds, budget)
        if found is not None:
            break
    if found is None or found.has(sympy.Order, sympy.Subs, sympy.nan, sympy.zoo, sympy.I):
        return None
    return found


def _exponentials_in_t(expression: Any, t: Any, side: int) -> Any:
    """Each exp(k*x + c) of the expression as exp(c)*t**(-side*k), t standing for
    exp(-side*x); ValueError where a slope k is not a rational number."""

    def in_t(node: Any) -> Any:
        slope = sympy.diff(node.args[0], X)
        if not slope.is_Rational:
            raise ValueError("not an exponential of a rational multiple of x")
        return sympy.exp(node.args[0] - slope * X) * t ** (-side * slope)

    return expression.replace(lambda n: isinstance(n, sympy.exp) and n.has(X), in_t)


def _differentiated(series: Any, order: int, side: int) -> Any:
    """The order-th derivative of a tail series, grouped by powers of t = exp(-side*x) as
    the series was: d/dx (c(x)*t**k) = (c'(x) - side*k*c(x))*t**k. Written out term by term
    the exponentials overflow apart: f' of sinh(x)/x is exp(x)/(2x) - exp(x)/(2x**2) + ...,
    inf - inf = nan at 745.5, where (1/(2x) - 1/(2x**2))*exp(x) is inf, as f' is. A series in
    1/|x| has no exponential: its terms are differentiated one by one."""
    t = sympy.Dummy("t", positive=True)
    derivative = _exponentials_in_t(series, t, side)
    for _ in range(order):
        derivative = sympy.diff(derivative, X) - side * t * sympy.diff(derivative, t)
    return sympy.collect(sympy.expand(derivative), t).subs(t, sympy.exp(-side * X))


def _shortest_within(polynomial: Any, check: Callable[[Any], Any], radius: float) -> Any:
    """The polynomial cut to the lowest degree whose truncation error, measured against mpmath
    at +-r, +-r/2, +-r/4, is below SERIES_TOLERANCE relative; None when no degree is."""
    points = [s * radius / d for d in (1, 2, 4) for s in (1, -1)]
    truths = _nonzero_truths(check, points)
    if truths is None:
        return None
    terms = sorted(polynomial.terms(), key=lambda term: term[0][0])
    for count in range(1, len(terms) + 1):
        cut = sympy.Poly.from_dict(dict(terms[:count]), X)
        with mpmath.workdps(DIGITS + 20):
            ok = all(
                abs(mpmath.mpf(cut.eval(sympy.Rational(x))) - t) <= SERIES_TOLERANCE * abs(t)
                for x, t in zip(points, truths, strict=True)
            )
        if ok:
            return cut
    return None


def _nonzero_truths(check: Callable[[Any], Any], points: list[float]) -> list[Any] | None:
    """The reference values at the points, or None when one is zero, complex, or out of reach
    within POINT_SECONDS (a patch is not worth waiting for exp(exp(4000)))."""
    truths = []
    for point in points:
        try:
            with alarm(POINT_SECONDS):
                truth = check(point)
        except (ActcliError, ArithmeticError, ValueError, TypeError, MemoryError, Timeout):
            return None
        if truth == 0 or isinstance(truth, mpmath.mpc):
            return None
        truths.append(truth)
    return truths


def breakpoints(expression: Any) -> list[float]:
    """Where the conditions of a Piecewise switch (real roots of their sides' difference, for
    conditions polynomial in x of degree <= 4): the grid adds points around them."""
    found: set[float] = set()
    for relation in expression.atoms(sympy.core.relational.Relational):
        difference = relation.lhs - relation.rhs
        if X not in difference.free_symbols or difference.free_symbols != {X}:
            continue
        try:
            polynomial = sympy.Poly(difference, X)
        except sympy.PolynomialError:
            continue
        if polynomial.degree() > 4:
            continue
        try:
            roots = polynomial.nroots()
        except mpmath.libmp.NoConvergence:  # x - 1e30: its iteration never settles (was exit 70)
            roots = polynomial.real_roots()  # exact isolation: slower, always ends
        for root in roots:
            value = complex(root)
            if abs(value.imag) < 1e-12:
                found.add(value.real)
    return sorted(found)
