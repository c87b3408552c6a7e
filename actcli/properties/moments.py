"""Gaussian moments E[f(z)], E[f(z)^2], E[f'(z)], E[f'(z)^2] for z ~ N(0, 1).

First, whether each exists. A moment diverges when |g|^k is not integrable against the Gaussian
density: at a pole (|g| ~ |x - c|^-p with k*p >= 1: E[(1/x)^2]), or in a tail that grows like
exp(a*x^2) with a >= 1/(2k). A part of positive length where f is not real (sqrt(x) for x < 0)
leaves every moment undefined. The order p of a pole and the rate a of a tail are read off
50-digit mpmath values (numeric evidence, so divergence is reported with method "numeric").
A divergent E[f^2] is +inf; a divergent E[f] is +-inf when every divergent contribution has one
sign, else undefined (nan).

Then the value: Gauss-Legendre quadrature on [-40, 40] split at every cut point (the integrand
is analytic on each sub-interval, so the rule converges geometrically; Gauss-Hermite is biased
on kinked functions), checked against a second rule and refined with adaptive quadrature where
the two disagree. A finite moment beyond the float range (E[z^2000] ~ 1e2867) is reported as
missing (None), not as a number.
"""

from __future__ import annotations

import math
import warnings
from functools import partial
from itertools import pairwise
from typing import Any

import mpmath
import numpy as np
import sympy

from actcli.budget import Budget, bounded
from actcli.deferred import scipy_integrate
from actcli.expr import X
from actcli.functions import to_elementary
from actcli.properties.analysis import Analysis
from actcli.properties.values import ties

PANEL_WIDTHS = tuple(4.0**-k for k in range(1, 7))
PANEL_NODES = 20
PANEL_AGREEMENT = 1e-10
TAIL_SECONDS = 1.0
HIGH_PRECISION_SECONDS = 5.0  # for one moment: far out, f may be out of mpmath's reach
QUAD_CUT = 40.0
QUAD_EDGES = (-40, -20, -12, -8, -5, -3, -2, -1, 0, 1, 2, 3, 5, 8, 12, 20, 40)
POWERS = ((0, 1), (0, 2), (1, 1), (1, 2))  # (order of the derivative, power): the moments


def moments(analysis: Analysis) -> tuple[tuple[float | None, ...], list[str]]:
    """(E[f], E[f^2], E[f'], E[f'^2]) and notes; inf/-inf/nan for divergent or undefined
    moments, None for finite ones beyond the float range."""
    notes: list[str] = []
    if any(not part.defined for part in analysis.parts):
        notes.append("f is not real on part of the line: its Gaussian moments are undefined")
        return (math.nan,) * 4, notes
    divergent = [_divergence(analysis, order, power) for order, power in POWERS]
    values: list[float | None] = list(_quadrature(analysis, [d is None for d in divergent]))
    for index, (order, power) in enumerate(POWERS):
        if divergent[index] is None and not math.isfinite(values[index]):  # floats overflowed
            found = bounded(
                partial(_high_precision, analysis, order, power),
                HIGH_PRECISION_SECONDS,
                Budget(HIGH_PRECISION_SECONDS),
            )
            if found is None:
                notes.append(f"{_name(order, power)} not computed: mpmath did not reach it")
            values[index] = math.nan if found is None else found
    for index, verdict in enumerate(divergent):
        if verdict is not None:
            values[index] = verdict
            name = _name(*POWERS[index])
            notes.append(f"{name} diverges" if not math.isnan(verdict) else f"{name} undefined")
        elif values[index] is not None and math.isinf(values[index]):
            # finite, but rounds to +-inf in float64 (E[z**1000] ~ 1e1284)
            note = "a Gaussian moment is finite but beyond the float64 range (rounded to inf)"
            if note not in notes:
                notes.append(note)
    return tuple(values), notes


def _name(order: int, power: int) -> str:
    return "E[" + ("f" if order == 0 else "f'") + ("^2" if power == 2 else "") + "]"


def _divergence(analysis: Analysis, order: int, power: int) -> float | None:
    """+inf/-inf/nan when E[(f^(order))^power] diverges, else None."""
    signs = set()
    for index, part in enumerate(analysis.parts):
        for end in ("lower", "upper"):
            point = part.lower if end == "lower" else part.upper
            limit = analysis.structure.limit(index, order, end)
            if point in (sympy.oo, -sympy.oo):
                if _tail_diverges(part.derivative(order), point, power):
                    value = limit.number()
                    signs.add(1 if power == 2 or value > 0 else -1 if value < 0 else 0)
                continue
            # an unknown limit (SymPy gave up, or the budget ran out) may be a pole: the
            # growth measured beside the point decides, as for an oscillation
            unbounded = limit.kind in ("oo", "-oo", "unknown") or (
                limit.kind == "oscillates" and limit.high != limit.low
            )
            if not unbounded:
                continue
            growth, sign = _pole_order(part.derivative(order), point, end)
            if growth * power >= 1 - 1e-6:
                if power == 2 or limit.kind == "oo":
                    signs.add(1)
                elif limit.kind == "-oo":
                    signs.add(-1)
                else:  # of one sign beside the pole (1/x**2), or not (an oscillation)
                    signs.add(sign)
    if not signs:
        return None
    if signs == {1}:
        return math.inf
    if signs == {-1}:
        return -math.inf
    return math.nan


