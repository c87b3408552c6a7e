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

Gaussian expectations are `actcli.propagation.gaussian.GaussianMoments`: adaptive
Gauss-Legendre quadrature split at the activation's breakpoints, for arrays of q at once.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from actcli.deferred import scipy_optimize
from actcli.json_values import json_number, json_optional
from actcli.propagation.gaussian import GaussianMoments
from actcli.propagation.verdicts import power10

_FIXED_POINT_STEPS = 40
_SCAN_FACTOR = 4.0
_SCAN_RANGE = 1e15
_SIGNIFICANT = 1e-12  # |F(x) - x| / x above the quadrature's noise: a real sign change


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
            return _refined(gap, low, high)
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
            return _refined(gap, low, high)
        near = far
    return FixedPoint(math.inf, "diverges") if rising else FixedPoint(0.0, "zero")


def _refined(gap: Callable[[float], float], low: float, high: float) -> FixedPoint:
    """The root of `gap` bracketed by [low, high] by Brent's method; no_convergence when the
    map is too rough for it (sin(1/x): the quadrature's noise flips the sign of the gap at
    every step, and brentq gives up after 100 iterations, or meets a nan)."""
    try:
        root = scipy_optimize().brentq(gap, low, high, xtol=1e-300, rtol=1e-15)
    except (RuntimeError, ValueError):
        return FixedPoint(math.nan, "no_convergence")
    return FixedPoint(root, "converged")


def settle(
    moments: GaussianMoments, sigma_w2: float, sigma_b2: float, input_variance: float = 1.0
) -> tuple[FixedPoint, float]:
    """(q*, chi_1 = chi(q*)) as a network sees them: the fixed point reached by iterating the
    variance map from q^1 = sigma_w2 * input_variance + sigma_b2 (nan chi_1 when it did not
    converge). `mean_field`, `critical_sigma_w2` and `actcli phase` all use `settle_many`, so
    a critical run's JSON shows the chi_1 its note promises, and a phase diagram's point the
    value a run there computes."""
    found = settle_many(
        moments,
        np.array([sigma_w2], dtype=float),
        np.array([sigma_b2], dtype=float),
        input_variance,
    )
    return FixedPoint(float(found.q_star[0]), str(found.status[0])), float(found.chi_1[0])


@dataclass(frozen=True)
class Settled:
    """`settle_many`'s answer, one entry per (sigma_w2, sigma_b2): q*, its `FixedPoint` status
    and chi_1 = chi(q*)."""

    q_star: np.ndarray
    status: np.ndarray
    chi_1: np.ndarray


_ACTIVE = ""
_SEARCH_STEPS = 200
_CONVERGED = 4e-16  # |F(x) - x| / x: settled, as plain iteration decides it
_NEWTON_CLOSE = 1e-15  # |G / G'| / x: the Newton step says the root is here


