"""Gaussian expectations E[f^(k)(sqrt(q) z)^p], z ~ N(0, 1), for a whole array of q at once.

Adaptive Gauss-Legendre quadrature of f(x)^p N(x; 0, q) in x = sqrt(q) z, on panels that depend
on q only through its octave: for 2^j <= sqrt(q) < 2^(j+1) their ends are 0 and +-2^(j+k) for
k = 0, 1, 2, 3, 4, 6 (in z units 0, 1/2..1, 1..2, 2..4, 4..8, 8..16 and 32..64, past Z = 37.5
where the density is 5e-306), and the activation's breakpoints c (c / sqrt(q) in z units). Each
panel is bisected until rules of orders 24 and 36 agree to 1e-14 of the integral's scale (the
sum of |panel| over the first panels); the value is nan when the integrand at |z| = Z is not
below 1e-16 of that scale, a panel is not finite, or a q still refines more than 2000 panels.
Plain Gauss-Hermite would converge slowly on kinked functions (200 nodes give E[selu'(z)^2] =
1.0665, the true value is 1.0716).

A pole of f or f' at a cut point, |g(x)| ~ |x - c|^-p, makes E[|g|^k] diverge for every q once
k*p >= 1 (1/x: E[f^2]; sqrt|x|: E[f'^2] = E[1/(4|x|)]). Quadrature cannot tell that from a slow
integral (it refined until memory ran out on 1/x), so p is measured first (`Pole`) and such a
moment is +inf for even k, undefined (nan) for odd k, without quadrature.

Why panels in x: every q of an octave shares them, and every q that refines a panel shares its
halves, so f^(k) is evaluated once per node and cached. A phase diagram's tens of thousands of
expectations then cost an exp() per node rather than an f (GELU's accurate f costs ~200 ns a
point, exp ~10 ns).

Batch independence: the value for each q is the same float whichever other q share the call.
Each q's refinement decisions read only its own panels; a panel's rule is a per-row reduction
over its own nodes (`np.einsum`'s own loop); a q's panels are summed in a fixed order
(`np.bincount`, sequential, over arrays whose order within one q depends on that q alone),
never a BLAS product whose blocking depends on the batch's shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from actcli.activation import Activation
from actcli.errors import AnalysisError

Z_MAX = 37.5
_LOW_ORDER, _HIGH_ORDER = 24, 36
_RELATIVE_TOLERANCE = 1e-14
_TAIL_TOLERANCE = 1e-16
_MAX_ROUNDS = 60
_MAX_PANELS = 2000  # per q and round: beyond, the integrand is not resolvable (nan)
_NORMAL = 1.0 / math.sqrt(2.0 * math.pi)
_EDGES = (0, 1, 2, 3, 4, 6)  # a level's panels end at +-2^(j+k): |z| = 1/2..1 to 32..64
_CHUNK = 1024  # panels per pass: the temporaries stay in the processor's cache
_POLE_DISTANCES = (2.0**-30, 2.0**-40)  # from a cut point, relative to max(|c|, 1)
_GROWTH_SLACK = 1e-6  # the measured growth's own rounding: |x|^-1/2 squared is |x|^-1


def _rules() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both rules' nodes on [-1, 1] (low order first) and their weights."""
    low_nodes, low_weights = np.polynomial.legendre.leggauss(_LOW_ORDER)
    high_nodes, high_weights = np.polynomial.legendre.leggauss(_HIGH_ORDER)
    nodes = np.concatenate([low_nodes, high_nodes])
    return nodes, low_weights * _NORMAL, high_weights * _NORMAL


_NODES, _LOW_WEIGHTS, _HIGH_WEIGHTS = _rules()