def _pole_order(expression: sympy.Expr, point: sympy.Expr, end: str) -> tuple[float, int]:
    """(p, s): p in |g(x)| ~ |x - c|^-p as x -> c from inside the part, the growth of the
    largest |g| sampled at distances around 1e-20 and 1e-30 (50-digit mpmath values; the
    largest of several, so an oscillating factor such as cos(1/x) does not hide the envelope),
    and the sign g keeps at all those samples (0 when it changes)."""
    function = sympy.lambdify(X, to_elementary(expression), modules="mpmath")
    step = 1 if end == "lower" else -1
    with mpmath.workdps(60):
        c = mpmath.mpf(sympy.N(point, 60))
        logs = []
        signs = set()
        for k in (20, 30):
            d = mpmath.mpf(10) ** -k
            try:
                values = [function(c + step * d * (1 + u / 7)) for u in range(60)]
                largest = max(abs(v) for v in values)
                signs.update(int(mpmath.sign(mpmath.re(v))) for v in values)
            except (ValueError, ZeroDivisionError, TypeError):
                return 0.0, 0
            if largest == 0:
                return 0.0, 0
            logs.append(mpmath.log(largest))
        slope = (logs[1] - logs[0]) / mpmath.log(mpmath.mpf(10) ** -10)
    return float(-slope), (signs.pop() if len(signs) == 1 else 0)


def _tail_diverges(expression: sympy.Expr, point: sympy.Expr, power: int) -> bool:
    """|g|^power * exp(-x^2/2) is not integrable at +-oo: log|g| / x^2 -> a >= 1/(2 power).

    Nearer points are tried where the values are out of reach far out: an error, or more than
    TAIL_SECONDS (erf(cosh(x**3))' at 1e4 is exp(-exp(2e12)), whose exponent mpmath would
    need ln 2 to 3e12 bits for)."""
    function = sympy.lambdify(X, to_elementary(expression), modules="mpmath")
    direction = 1 if point == sympy.oo else -1

    def logs(far: tuple[float, float]) -> list[Any]:
        with mpmath.workdps(50):
            return [mpmath.log(abs(function(mpmath.mpf(direction * x)))) for x in far]

    for far in ((1e3, 1e4), (30.0, 100.0), (5.0, 10.0)):
        found = bounded(partial(logs, far), TAIL_SECONDS, Budget(TAIL_SECONDS))
        if found is None:
            continue
        rates = [float(v) / x**2 for v, x in zip(found, far, strict=True)]
        if any(math.isnan(r) or r < 1 / (2 * power) - 1e-3 for r in rates):
            return False
        # at the rate exp(x**2/(2 power)) itself the factor beside it decides: the integrand
        # |g|^power exp(-x**2/2) ~ x^-p converges for p > 1 (exp(x**2/4)/(1 + x**2) has
        # E[f^2] = sqrt(pi/8), which was inf); a faster rate gives p -> -oo
        residuals = [power * v - mpmath.mpf(x) ** 2 / 2 for v, x in zip(found, far, strict=True)]
        order = -(residuals[1] - residuals[0]) / mpmath.log(mpmath.mpf(far[1]) / far[0])
        return bool(order <= 1 + 1e-3)
    return True  # beyond mpmath at x = 5 and 10: faster than any exp(a x^2)


def _high_precision(analysis: Analysis, order: int, power: int) -> float:
    """E[(f^(order))^power] with mpmath (tanh-sinh quadrature over the whole line, split at the
    cut points), for integrands whose float values overflow (z**1000): its float64 rounding,
    inf when the exact value is beyond the float range."""
    total = mpmath.mpf(0)
    with mpmath.workdps(30):
        for part in analysis.parts:
            function = _gaussian_integrand(part.derivative(order), power)
            ends = [
                -mpmath.inf if part.lower == -sympy.oo else mpmath.mpf(sympy.N(part.lower, 40)),
                mpmath.inf if part.upper == sympy.oo else mpmath.mpf(sympy.N(part.upper, 40)),
            ]
            try:
                total += mpmath.quad(function, ends, maxdegree=8)
            except (ValueError, ZeroDivisionError, TypeError, OverflowError):
                return math.nan
    if isinstance(total, mpmath.mpc):  # f is complex somewhere (x**x for x < 0): undefined
        if total.imag != 0:
            return math.nan
        total = total.real
    return float(total) if mpmath.isfinite(total) else math.nan