def settle_many(
    moments: GaussianMoments,
    sigma_w2: np.ndarray,
    sigma_b2: np.ndarray,
    input_variance: float = 1.0,
) -> Settled:
    """`settle` for arrays of (sigma_w2, sigma_b2) at once: every Gaussian expectation of a
    step is one `expect_many` call over all points still searching.

    Plain iteration from q^1 approaches, monotonically when F increases, the nearest fixed point
    in its direction of travel, but near the edge of chaos it needs thousands of steps. Here
    each step goes from x to the Newton point of G(q) = F(q) - q (its slope from
    `second_moments`), never short of the plain step F(x) (which cannot pass that fixed point)
    and never beyond a factor of 4 (the scan of `fixed_point`: a factor-4 step is what may step
    over a pair of roots). When G changes sign the root is bracketed and Newton's method
    safeguarded by bisection finishes it. Statuses as `fixed_point`: converged when |F(x) -
    x| <= 4e-16 x (value F(x)) or the bracket is that narrow; zero or diverges when the search
    leaves a factor 1e15 of q^1 (or F is inf); no_convergence when F is nan at q^1 or inside a
    bracket. Points left after 200 steps get the scalar `fixed_point`.
    """
    weights = np.asarray(sigma_w2, dtype=float).ravel()
    biases = np.broadcast_to(np.asarray(sigma_b2, dtype=float), weights.shape).ravel()
    start = weights * input_variance + biases
    count = weights.size
    value = np.full(count, math.nan)
    status = np.full(count, _ACTIVE, dtype=object)
    search = _Search.starting_at(start)

    def finish(where: np.ndarray, name: str, result: np.ndarray | float) -> None:
        value[where] = result
        status[where] = name

    for _ in range(_SEARCH_STEPS):
        live = np.flatnonzero(status == _ACTIVE)
        if not live.size:
            break
        here = search.x[live]
        second, weighted = moments.second_moments(here)
        w, b = weights[live], biases[live]
        with np.errstate(all="ignore"):
            image = w * second + b
            gap = image - here
            slope = w * (weighted - second) / (2.0 * here) - 1.0
        direction = search.direction[live]
        first = direction == 0
        bracketed = ~np.isnan(search.low[live])
        broken = np.isnan(image)
        finish(live[broken & (first | bracketed)], "no_convergence", math.nan)
        lost = broken & ~first & ~bracketed  # as the scan of `fixed_point`: the search left
        finish(live[lost & (direction > 0)], "diverges", math.inf)
        finish(live[lost & (direction < 0)], "zero", 0.0)
        finish(live[np.isposinf(image)], "diverges", math.inf)
        with np.errstate(invalid="ignore"):
            small = np.abs(gap) <= _CONVERGED * np.abs(here)
            # past the first step a small gap counts only at a root that G crosses (a tiny
            # but flat G is a slow drift, to 0 as for hardtanh at sigma_w2 = 1, which the
            # scan of `fixed_point` does not stop at either)
            near = np.abs(gap) <= _NEWTON_CLOSE * np.abs(here) * np.abs(slope)
            transversal = slope < -_SIGNIFICANT
            # F(q) = q to the quadrature's accuracy with F' = 1 at q^1 (the identity, relu at
            # sigma_w2 = 2, sigma_b2 = 0): every q is a fixed point and q^1 stays where it is
            neutral = first & (np.abs(gap) <= _SIGNIFICANT * here) & (np.abs(slope) <= _SIGNIFICANT)
            settled = ~broken & (
                ((image == here) | small) & (first | bracketed | (near & transversal)) | neutral
            )
        finish(live[settled & (image > 0)], "converged", image[settled & (image > 0)])
        finish(live[settled & ~(image > 0)], "zero", 0.0)
        going = status[live] == _ACTIVE
        search.step(*(part[going] for part in (live, here, image, gap, slope)))
        walked = live[going & np.isnan(search.low[live])]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = search.x[walked] / start[walked]
        rising = search.direction[walked] > 0
        finish(walked[rising & (ratio > _SCAN_RANGE)], "diverges", math.inf)
        finish(walked[~rising & ~(ratio * _SCAN_RANGE > 1)], "zero", 0.0)
        narrow = live[going & ~np.isnan(search.low[live])]
        low, high = search.low[narrow], search.high[narrow]
        thin = high - low <= _CONVERGED * high
        finish(narrow[thin], "converged", search.x[narrow[thin]])

    for i in np.flatnonzero(status == _ACTIVE):
        w, b = float(weights[i]), float(biases[i])
        star = fixed_point(lambda q, w=w, b=b: moments.variance_map(w, b, q), float(start[i]))
        finish(np.array([i]), star.status, star.value)
    chi = np.full(count, math.nan)
    known = status != "no_convergence"
    chi[known] = weights[known] * moments.expect_many(value[known], order=1)
    return Settled(value, status.astype(str), chi)