class _Panels:
    """Every panel used so far, in x: its half-width, its nodes, and f^(k)^p at them (cached on
    first use)."""

    def __init__(self, functions: dict[int, Callable], breakpoints: list[float]) -> None:
        self._functions = functions
        self._breakpoints = np.array(sorted(breakpoints), dtype=float)
        self._levels: dict[int, np.ndarray] = {}
        self.size = 0
        self._low = np.empty(0)
        self._high = np.empty(0)
        self.half = np.empty(0)
        self.x = np.empty((0, _NODES.size))
        self._children = np.empty((0, 2), dtype=np.intp)
        self._values: dict[tuple[int, int], np.ndarray] = {}
        self._known: dict[tuple[int, int], np.ndarray] = {}
        self._finite: dict[tuple[int, int], np.ndarray] = {}

    def _add(self, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
        """Register panels [lows, highs]; their row numbers."""
        start, count = self.size, lows.size
        if start + count > self._low.size:
            capacity = max(2 * self._low.size, start + count, 256)
            for name in ("_low", "_high", "half", "x", "_children"):
                setattr(self, name, _grown(getattr(self, name), capacity))
            for cache in (self._values, self._known, self._finite):
                for key in cache:
                    cache[key] = _grown(cache[key], capacity)
        rows = np.arange(start, start + count)
        self._low[rows], self._high[rows] = lows, highs
        middle, half = 0.5 * (lows + highs), 0.5 * (highs - lows)
        self.half[rows] = half
        self.x[rows] = middle[:, None] + half[:, None] * _NODES[None, :]
        self._children[rows] = -1
        for known in self._known.values():
            known[rows] = False
        self.size += count
        return rows

    def level(self, j: int) -> np.ndarray:
        """The first panels of octave j (2^j <= sqrt(q) < 2^(j+1)), left to right."""
        if j not in self._levels:
            edges = [math.ldexp(1.0, j + k) for k in _EDGES]
            cuts = self._breakpoints[np.abs(self._breakpoints) < edges[-1]]
            points = np.unique(np.concatenate([[-e for e in edges], [0.0], edges, cuts]))
            self._levels[j] = self._add(points[:-1], points[1:])
        return self._levels[j]

    def halves(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The left and right halves of panels `rows` (registered on first use)."""
        new = np.unique(rows[self._children[rows, 0] < 0])
        if new.size:
            lows, highs = self._low[new], self._high[new]
            middles = 0.5 * (lows + highs)
            left = self._add(lows, middles)
            right = self._add(middles, highs)
            self._children[new, 0], self._children[new, 1] = left, right
        return self._children[rows, 0], self._children[rows, 1]

    def values(self, rows: np.ndarray, order: int, power: int) -> tuple[np.ndarray, np.ndarray]:
        """f^(order)^power at the nodes of panels `rows`, shape (len(rows), nodes), and whether
        each panel's values are all finite."""
        key = (order, power)
        if key not in self._values:
            capacity = self._low.size
            self._values[key] = np.empty((capacity, _NODES.size))
            self._known[key] = np.zeros(capacity, dtype=bool)
            self._finite[key] = np.zeros(capacity, dtype=bool)
        known = self._known[key]
        new = np.unique(rows[~known[rows]])
        if new.size:
            with np.errstate(all="ignore"):
                found = self._functions[order](self.x[new].ravel()) ** power
            found = np.asarray(found, dtype=float).reshape(new.size, -1)
            self._values[key][new] = found
            self._finite[key][new] = np.isfinite(found).all(axis=1)
            known[new] = True
        return self._values[key][rows], self._finite[key][rows]


def _grown(array: np.ndarray, capacity: int) -> np.ndarray:
    grown = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[: array.shape[0]] = array
    return grown


@dataclass(frozen=True)
class Pole:
    """|f^(order)(x)| ~ |x - c|^-growth beside the cut point c: E[|f^(order)|^p] diverges for
    every q > 0 once p * growth >= 1, whatever the Gaussian's width."""

    order: int
    x: float
    growth: float

    def diverges(self, power: int) -> bool:
        return power * self.growth >= 1 - _GROWTH_SLACK

    def reason(self, power: int = 2) -> str:
        g = "f" + "'" * self.order
        return (
            f"E[{g}(sqrt(q) z)^{power}] = inf for every q > 0 (|{g}|^{power} ~ "
            f"|x - c|^-{power * self.growth:.3g} near c = {self.x:.17g} is not integrable)"
        )


def _poles(activation: Activation) -> tuple[Pole, ...]:
    """The strongest pole of f and of f' at the activation's cut points (`Activation.kinks`:
    a one-sided limit that is infinite), its growth p in |g| ~ |x - c|^-p measured from the
    high-precision reference at 2^-30 and 2^-40 (times max(|c|, 1)) from c. Quadrature cannot
    tell a divergent integral from a slow one (it failed to converge, or refined until memory
    ran out: 1/x); this can."""
    strongest: dict[int, Pole] = {}
    for kink in activation.kinks(1):
        for order in (0, 1):
            sides = [
                direction
                for direction, limits in ((-1, kink.left), (1, kink.right))
                if math.isinf(limits[order])
            ]
            if not sides:
                continue
            reference = activation.reference(order)
            for direction in sides:
                near, far = (
                    kink.x + direction * d * max(abs(kink.x), 1.0) for d in _POLE_DISTANCES
                )
                try:
                    values = [reference(near), reference(far)]
                except AnalysisError:  # no reference value there: no evidence of a pole
                    continue
                if any(v is None or v == 0 or not math.isfinite(v) for v in values):
                    continue
                growth = math.log(abs(values[0] / values[1])) / math.log(
                    _POLE_DISTANCES[1] / _POLE_DISTANCES[0]
                )
                if order not in strongest or growth > strongest[order].growth:
                    strongest[order] = Pole(order, kink.x, growth)
    return tuple(strongest.values())


class GaussianMoments:
    """E[f^(k)(sqrt(q) z)^p] for z ~ N(0, 1), for one scalar activation f."""

    def __init__(self, activation: Activation) -> None:
        self.name = activation.name
        functions = {0: activation.function(0), 1: activation.function(1)}
        self._functions = functions
        self._panels = _Panels(functions, [value for value, _ in activation.breakpoints()])
        self.poles = _poles(activation)

    def divergence(self, order: int, power: int = 2) -> Pole | None:
        """The pole that makes E[f^(order)(sqrt(q) z)^power] diverge for every q, if any."""
        return next((p for p in self.poles if p.order == order and p.diverges(power)), None)

    def expect(self, q: float, order: int = 0, power: int = 2) -> float:
        """E[f^(order)(sqrt(q) z)^power]; see `expect_many`."""
        return float(self.expect_many(np.array([q], dtype=float), order, power)[0])

    def expect_many(self, q: np.ndarray, order: int = 0, power: int = 2) -> np.ndarray:
        """E[f^(order)(sqrt(q) z)^power] for each q; nan where the integrand is not negligible at
        |z| = Z (or q is negative or nan).

        q = 0 is the limit q -> 0+: the mean of the two one-sided values at 0 to the power (at a
        kink in 0 half the Gaussian mass sits on each side however small q is). q = inf is the
        limit q -> oo, from the values at +-1e150 (for functions with limits at +-oo).
        """
        return self._moments(np.asarray(q, dtype=float), order, power, False)[0]

    def second_moments(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(E[f(sqrt(q) z)^2], E[f(sqrt(q) z)^2 z^2]) for each q > 0: the second gives the
        slope d/dq E[f^2] = (E[f^2 z^2] - E[f^2]) / (2q) that Newton's method needs."""
        return self._moments(np.asarray(q, dtype=float), 0, 2, True)

    def chi(self, sigma_w2: float, q: float) -> float:
        """sigma_w2 * E[phi'(sqrt(q) z)^2]: the mean squared gradient gain of one layer."""
        return sigma_w2 * self.expect(q, order=1)

    def variance_map(self, sigma_w2: float, sigma_b2: float, q: float) -> float:
        """q -> sigma_w2 * E[phi(sqrt(q) z)^2] + sigma_b2: the next pre-activation variance."""
        return sigma_w2 * self.expect(q) + sigma_b2

    def _limit(self, probe: float, order: int, power: int) -> float:
        with np.errstate(all="ignore"):
            values = self._functions[order](np.array([-probe, probe])) ** power
        return float(np.mean(values))

    def _moments(
        self, q: np.ndarray, order: int, power: int, weighted: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        value = np.full(q.shape, math.nan)
        second = np.full(q.shape, math.nan)
        if self.divergence(order, power) is not None:  # +inf for an even power; else undefined
            value[(q >= 0) & ~np.isnan(q)] = math.inf if power % 2 == 0 else math.nan
            return value, second
        if np.any(q == 0):
            value[q == 0] = self._limit(1e-300, order, power)
        if np.any(np.isposinf(q)):
            value[np.isposinf(q)] = self._limit(1e150, order, power)
        inside = np.flatnonzero((q > 0) & np.isfinite(q))
        if inside.size:
            value[inside], second[inside] = self._integrate(q[inside], order, power, weighted)
        return value, second

    def _integrate(
        self, q: np.ndarray, order: int, power: int, weighted: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """The quadrature of the module docstring for q > 0 (finite): (E[g], E[g z^2])."""
        panels = self._panels
        count = q.size
        root = np.sqrt(q)
        levels = np.frexp(root)[1] - 1  # 2^j <= sqrt(q) < 2^(j+1)
        tables = {int(j): panels.level(int(j)) for j in np.unique(levels)}
        rows = np.concatenate([tables[int(j)] for j in levels])
        owner = np.repeat(np.arange(count), [tables[int(j)].size for j in levels])

        function = self._functions[order]
        with np.errstate(all="ignore"):
            tail = (function(np.concatenate([-Z_MAX * root, Z_MAX * root])) ** power) * (
                math.exp(-0.5 * Z_MAX * Z_MAX) * _NORMAL
            )
        total = np.zeros(count)
        moment = np.zeros(count)
        failed = np.zeros(count, dtype=bool)
        scale = None
        for _ in range(_MAX_ROUNDS):
            if not rows.size:
                break
            low, high, z_squared = self._rules(panels, rows, q[owner], order, power, weighted)
            failed |= np.bincount(owner, ~np.isfinite(high), minlength=count) > 0
            if scale is None:
                scale = np.maximum(np.bincount(owner, np.abs(high), minlength=count), 1e-300)
                negligible = _TAIL_TOLERANCE * scale
                failed |= ~(np.abs(tail[:count]) <= negligible)
                failed |= ~(np.abs(tail[count:]) <= negligible)
            with np.errstate(invalid="ignore"):
                done = np.abs(high - low) <= _RELATIVE_TOLERANCE * scale[owner]
            total += np.bincount(owner[done], high[done], minlength=count)
            if weighted:
                moment += np.bincount(owner[done], z_squared[done], minlength=count)
            keep = ~done & ~failed[owner]
            failed |= np.bincount(owner[keep], minlength=count) > _MAX_PANELS
            keep &= ~failed[owner]
            owner, rows = owner[keep], rows[keep]
            left, right = panels.halves(rows)
            owner, rows = np.concatenate([owner, owner]), np.concatenate([left, right])
        failed[owner] = True  # still refining after the last round
        total[failed] = math.nan
        moment[failed] = math.nan
        return total, moment

    @staticmethod
    def _rules(
        panels: _Panels,
        rows: np.ndarray,
        q: np.ndarray,
        order: int,
        power: int,
        weighted: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Per panel: the low and high rule of f^p N(z), and the high rule of f^p N(z) z^2
        (panel i belongs to the q = `q[i]`), in chunks that fit the processor's cache."""
        low = np.empty(rows.size)
        high = np.empty(rows.size)
        moment = np.empty(rows.size) if weighted else None
        with np.errstate(all="ignore"):  # overflow only where the density is 0
            for start in range(0, rows.size, _CHUNK):
                part = slice(start, start + _CHUNK)
                here, variance = rows[part], q[part]
                root = np.sqrt(variance)
                z_squared = np.divide(panels.x[here], root[:, None])  # x^2 / q: below 1e-308
                np.multiply(z_squared, z_squared, out=z_squared)  # q and x^2 lose digits
                values, finite = panels.values(here, order, power)
                density = np.multiply(z_squared, -0.5)
                np.exp(density, out=density)
                values *= density
                if not finite.all():  # f^p overflowed where the density vanished: inf * 0 is 0
                    values[~finite] = np.where(density[~finite] == 0, 0.0, values[~finite])
                half = panels.half[here] / root
                lower, upper = values[:, :_LOW_ORDER], values[:, _LOW_ORDER:]
                low[part] = np.einsum("ij,j->i", lower, _LOW_WEIGHTS) * half
                high[part] = np.einsum("ij,j->i", upper, _HIGH_WEIGHTS) * half
                if moment is not None:
                    upper_z = z_squared[:, _LOW_ORDER:]
                    moment[part] = np.einsum("ij,ij,j->i", upper, upper_z, _HIGH_WEIGHTS) * half
        return low, high, moment