def _gaussian_integrand(expression: sympy.Expr, power: int) -> Any:
    """g**power times the normal density, in mpmath, with exponentials combined first: for
    exp(x**2/4)/(1 + x**2) and power 2 it is 1/(1 + x**2)**2/sqrt(2 pi); as two factors,
    exp(x**2/2) and exp(-x**2/2) at 30 digits far out, the sum was 1e417...: inf."""
    integrand = expression**power * sympy.exp(-(X**2) / 2) / sympy.sqrt(2 * sympy.pi)
    combined = bounded(
        lambda: sympy.powsimp(sympy.expand(to_elementary(integrand))), 2.0, Budget(2.0)
    )
    return sympy.lambdify(X, combined if combined is not None else integrand, modules="mpmath")


def _quadrature(analysis: Analysis, needed: list[bool]) -> tuple[float, float, float, float]:
    """The four moments, those `needed` (not known to diverge) to agreement: the others are
    not worth the refinement (their integrands are unbounded near a pole), nan when none is."""
    if not any(needed):
        return (math.nan,) * 4
    cuts = {float(e) for e in QUAD_EDGES}
    cuts.update(c.location for c in analysis.cuts if -QUAD_CUT < c.location < QUAD_CUT)
    edges = sorted(cuts)
    coarse = _legendre(analysis, edges, 96)
    fine = _legendre(analysis, edges, 160)
    if _agree(coarse, fine, needed):
        return fine
    return _composite(analysis, edges, needed) or _adaptive(analysis, edges, needed)


def _agree(
    a: tuple[float, ...], b: tuple[float, ...], needed: list[bool], relative: float = 0.0
) -> bool:
    return all(
        ties(u, v) or abs(u - v) <= max(1e-13, relative * abs(v))
        for u, v, wanted in zip(a, b, needed, strict=True)
        if wanted
    )


def _composite(
    analysis: Analysis, edges: list[float], needed: list[bool]
) -> tuple[float, float, float, float] | None:
    """Gauss-Legendre on panels of width 1/4, 1/16, ..., 1/4096 within the edges, until two
    successive widths agree to 1e-10 (the floats of such integrands carry more error than 1e-13:
    cos(x exp(x)) at x = 9 loses 1e-11 to the rounding of its argument): an integrand that
    oscillates ever faster (sin(x exp(x)), whose period is 0.002 at x = 6 where the weight
    still counts) defeats scipy's adaptive quad (1e-5 off). None when they never agree, or where
    a float is nan (then `_adaptive`)."""
    previous = None
    for width in PANEL_WIDTHS:
        panels = np.unique(
            np.concatenate(
                [np.linspace(a, b, math.ceil((b - a) / width) + 1) for a, b in pairwise(edges)]
            )
        )
        found = _legendre(analysis, panels, PANEL_NODES, repair=False)
        if any(math.isnan(v) for v, wanted in zip(found, needed, strict=True) if wanted):
            return None
        if previous is not None and _agree(previous, found, needed, PANEL_AGREEMENT):
            return found
        previous = found
    return None


def _legendre(
    analysis: Analysis, edges: list[float] | np.ndarray, n: int, repair: bool = True
) -> tuple[float, float, float, float]:
    """The four moments by n-point Gauss-Legendre on each interval between the edges; `repair`
    recomputes float overflows (`Analysis.repaired`)."""
    nodes, weights = np.polynomial.legendre.leggauss(n)
    ends = np.asarray(edges, dtype=float)
    half, middle = 0.5 * np.diff(ends), 0.5 * (ends[1:] + ends[:-1])
    x = (half[:, None] * nodes + middle[:, None]).ravel()
    w = (half[:, None] * weights).ravel() * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    evaluate = analysis.repaired if repair else analysis.evaluate
    f, d = evaluate(0, x), evaluate(1, x)
    with np.errstate(all="ignore"):
        return (
            float(np.sum(w * f)),
            float(np.sum(w * f * f)),
            float(np.sum(w * d)),
            float(np.sum(w * d * d)),
        )


def _adaptive(
    analysis: Analysis, edges: list[float], needed: list[bool]
) -> tuple[float, float, float, float]:
    f, d = analysis.scalar(0), analysis.scalar(1)

    def phi(z: float) -> float:
        return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    integrands = [
        lambda z: f(z) * phi(z),
        lambda z: f(z) ** 2 * phi(z),
        lambda z: d(z) * phi(z),
        lambda z: d(z) ** 2 * phi(z),
    ]
    totals = []
    integrate = scipy_integrate()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for integrand, wanted in zip(integrands, needed, strict=True):
            if not wanted:
                totals.append(math.nan)
                continue
            total = 0.0
            for a, b in zip(edges, edges[1:], strict=False):
                total += integrate.quad(integrand, a, b, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
            totals.append(total)
    return totals[0], totals[1], totals[2], totals[3]