@dataclass(frozen=True)
class _Search:
    """Per point of `settle_many`: the next point `x`, the direction of travel (+1 rising, -1
    falling, 0 before the first step), the bracket [low, high] once G changed sign (nan
    before) with the sign of G at low, the last point evaluated, and the last two steps made
    inside the bracket."""

    x: np.ndarray
    direction: np.ndarray
    low: np.ndarray
    high: np.ndarray
    low_sign: np.ndarray
    previous: np.ndarray
    last_step: np.ndarray
    older_step: np.ndarray

    @classmethod
    def starting_at(cls, start: np.ndarray) -> _Search:
        def nans() -> np.ndarray:
            return np.full(start.size, math.nan)

        infinite = np.full(start.size, math.inf)
        zeros = np.zeros(start.size)
        return cls(
            start.copy(), zeros, nans(), nans(), zeros.copy(), nans(), infinite, infinite.copy()
        )

    def step(
        self,
        live: np.ndarray,
        here: np.ndarray,
        image: np.ndarray,
        gap: np.ndarray,
        slope: np.ndarray,
    ) -> None:
        """Choose the next point of the points `live`, evaluated at `here`: F = `image`,
        G = `gap`, G' = `slope`."""
        sign = np.sign(gap)
        self.direction[live] = np.where(self.direction[live] == 0, sign, self.direction[live])
        direction = self.direction[live]
        with np.errstate(invalid="ignore"):
            significant = (np.abs(gap) > _SIGNIFICANT * here) | (slope < -_SIGNIFICANT)
        crossed = np.isnan(self.low[live]) & (sign == -direction) & significant
        ends = np.sort(np.stack([self.previous[live][crossed], here[crossed]]), axis=0)
        self.low[live[crossed]], self.high[live[crossed]] = ends[0], ends[1]
        self.low_sign[live[crossed]] = np.where(ends[0] == here[crossed], 1, -1) * sign[crossed]
        self.previous[live] = here
        inside = ~np.isnan(self.low[live])
        free = ~inside
        self.x[live[free]] = _free_step(
            here[free], image[free], gap[free], slope[free], direction[free]
        )
        if inside.any():
            self._bracket_step(live[inside], here[inside], gap[inside], slope[inside])

    def _bracket_step(
        self, live: np.ndarray, here: np.ndarray, gap: np.ndarray, slope: np.ndarray
    ) -> None:
        """Newton's method inside [low, high], bisecting where its point falls outside or its
        step is not below half the step before last (as Numerical Recipes' rtsafe)."""
        sign = np.sign(gap)
        same = sign == self.low_sign[live]
        self.low[live[same]] = here[same]
        self.high[live[~same & (sign != 0)]] = here[~same & (sign != 0)]
        low, high = self.low[live], self.high[live]
        with np.errstate(all="ignore"):
            newton = here - gap / slope
        slow = np.abs(newton - here) > 0.5 * self.older_step[live]
        bisect = ~((newton > low) & (newton < high)) | slow
        target = np.where(bisect, 0.5 * (low + high), newton)
        self.older_step[live] = self.last_step[live]
        self.last_step[live] = np.abs(target - here)
        self.x[live] = target


