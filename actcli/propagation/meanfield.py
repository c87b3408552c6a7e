"""Mean-field (infinite-width) theory of signal and gradient propagation.

Poole et al. (2016), "Exponential expressivity in deep neural networks through transient chaos";
Schoenholz et al. (2017), "Deep information propagation"; Klambauer et al. (2017),
"Self-normalizing neural networks".

Conventions (shared with `actcli.propagation.montecarlo`): layer l = 1..L computes
z^l = W^l a^(l-1) + b^l, a^l = phi(z^l), a^0 = x ~ N(0, q0 I), W_ij ~ N(0, sigma_w2/fan_in),
b_i ~ N(0, sigma_b2). `sigma_w2` is the weight variance times fan_in. The pre-activation
variance q^l = E[(z^l_i)^2] then follows

    q^1     = sigma_w2 * q0 + sigma_b2                         (the input is Gaussian itself)
    q^l     = sigma_w2 * E[phi(sqrt(q^(l-1)) z)^2] + sigma_b2    (l >= 2, z ~ N(0, 1))

and the backward signal delta^(l-1) = (W^l)^T delta^l * phi'(z^(l-1)) has
E||delta^(l-1)||^2 / E||delta^l||^2 = chi(q^(l-1)), chi(q) = sigma_w2 * E[phi'(sqrt(q) z)^2].
The Monte Carlo quantity ||delta^l|| / ||delta^L|| is therefore predicted as
prod_{m=l}^{L-1} sqrt(chi(q^m)): L - 1 backward steps for the total ||delta^1|| / ||delta^L||.

Gaussian expectations are computed by adaptive Gauss-Legendre quadrature on [-Z, Z] (Z = 37.5,
where the Gaussian density is 5e-306), split at the activation's breakpoints (c / sqrt(q) in z
units), each piece bisected until Gauss-Legendre rules of two orders agree to 1e-14 of the
integral's scale: plain Gauss-Hermite converges slowly on kinked functions (200 nodes give
E[selu'(z)^2] = 1.0665, the true value is 1.0716).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from actcli.activation import Activation
from actcli.deferred import scipy_optimize
from actcli.json_values import json_number, json_optional
from actcli.propagation.verdicts import power10

Z_MAX = 37.5
_LOW_ORDER, _HIGH_ORDER = 24, 36
_SEED_POINTS = (-20.0, -12.0, -8.0, -5.0, -3.0, -1.5, 0.0, 1.5, 3.0, 5.0, 8.0, 12.0, 20.0)
_RELATIVE_TOLERANCE = 1e-14
_MAX_ROUNDS = 60
_FIXED_POINT_STEPS = 40
_SCAN_FACTOR = 4.0
_SCAN_RANGE = 1e15
_SIGNIFICANT = 1e-12  # |F(x) - x| / x above the quadrature's noise: a real sign change
_NORMAL = 1.0 / math.sqrt(2.0 * math.pi)


@cache
def _legendre(order: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(order)


class GaussianMoments:
    """E[f^(k)(sqrt(q) z)^p] for z ~ N(0, 1), for one scalar activation f."""

    def __init__(self, activation: Activation) -> None:
        self.name = activation.name
        self._functions = {0: activation.function(0), 1: activation.function(1)}
        self._breakpoints = [value for value, _ in activation.breakpoints()]

    def expect(self, q: float, order: int = 0, power: int = 2) -> float:
        """E[f^(order)(sqrt(q) z)^power]; nan if the integrand is not negligible at |z| = Z.

        q = 0 is the limit q -> 0+: the mean of the two one-sided values at 0 to the power (at a
        kink in 0 half the Gaussian mass sits on each side however small q is). q = inf is the
        limit q -> oo, from the values at +-1e150 (for functions with limits at +-oo).
        """
        function = self._functions[order]
        if q == 0 or math.isinf(q):
            probe = 1e-300 if q == 0 else 1e150
            with np.errstate(all="ignore"):
                values = function(np.array([-probe, probe])) ** power
            return float(np.mean(values))
        scale = math.sqrt(q)
        return _integrate(
            lambda z: function(scale * z) ** power,
            [c / scale for c in self._breakpoints],
        )

    def chi(self, sigma_w2: float, q: float) -> float:
        """sigma_w2 * E[phi'(sqrt(q) z)^2]: the mean squared gradient gain of one layer."""
        return sigma_w2 * self.expect(q, order=1)

    def variance_map(self, sigma_w2: float, sigma_b2: float, q: float) -> float:
        """q -> sigma_w2 * E[phi(sqrt(q) z)^2] + sigma_b2: the next pre-activation variance."""
        return sigma_w2 * self.expect(q) + sigma_b2


def _integrate(
    integrand: Callable[[np.ndarray], np.ndarray], breakpoints: Sequence[float]
) -> float:
    """integral of integrand(z) * N(z; 0, 1) over the real line (see the module docstring)."""
    points = sorted({-Z_MAX, Z_MAX, *_SEED_POINTS, *(c for c in breakpoints if abs(c) < Z_MAX)})
    lows = np.array(points[:-1])
    highs = np.array(points[1:])

    def weighted(z: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return integrand(z) * (np.exp(-0.5 * z * z) * _NORMAL)

    tail = weighted(np.array([-Z_MAX, Z_MAX]))
    total = 0.0
    scale = None
    for _ in range(_MAX_ROUNDS):
        low_rule = _panel_sums(weighted, lows, highs, _LOW_ORDER)
        high_rule = _panel_sums(weighted, lows, highs, _HIGH_ORDER)
        if not np.all(np.isfinite(high_rule)):
            return math.nan
        if scale is None:
            scale = float(np.sum(np.abs(high_rule)))
            if not np.all(np.abs(tail) <= 1e-16 * max(scale, 1e-300)):
                return math.nan
        done = np.abs(high_rule - low_rule) <= _RELATIVE_TOLERANCE * max(scale, 1e-300)
        total += float(np.sum(high_rule[done]))
        if done.all():
            return total
        lows, highs = lows[~done], highs[~done]
        middles = 0.5 * (lows + highs)
        lows, highs = np.concatenate([lows, middles]), np.concatenate([middles, highs])
    return math.nan


def _panel_sums(
    weighted: Callable[[np.ndarray], np.ndarray], lows: np.ndarray, highs: np.ndarray, order: int
) -> np.ndarray:
    nodes, weights = _legendre(order)
    half = 0.5 * (highs - lows)
    z = (0.5 * (highs + lows))[:, None] + half[:, None] * nodes[None, :]
    return weighted(z.ravel()).reshape(z.shape) @ weights * half


# -- fixed points --------------------------------------------------------------------------


@dataclass(frozen=True)
class FixedPoint:
    """Where x -> F(x) settles from a start: `status` converged (value), zero (the iteration
    collapses to 0), diverges (grows without bound: value inf) or no_convergence (value nan)."""

    value: float
    status: str


def fixed_point(function: Callable[[float], float], start: float) -> FixedPoint:
    """The fixed point of a variance map reached by iterating from `start`.

    Plain iteration first; when that has not settled after a few dozen steps (near the edge of
    chaos it converges like 1/l), the attracting fixed point is the nearest root of F(x) - x in
    the direction of travel: a scan by factors of 4 brackets it (a sign change counts when
    |F(x) - x| > 1e-12 x, above the quadrature's noise) and Brent's method refines it. No root
    within a factor 1e15 of the last iterate means collapse to 0 or divergence.
    """

    trail = [start]
    x = start
    for _ in range(_FIXED_POINT_STEPS):
        y = function(x)
        if math.isnan(y):
            return FixedPoint(math.nan, "no_convergence")
        if math.isinf(y):
            return FixedPoint(math.inf, "diverges")
        if y == x or abs(y - x) <= 4e-16 * abs(x):
            return FixedPoint(y, "converged") if y > 0 else FixedPoint(0.0, "zero")
        trail.append(y)
        x = y

    def gap(v: float) -> float:
        return function(v) - v

    steps = np.diff(trail[-6:])
    if not (np.all(steps > 0) or np.all(steps < 0)):
        low, high = sorted(trail[-2:])
        if gap(low) * gap(high) < 0:
            return FixedPoint(
                scipy_optimize().brentq(gap, low, high, xtol=1e-300, rtol=1e-15), "converged"
            )
        return FixedPoint(math.nan, "no_convergence")
    rising = steps[-1] > 0
    near = x
    while near / x < _SCAN_RANGE and x / near < _SCAN_RANGE:
        far = near * _SCAN_FACTOR if rising else near / _SCAN_FACTOR
        value = gap(far)
        if math.isnan(value) or math.isinf(value):
            break
        if (value < -_SIGNIFICANT * far) if rising else (value > _SIGNIFICANT * far):
            low, high = sorted((near, far))
            return FixedPoint(
                scipy_optimize().brentq(gap, low, high, xtol=1e-300, rtol=1e-15), "converged"
            )
        near = far
    return FixedPoint(math.inf, "diverges") if rising else FixedPoint(0.0, "zero")


def settle(
    moments: GaussianMoments, sigma_w2: float, sigma_b2: float, input_variance: float = 1.0
) -> tuple[FixedPoint, float]:
    """(q*, chi_1 = chi(q*)) as a network sees them: the fixed point reached by iterating the
    variance map from q^1 = sigma_w2 * input_variance + sigma_b2 (nan chi_1 when it did not
    converge). `mean_field` and `critical_sigma_w2` both use this, so a critical run's JSON
    shows the chi_1 its note promises."""
    start = sigma_w2 * input_variance + sigma_b2
    star = fixed_point(lambda q: moments.variance_map(sigma_w2, sigma_b2, q), start)
    chi_1 = moments.chi(sigma_w2, star.value) if star.status != "no_convergence" else math.nan
    return star, chi_1


# -- the mean-field result ------------------------------------------------------------------


@dataclass(frozen=True)
class MeanField:
    """Mean-field predictions for one activation and init.

    `q` (length L) is the pre-activation variance q^l of each layer from q^1 = sigma_w2 q0 +
    sigma_b2; `log10_factor` (length L) the predicted log10 ||delta^l|| / ||delta^L||.
    `depth_scale` = -1/ln(chi_1) when chi_1 < 1 (layers per e-fold of gradient decay), inf at
    chi_1 = 1, None when chi_1 > 1; then `explosion_scale` = 1/ln(chi_1) (layers per e-fold of
    growth) is given instead.
    """

    sigma_w2: float
    sigma_b2: float
    q_star: float
    q_star_status: str
    chi_1: float
    depth_scale: float | None
    explosion_scale: float | None
    q: tuple[float, ...]
    log10_factor: tuple[float, ...]

    @property
    def per_layer_factor(self) -> float:
        return math.sqrt(self.chi_1) if self.chi_1 >= 0 else math.nan

    @property
    def predicted_total_factor(self) -> float:
        return power10(self.log10_factor[0])

    def to_json(self) -> dict[str, Any]:
        return {
            "q_star": json_number(self.q_star),
            "q_star_status": self.q_star_status,
            "chi_1": json_number(self.chi_1),
            "per_layer_factor": json_number(self.per_layer_factor),
            "depth_scale": None if self.depth_scale is None else json_number(self.depth_scale),
            "explosion_scale": (
                None if self.explosion_scale is None else json_number(self.explosion_scale)
            ),
            "predicted_total_factor": json_number(self.predicted_total_factor),
            "log10_predicted_total_factor": json_number(self.log10_factor[0]),
        }


def mean_field(
    moments: GaussianMoments,
    sigma_w2: float,
    sigma_b2: float,
    depth: int,
    input_variance: float = 1.0,
) -> MeanField:
    """q*, chi_1 = chi(q*), the depth scales and the layer-by-layer prediction for depth L."""
    q_first = sigma_w2 * input_variance + sigma_b2
    star, chi_1 = settle(moments, sigma_w2, sigma_b2, input_variance)
    q_values = [q_first]
    while len(q_values) < depth:
        previous = q_values[-1]
        settled = previous == star.value or math.isinf(previous) or math.isnan(previous)
        q_values.append(previous if settled else moments.variance_map(sigma_w2, sigma_b2, previous))
    chis = {}
    log_steps = []
    for q in q_values[:-1]:
        if q not in chis:
            chis[q] = chi_1 if q == star.value else moments.chi(sigma_w2, q)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_steps.append(0.5 * float(np.log10(chis[q])))
    log10_factor = [0.0] * depth
    for layer in range(depth - 2, -1, -1):
        log10_factor[layer] = log10_factor[layer + 1] + log_steps[layer]
    depth_scale, explosion_scale = _depth_scales(chi_1)
    return MeanField(
        sigma_w2,
        sigma_b2,
        star.value,
        star.status,
        chi_1,
        depth_scale,
        explosion_scale,
        tuple(q_values),
        tuple(log10_factor),
    )


def _depth_scales(chi_1: float) -> tuple[float | None, float | None]:
    if math.isnan(chi_1) or chi_1 <= 0:
        return (0.0 if chi_1 == 0 else None), None
    log_chi = math.log(chi_1)
    if math.isinf(log_chi):
        return None, 0.0
    if abs(log_chi) < 1e-12:
        return math.inf, math.inf
    return (-1.0 / log_chi, None) if log_chi < 0 else (None, 1.0 / log_chi)


# -- the edge of chaos ----------------------------------------------------------------------
#
# The fixed points of the variance map form one curve, parametrised by q itself: q is a fixed
# point for sigma_w2(q) = (q - sigma_b2) / E[phi(sqrt(q) z)^2], with chi_1(q) = sigma_w2(q) *
# E[phi'(sqrt(q) z)^2]. Along it nothing jumps: no iteration, no branch switching, no
# divergence or collapse (those are the curve's ends, q -> oo and q -> 0). The slope of the
# map there is F'(q) = 1 - E[phi(sqrt(q) z)^2] * dsigma_w2/dq, so the fixed point is stable
# (attracting from nearby) exactly where sigma_w2(q) increases, and a fold (sigma_w2 at a
# maximum) is where the stable fixed point disappears.

CRITICAL_TOLERANCE = 1e-9  # |chi_1 - 1| at a reported edge of chaos, recomputed as a run does
_CURVE_DECADES = 6  # q - sigma_b2 from 1e-6 to 1e6
_CURVE_PER_DECADE = 8
_ONE_BAND = 1e-12  # |chi_1 - 1| below this on the curve is no sign (ReLU: chi_1 = 1 everywhere)
_STABILITY_STEP = 1e-4  # relative step in q - sigma_b2 that tells rising from falling


@dataclass(frozen=True)
class Critical:
    """The edge of chaos at one sigma_b2: the sigma_w2 with chi_1 = 1, or none and why.

    Found (`sigma_w2` set): `q_star`, `q_star_status` and `chi_1` are recomputed at `sigma_w2`
    as a run computes them (`settle`), and |chi_1 - 1| <= `CRITICAL_TOLERANCE`. q* is finite,
    0 (the map collapses, chi_1 its q -> 0 limit) or inf (the map diverges, chi_1 its q -> oo
    limit, as for ReLU with sigma_b2 > 0). None (`sigma_w2` None): `largest_chi_1` is the
    largest chi_1 on the stable branch of fixed points that starts at sigma_w2 -> 0, reached at
    `largest_chi_1_sigma_w2`, `largest_chi_1_q_star`. `reason` says which in words (the note of
    `simulate-depth --critical`). `variance_preserving_sigma_w2` maps q = 1 to itself
    (sigma_w2 E[phi(z)^2] + sigma_b2 = 1), None when sigma_b2 >= 1.
    """

    sigma_w2: float | None
    reason: str
    sigma_b2: float = 0.0
    q_star: float | None = None
    q_star_status: str | None = None
    chi_1: float | None = None
    largest_chi_1: float | None = None
    largest_chi_1_sigma_w2: float | None = None
    largest_chi_1_q_star: float | None = None
    variance_preserving_sigma_w2: float | None = None

    @property
    def status(self) -> str:
        return "none" if self.sigma_w2 is None else "found"

    @property
    def residual(self) -> float | None:
        """|chi_1 - 1| at the reported sigma_w2."""
        return None if self.chi_1 is None else abs(self.chi_1 - 1.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "sigma_w2": json_optional(self.sigma_w2),
            "sigma_b2": json_number(self.sigma_b2),
            "q_star": json_optional(self.q_star),
            "q_star_status": self.q_star_status,
            "chi_1": json_optional(self.chi_1),
            "residual": json_optional(self.residual),
            "tolerance": CRITICAL_TOLERANCE,
            "largest_chi_1": json_optional(self.largest_chi_1),
            "largest_chi_1_sigma_w2": json_optional(self.largest_chi_1_sigma_w2),
            "largest_chi_1_q_star": json_optional(self.largest_chi_1_q_star),
            "variance_preserving_sigma_w2": json_optional(self.variance_preserving_sigma_w2),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class _Point:
    """A point of the fixed-point curve: q - sigma_b2 = `excess`, q = `q`."""

    excess: float
    q: float
    sigma_w2: float
    chi_1: float


@dataclass(frozen=True)
class _Candidate:
    """A sigma_w2 where the curve says chi_1 = 1, at q* = `q` (0 and inf: the curve's ends)."""

    sigma_w2: float
    q: float


def variance_preserving_sigma_w2(moments: GaussianMoments, sigma_b2: float) -> float | None:
    """The sigma_w2 with sigma_w2 E[phi(z)^2] + sigma_b2 = 1 (q = 1 maps to itself), None when
    sigma_b2 >= 1 or E[phi(z)^2] is 0 or not finite."""
    second = moments.expect(1.0)
    if sigma_b2 >= 1 or not (math.isfinite(second) and second > 0):
        return None
    return (1.0 - sigma_b2) / second


def critical_sigma_w2(
    moments: GaussianMoments, sigma_b2: float, input_variance: float = 1.0
) -> Critical:
    """The edge of chaos: the sigma_w2 where chi_1 = 1 at this sigma_b2, or none and why.

    Candidates come from the fixed-point curve (see above), in order of q: q* = 0 when
    sigma_b2 = 0 and phi(0) = 0 (there the map collapses for sigma_w2 < 1/E[phi'(0)^2], chi_1 =
    sigma_w2 E[phi'(0)^2] reaches 1 at its end); every crossing of chi_1 = 1 on a stable part of
    the curve on q - sigma_b2 = 1e-6 .. 1e6 (8 points a decade, refined by Brent's method in q);
    q* -> oo for activations with linear tails (chi_1 -> 1 there at sigma_w2 = 1/E[phi'(oo
    z)^2]). Crossings on unstable parts are not edges of chaos (no network settles there).
    Each candidate is then checked as a run computes it (`settle`: q* by iterating from q^1 =
    sigma_w2 input_variance + sigma_b2, chi_1 there): the first with |chi_1 - 1| <=
    CRITICAL_TOLERANCE is the answer. A sign change of chi_1 - 1 across a jump of q* (a fold,
    the map switching to divergence from q^1) is never one: it is not a crossing on the curve.
    """
    if not (math.isfinite(sigma_b2) and sigma_b2 >= 0):
        raise ValueError(f"sigma_b2 = {sigma_b2!r}: must be zero or positive")
    preserving = variance_preserving_sigma_w2(moments, sigma_b2)
    points = _curve(moments, sigma_b2)
    candidates, unstable = _crossings(moments, sigma_b2, points)
    zero = _zero_branch_end(moments, sigma_b2)
    if zero is not None and zero.chi_1 == 1:
        candidates.insert(0, _Candidate(zero.sigma_w2, 0.0))
    linear = _linear_tail_candidate(moments)
    if linear is not None:
        candidates.append(linear)
    rejected = []
    for candidate in candidates:
        star, chi_1 = settle(moments, candidate.sigma_w2, sigma_b2, input_variance)
        if abs(chi_1 - 1.0) <= CRITICAL_TOLERANCE:
            return Critical(
                candidate.sigma_w2,
                _found_note(candidate.sigma_w2, star, chi_1),
                sigma_b2,
                star.value,
                star.status,
                chi_1,
                variance_preserving_sigma_w2=preserving,
            )
        if not math.isinf(candidate.q):
            start = candidate.sigma_w2 * input_variance + sigma_b2
            rejected.append(_rejection(candidate, start, star, chi_1))
    branch = _stable_branch(moments, sigma_b2, points, zero)
    parts = [] if branch is None else [branch[1]]
    if unstable:
        parts.append(
            f"chi_1 = 1 only at an unstable fixed point (sigma_w^2 = {unstable[0].sigma_w2:.6g}, "
            f"q* = {unstable[0].q:.6g})"
        )
    parts += rejected
    if not parts:
        parts.append("chi_1 could not be computed (the Gaussian expectations do not converge)")
    largest = branch[0] if branch is not None else None
    return Critical(
        None,
        f"no edge of chaos for sigma_b^2 = {sigma_b2:g}: " + "; ".join(parts),
        sigma_b2,
        largest_chi_1=None if largest is None else largest.chi_1,
        largest_chi_1_sigma_w2=None if largest is None else largest.sigma_w2,
        largest_chi_1_q_star=None if largest is None else largest.q,
        variance_preserving_sigma_w2=preserving,
    )


def _point(moments: GaussianMoments, sigma_b2: float, excess: float) -> _Point | None:
    """The curve at q = sigma_b2 + excess; None where an expectation is not finite."""
    q = sigma_b2 + excess
    second = moments.expect(q)
    if not (math.isfinite(second) and second > 0):
        return None
    sigma_w2 = excess / second
    chi_1 = sigma_w2 * moments.expect(q, order=1)
    return _Point(excess, q, sigma_w2, chi_1) if math.isfinite(chi_1) else None


def _curve(moments: GaussianMoments, sigma_b2: float) -> list[_Point]:
    steps = range(-_CURVE_DECADES * _CURVE_PER_DECADE, _CURVE_DECADES * _CURVE_PER_DECADE + 1)
    found = (_point(moments, sigma_b2, 10.0 ** (k / _CURVE_PER_DECADE)) for k in steps)
    return [point for point in found if point is not None]


def _side(point: _Point) -> int:
    """The sign of chi_1 - 1, 0 within `_ONE_BAND`."""
    gap = point.chi_1 - 1.0
    return 0 if abs(gap) <= _ONE_BAND else (1 if gap > 0 else -1)


def _rising(moments: GaussianMoments, sigma_b2: float, excess: float) -> bool:
    """Whether sigma_w2(q) increases at q = sigma_b2 + excess (a stable fixed point there)."""
    below = _point(moments, sigma_b2, excess * (1 - _STABILITY_STEP))
    above = _point(moments, sigma_b2, excess * (1 + _STABILITY_STEP))
    return below is not None and above is not None and above.sigma_w2 > below.sigma_w2


def _crossings(
    moments: GaussianMoments, sigma_b2: float, points: list[_Point]
) -> tuple[list[_Candidate], list[_Candidate]]:
    """Where chi_1 crosses 1 along the curve, in order of q: (stable ones, unstable ones)."""
    stable: list[_Candidate] = []
    unstable: list[_Candidate] = []
    last = None  # the last point off the band around chi_1 = 1

    def gap(excess: float) -> float:
        point = _point(moments, sigma_b2, excess)
        return math.nan if point is None else point.chi_1 - 1.0

    for point in points:
        side = _side(point)
        if side == 0:
            continue
        if last is not None and _side(last) != side:
            try:
                excess = scipy_optimize().brentq(
                    gap, last.excess, point.excess, xtol=1e-300, rtol=1e-15
                )
            except (ValueError, RuntimeError):  # an expectation failed inside the bracket
                last = point
                continue
            root = _point(moments, sigma_b2, excess)
            if root is not None:
                found = _Candidate(root.sigma_w2, root.q)
                (stable if _rising(moments, sigma_b2, excess) else unstable).append(found)
        last = point
    return stable, unstable


def _zero_branch_end(moments: GaussianMoments, sigma_b2: float) -> _Point | None:
    """Where the fixed point q* = 0 stops being stable, None unless it is a fixed point
    (sigma_b2 = 0 and phi(0) = 0). There chi_1 = sigma_w2 E[phi'(0)^2], and q* = 0 attracts
    while that is below 1: its stability ends at sigma_w2 = 1/E[phi'(0)^2] with chi_1 = 1, or
    never (sigma_w2 = inf, chi_1 = 0) when phi'(0) = 0."""
    if sigma_b2 != 0 or moments.expect(0.0) != 0:
        return None
    slope = moments.expect(0.0, order=1)
    if not math.isfinite(slope):
        return None
    return _Point(0.0, 0.0, 1.0 / slope, 1.0) if slope > 0 else _Point(0.0, 0.0, math.inf, 0.0)


def _linear_tail_candidate(moments: GaussianMoments) -> _Candidate | None:
    """q* -> oo at sigma_w2 = 1/E[phi'(oo z)^2]: for phi with linear tails E[phi(sqrt(q)
    z)^2] ~ q E[phi'(oo z)^2], so the curve ends there with chi_1 -> 1."""
    slope = moments.expect(math.inf, order=1)
    return _Candidate(1.0 / slope, math.inf) if math.isfinite(slope) and slope > 0 else None


def _stable_branch(
    moments: GaussianMoments, sigma_b2: float, points: list[_Point], zero: _Point | None
) -> tuple[_Point, str] | None:
    """The largest chi_1 on the stable branch that starts at sigma_w2 -> 0, and a sentence.

    That branch is q* = 0 while it is stable (`zero`: sigma_b2 = 0, phi(0) = 0), continued by
    the curve when the curve starts there rising; otherwise the curve from its first point
    (sigma_w2 -> 0) while sigma_w2 rises. It ends at a fold (refined to the maximum of sigma_w2)
    or at the end of the scan.
    """
    end = next(
        (i for i in range(1, len(points)) if points[i].sigma_w2 <= points[i - 1].sigma_w2),
        None,
    )
    rising = bool(points) and end != 1
    if zero is not None and (zero.chi_1 == 0 or not rising):
        if zero.chi_1 == 0:
            return zero, "the stable branch is q* = 0, with chi_1 = 0 for every sigma_w^2"
        return zero, (
            "the stable branch is q* = 0, with chi_1 = sigma_w^2 E[phi'(0)^2] < 1 up to "
            f"sigma_w^2 = {zero.sigma_w2:.6g}, where q* = 0 stops attracting and no stable "
            "q* > 0 takes over"
        )
    if not points:
        return None
    if end is None:
        branch, fold = points, None
    elif end == 1:
        branch, fold = [points[0]], points[0]
    else:
        fold = _fold(moments, sigma_b2, points[end - 2], points[end])
        branch = [*(p for p in points[:end] if p.excess < fold.excess), fold]
    largest = max([*([zero] if zero is not None else []), *branch], key=lambda p: p.chi_1)
    where = f"(sigma_w^2 = {largest.sigma_w2:.6g}, q* = {largest.q:.6g})"
    if fold is None:
        return largest, (
            f"on the stable branch of q*, chi_1 stays below 1 up to q* = {points[-1].q:.3g}: "
            f"at most {largest.chi_1:.6g} {where}"
        )
    ends = "there" if largest is fold else f"at sigma_w^2 = {fold.sigma_w2:.6g}, q* = {fold.q:.6g}"
    return largest, (
        f"on the stable branch of q*, chi_1 reaches at most {largest.chi_1:.6g} {where}; the "
        f"stable fixed point disappears {ends}, merging with an unstable one"
    )


def _fold(moments: GaussianMoments, sigma_b2: float, low: _Point, high: _Point) -> _Point:
    """The maximum of sigma_w2(q) between two points of the curve (a fold)."""

    def minus_sigma_w2(log_excess: float) -> float:
        point = _point(moments, sigma_b2, math.exp(log_excess))
        return math.inf if point is None else -point.sigma_w2

    best = scipy_optimize().minimize_scalar(
        minus_sigma_w2,
        bounds=(math.log(low.excess), math.log(high.excess)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    point = _point(moments, sigma_b2, math.exp(best.x))
    return point if point is not None else low


def _found_note(sigma_w2: float, star: FixedPoint, chi_1: float) -> str:
    limit = {
        "zero": " (the variance map collapses to 0: chi_1 is its q -> 0 limit)",
        "diverges": " (the variance map diverges: chi_1 is its q -> oo limit)",
    }.get(star.status, "")
    return (
        f"edge of chaos at sigma_w^2 = {sigma_w2:.10g}: chi_1 = 1 (|chi_1 - 1| = "
        f"{abs(chi_1 - 1.0):.1g}), q* = {star.value:.6g}{limit}"
    )


def _rejection(candidate: _Candidate, start: float, star: FixedPoint, chi_1: float) -> str:
    went = {
        "zero": "collapses to q* = 0",
        "diverges": "diverges",
        "no_convergence": "does not converge",
    }.get(star.status, f"settles at q* = {star.value:.6g}")
    return (
        f"chi_1 = 1 at sigma_w^2 = {candidate.sigma_w2:.6g} with q* = {candidate.q:.6g}, but from "
        f"q^1 = {start:.6g} the variance map {went} (chi_1 = {chi_1:.6g})"
    )


# -- Klambauer's mean/variance map -----------------------------------------------------------


@dataclass(frozen=True)
class MeanVarianceMap:
    """(mu, nu) -> (mu', nu') of Klambauer et al. (2017) with omega = sum w = 0 and
    tau = sum w^2 = sigma_w2: z ~ N(mu * omega, nu * tau + sigma_b2) = N(0, nu * sigma_w2 +
    sigma_b2), mu' = E[phi(z)], nu' = Var[phi(z)]. With omega = 0 the incoming mean drops out.
    `unit_image` is the image of (0, 1); `fixed_point` is (mu*, nu*) reached from (0, 1), None
    when the variance diverges or collapses to 0."""

    sigma_w2: float
    sigma_b2: float
    unit_image: tuple[float, float]
    fixed_point: tuple[float, float] | None
    status: str

    def to_json(self) -> dict[str, Any]:
        return {
            "omega": 0.0,
            "tau": json_number(self.sigma_w2),
            "sigma_b2": json_number(self.sigma_b2),
            "image_of_unit": {
                "mean": json_number(self.unit_image[0]),
                "variance": json_number(self.unit_image[1]),
            },
            "fixed_point": None
            if self.fixed_point is None
            else {
                "mean": json_number(self.fixed_point[0]),
                "variance": json_number(self.fixed_point[1]),
            },
            "status": self.status,
        }


def mean_variance_map(
    moments: GaussianMoments, sigma_w2: float, sigma_b2: float
) -> MeanVarianceMap:
    """Klambauer's map at (0, 1) and its fixed point (see `MeanVarianceMap`)."""

    def image(nu: float) -> tuple[float, float]:
        q = nu * sigma_w2 + sigma_b2
        mean = moments.expect(q, power=1)
        return mean, max(0.0, moments.expect(q) - mean * mean)  # rounding near 0

    unit = image(1.0)
    star = fixed_point(lambda nu: image(nu)[1], 1.0)
    if star.status != "converged":
        return MeanVarianceMap(sigma_w2, sigma_b2, unit, None, star.status)
    return MeanVarianceMap(sigma_w2, sigma_b2, unit, image(star.value), star.status)