def _free_step(
    here: np.ndarray,
    image: np.ndarray,
    gap: np.ndarray,
    slope: np.ndarray,
    direction: np.ndarray,
) -> np.ndarray:
    """The next point before a bracket: Newton's, at least the plain step F(x), at most a
    factor 4 away, in the direction of travel."""
    with np.errstate(all="ignore"):
        newton = here - gap / slope
        onward = (slope < 0) & ((newton - here) * direction > 0)
    newton = np.where(onward, newton, np.inf * direction)
    up = np.maximum(np.minimum(newton, _SCAN_FACTOR * here), image)
    down = np.minimum(np.maximum(newton, here / _SCAN_FACTOR), image)
    return np.where(direction > 0, up, down)


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
    settled = False  # the layers' q stopped changing (to 4e-16, as `fixed_point` decides)
    while len(q_values) < depth:
        previous = q_values[-1]
        settled = settled or previous == star.value or not math.isfinite(previous)
        following = previous if settled else moments.variance_map(sigma_w2, sigma_b2, previous)
        settled = abs(following - previous) <= _CONVERGED * abs(previous)
        q_values.append(following)
    distinct = sorted({q for q in q_values[:-1] if q != star.value})
    gains = sigma_w2 * moments.expect_many(np.array(distinct, dtype=float), order=1)
    chis = {star.value: chi_1, **dict(zip(distinct, gains.tolist(), strict=True))}
    log_steps = []
    for q in q_values[:-1]:
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
_ROOT_STEPS = 200
_ROOT_WIDTH = 2e-15  # relative width of a refined bracket of chi_1 = 1 on the curve
_FOLD_WIDTH = 1e-10  # width in log(q - sigma_b2) of a refined fold


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
    the curve on q - sigma_b2 = 1e-6 .. 1e6 (8 points a decade, refined by the Illinois method in
    q); q* -> oo for activations with linear tails (chi_1 -> 1 there at sigma_w2 = 1/E[phi'(oo
    z)^2]). Crossings on unstable parts are not edges of chaos (no network settles there).
    Each candidate is then checked as a run computes it (`settle`: q* by iterating from q^1 =
    sigma_w2 input_variance + sigma_b2, chi_1 there): the first with |chi_1 - 1| <=
    CRITICAL_TOLERANCE is the answer. A sign change of chi_1 - 1 across a jump of q* (a fold,
    the map switching to divergence from q^1) is never one: it is not a crossing on the curve.
    """
    return critical_line(moments, [sigma_b2], input_variance)[0]


def critical_line(
    moments: GaussianMoments, sigma_b2: Sequence[float], input_variance: float = 1.0
) -> list[Critical]:
    """`critical_sigma_w2` at each sigma_b2, with the work of all of them batched: the curves'
    points in one `expect_many` call per moment, the crossings refined together, and the
    candidates checked together (`settle_many`), the first of every row, then the second of
    those rows still without an answer, and so on."""
    biases = [float(b) for b in sigma_b2]
    for bias in biases:
        if not (math.isfinite(bias) and bias >= 0):
            raise ValueError(f"sigma_b2 = {bias!r}: must be zero or positive")
    divergent = moment_divergence(moments)
    if divergent is not None:
        return [
            Critical(
                None,
                f"no edge of chaos for sigma_b^2 = {bias:g}: {divergent}",
                bias,
                variance_preserving_sigma_w2=variance_preserving_sigma_w2(moments, bias),
            )
            for bias in biases
        ]
    curves = _curves(moments, biases)
    crossings = _crossings(moments, biases, curves)
    linear = _linear_tail_candidate(moments)
    zeros = [_zero_branch_end(moments, bias) for bias in biases]
    candidates = []
    for (stable, _), zero in zip(crossings, zeros, strict=True):
        first = [_Candidate(zero.sigma_w2, 0.0)] if zero is not None and zero.chi_1 == 1 else []
        candidates.append([*first, *stable, *([linear] if linear is not None else [])])
    found: list[Critical | None] = [None] * len(biases)
    rejected: list[list[str]] = [[] for _ in biases]
    rank = 0
    while True:
        rows = [i for i, c in enumerate(candidates) if found[i] is None and rank < len(c)]
        if not rows:
            break
        tried = [candidates[i][rank] for i in rows]
        checked = settle_many(
            moments,
            np.array([c.sigma_w2 for c in tried]),
            np.array([biases[i] for i in rows]),
            input_variance,
        )
        for k, (row, candidate) in enumerate(zip(rows, tried, strict=True)):
            star = FixedPoint(float(checked.q_star[k]), str(checked.status[k]))
            chi_1 = float(checked.chi_1[k])
            if abs(chi_1 - 1.0) <= CRITICAL_TOLERANCE:
                found[row] = Critical(
                    candidate.sigma_w2,
                    _found_note(candidate.sigma_w2, star, chi_1),
                    biases[row],
                    star.value,
                    star.status,
                    chi_1,
                )
            elif not math.isinf(candidate.q):
                start = candidate.sigma_w2 * input_variance + biases[row]
                rejected[row].append(_rejection(candidate, start, star, chi_1))
        rank += 1
    missing = [i for i in range(len(biases)) if found[i] is None]
    brackets = {i: _fold_bracket(curves[i], zeros[i]) for i in missing}
    needed = [i for i in missing if brackets[i] is not None]
    refined = _folds(moments, [biases[i] for i in needed], [brackets[i] for i in needed])
    folds = dict(zip(needed, refined, strict=True))
    answers = []
    for row, bias in enumerate(biases):
        preserving = variance_preserving_sigma_w2(moments, bias)
        hit = found[row]
        if hit is None:
            branch = _stable_branch(curves[row], zeros[row], folds.get(row))
            hit = _no_edge(bias, branch, crossings[row][1], rejected[row])
        answers.append(dataclasses.replace(hit, variance_preserving_sigma_w2=preserving))
    return answers


def moment_divergence(moments: GaussianMoments) -> str | None:
    """Why no sigma_w2 > 0 has a finite fixed point with finite chi_1, when a pole of phi or
    phi' makes E[phi^2] or E[phi'^2] diverge at every q (`GaussianMoments.divergence`)."""
    pole = moments.divergence(0)
    if pole is not None:
        return f"{pole.reason()}, so the variance map diverges: no finite q*"
    pole = moments.divergence(1)
    if pole is not None:
        return f"{pole.reason()}, so chi_1 = inf: every sigma_w^2 > 0 is chaotic, none ordered"
    return None


def _no_edge(
    sigma_b2: float,
    branch: tuple[_Point, str] | None,
    unstable: list[_Candidate],
    rejected: list[str],
) -> Critical:
    """The `Critical` of a row without an edge of chaos: the largest chi_1 on the stable branch
    (`_stable_branch`) and why none."""
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
    )


def _points(
    moments: GaussianMoments, sigma_b2: np.ndarray, excess: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The curve at q = sigma_b2 + excess, elementwise: (q, sigma_w2, chi_1), nan where an
    expectation is not finite (or E[phi^2] is 0)."""
    q = sigma_b2 + excess
    second = moments.expect_many(q)
    slope = moments.expect_many(q, order=1)
    with np.errstate(all="ignore"):
        sigma_w2 = np.where(np.isfinite(second) & (second > 0), excess / second, math.nan)
        chi_1 = sigma_w2 * slope
    bad = ~np.isfinite(chi_1)
    sigma_w2[bad] = math.nan
    chi_1[bad] = math.nan
    return q, sigma_w2, chi_1


def _point(moments: GaussianMoments, sigma_b2: float, excess: float) -> _Point | None:
    """The curve at q = sigma_b2 + excess; None where an expectation is not finite."""
    q, sigma_w2, chi_1 = _points(moments, np.array([sigma_b2]), np.array([excess]))
    if math.isnan(chi_1[0]):
        return None
    return _Point(excess, float(q[0]), float(sigma_w2[0]), float(chi_1[0]))


def _curves(moments: GaussianMoments, biases: list[float]) -> list[list[_Point]]:
    """Each row's curve, 8 points a decade of q - sigma_b2 from 1e-6 to 1e6."""
    steps = np.arange(-_CURVE_DECADES * _CURVE_PER_DECADE, _CURVE_DECADES * _CURVE_PER_DECADE + 1)
    excess = np.array([10.0 ** (k / _CURVE_PER_DECADE) for k in steps.tolist()])
    rows = np.repeat(np.array(biases, dtype=float), excess.size)
    q, sigma_w2, chi_1 = _points(moments, rows, np.tile(excess, len(biases)))
    curves = []
    for row in range(len(biases)):
        part = slice(row * excess.size, (row + 1) * excess.size)
        curves.append(
            [
                _Point(float(e), float(a), float(w), float(c))
                for e, a, w, c in zip(excess, q[part], sigma_w2[part], chi_1[part], strict=True)
                if not math.isnan(c)
            ]
        )
    return curves


def _side(point: _Point) -> int:
    """The sign of chi_1 - 1, 0 within `_ONE_BAND`."""
    gap = point.chi_1 - 1.0
    return 0 if abs(gap) <= _ONE_BAND else (1 if gap > 0 else -1)


def _crossings(
    moments: GaussianMoments, biases: list[float], curves: list[list[_Point]]
) -> list[tuple[list[_Candidate], list[_Candidate]]]:
    """Per row, where chi_1 crosses 1 along the curve, in order of q: (stable ones, unstable
    ones). Every row's brackets are refined together (`_roots`); a crossing is stable where
    sigma_w2(q) rises (compared at q - sigma_b2 = root * (1 -+ 1e-4))."""
    brackets = []  # (row, low excess, high excess, chi_1 - 1 at both)
    for row, points in enumerate(curves):
        last = None  # the last point off the band around chi_1 = 1
        for point in points:
            side = _side(point)
            if side == 0:
                continue
            if last is not None and _side(last) != side:
                brackets.append((row, last.excess, point.excess, last.chi_1 - 1, point.chi_1 - 1))
            last = point
    found: list[tuple[list[_Candidate], list[_Candidate]]] = [([], []) for _ in biases]
    if not brackets:
        return found
    rows = np.array([b[0] for b in brackets])
    bias = np.array(biases, dtype=float)[rows]

    def gap(where: np.ndarray, excess: np.ndarray) -> np.ndarray:
        return _points(moments, bias[where], excess)[2] - 1.0

    columns = [np.array([b[k] for b in brackets], dtype=float) for k in range(1, 5)]
    excess = _roots(gap, *columns)
    q, sigma_w2, _ = _points(moments, bias, excess)
    below = _points(moments, bias, excess * (1 - _STABILITY_STEP))[1]
    above = _points(moments, bias, excess * (1 + _STABILITY_STEP))[1]
    for k, row in enumerate(rows.tolist()):
        if math.isnan(sigma_w2[k]):  # an expectation failed inside the bracket
            continue
        candidate = _Candidate(float(sigma_w2[k]), float(q[k]))
        found[row][0 if above[k] > below[k] else 1].append(candidate)
    return found


def _roots(
    function: Callable[[np.ndarray, np.ndarray], np.ndarray],
    low: np.ndarray,
    high: np.ndarray,
    low_value: np.ndarray,
    high_value: np.ndarray,
) -> np.ndarray:
    """Roots of function(i, x) in each bracket [low_i, high_i] (values of opposite signs at
    the ends), all brackets together: the Illinois variant of regula falsi, bisecting when a
    step falls outside the bracket or two steps shrank it less than fourfold, until the bracket
    is 2e-15 relative wide; nan where the function is nan inside."""
    a, b, fa, fb = low.copy(), high.copy(), low_value.copy(), high_value.copy()
    root = np.full(a.size, math.nan)
    kept = np.zeros(a.size)  # -1: a was kept by the last step, +1: b was
    width = np.abs(b - a)
    live = np.arange(a.size)
    for step in range(_ROOT_STEPS):
        if not live.size:
            break
        a_, b_, fa_, fb_ = a[live], b[live], fa[live], fb[live]
        with np.errstate(all="ignore"):
            x = (a_ * fb_ - b_ * fa_) / (fb_ - fa_)
        lo, hi = np.minimum(a_, b_), np.maximum(a_, b_)
        stalled = step % 2 == 1 and np.abs(b_ - a_) > 0.25 * width[live]
        bisect = ~((x > lo) & (x < hi)) | stalled
        x = np.where(bisect, 0.5 * (a_ + b_), x)
        if step % 2 == 1:
            width[live] = np.abs(b_ - a_)
        fx = function(live, x)
        same = np.sign(fx) == np.sign(fa_)
        # Illinois: halve the value at an end kept twice in a row
        fb[live[same & (kept[live] > 0)]] *= 0.5
        fa[live[~same & (kept[live] < 0)]] *= 0.5
        a[live[same]], fa[live[same]] = x[same], fx[same]
        b[live[~same]], fb[live[~same]] = x[~same], fx[~same]
        kept[live] = np.where(same, 1.0, -1.0)
        failed = np.isnan(fx)
        done = (fx == 0) | (np.abs(b[live] - a[live]) <= _ROOT_WIDTH * np.abs(x)) | failed
        root[live[done]] = np.where(failed[done], math.nan, x[done])
        live = live[~done]
    root[live] = 0.5 * (a[live] + b[live])
    return root


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


def _branch_end(points: list[_Point]) -> int | None:
    """The index of the first point where sigma_w2 stops rising along the curve (None: never)."""
    return next(
        (i for i in range(1, len(points)) if points[i].sigma_w2 <= points[i - 1].sigma_w2),
        None,
    )


def _fold_bracket(points: list[_Point], zero: _Point | None) -> tuple[_Point, _Point] | None:
    """The two points around the fold that ends the stable branch, None when the branch has
    no fold to refine (see `_stable_branch`)."""
    end = _branch_end(points)
    rising = bool(points) and end != 1
    if (zero is not None and (zero.chi_1 == 0 or not rising)) or end is None or end == 1:
        return None
    return points[end - 2], points[end]


def _stable_branch(
    points: list[_Point], zero: _Point | None, fold: _Point | None
) -> tuple[_Point, str] | None:
    """The largest chi_1 on the stable branch that starts at sigma_w2 -> 0, and a sentence.

    That branch is q* = 0 while it is stable (`zero`: sigma_b2 = 0, phi(0) = 0), continued by
    the curve when the curve starts there rising; otherwise the curve from its first point
    (sigma_w2 -> 0) while sigma_w2 rises. It ends at a fold (`fold`: the maximum of sigma_w2
    refined by `_folds` inside `_fold_bracket`) or at the end of the scan.
    """
    end = _branch_end(points)
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
        branch = points
    elif end == 1:
        branch, fold = [points[0]], points[0]
    else:
        assert fold is not None
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


def _folds(
    moments: GaussianMoments, biases: list[float], brackets: list[tuple[_Point, _Point]]
) -> list[_Point]:
    """The maximum of sigma_w2(q) between two points of each row's curve (a fold), all rows
    together: golden-section search in log(q - sigma_b2) to 1e-10 (the low point where the
    expectations fail)."""
    if not brackets:
        return []
    bias = np.array(biases, dtype=float)
    a = np.log([low.excess for low, _ in brackets])
    b = np.log([high.excess for _, high in brackets])
    ratio = (math.sqrt(5.0) - 1.0) / 2.0

    def height(log_excess: np.ndarray) -> np.ndarray:
        sigma_w2 = _points(moments, bias, np.exp(log_excess))[1]
        return np.where(np.isnan(sigma_w2), -np.inf, sigma_w2)

    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = height(c), height(d)
    while np.max(b - a) > _FOLD_WIDTH:
        left = fc > fd  # the maximum lies in [a, d]
        b, a = np.where(left, d, b), np.where(left, a, c)
        new = np.where(left, b - ratio * (b - a), a + ratio * (b - a))
        value = height(new)
        c, d = np.where(left, new, d), np.where(left, c, new)
        fc, fd = np.where(left, value, fd), np.where(left, fc, value)
    best = np.where(fc > fd, c, d)
    folds = []
    for k, (low, _) in enumerate(brackets):
        point = _point(moments, biases[k], math.exp(best[k]))
        folds.append(point if point is not None else low)
    return folds


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
