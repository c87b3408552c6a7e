"""The image of f (the range) and of f' (max |f'|): per part of the domain, the limits at its
ends, and the extremes inside it, found three ways in turn: every critical point from SymPy's
solveset (symbolic), a branch-and-bound search with interval arithmetic that proves no region
holds a lower (or higher) value (interval), or samples refined by Brent's method (numeric). The
parts' images and the values at the cut points are then merged into the range (a union of
intervals and points when f jumps or its domain has holes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from flint import arb

from actcli.budget import bounded
from actcli.deferred import scipy_optimize
from actcli.errors import AnalysisError
from actcli.expr import X
from actcli.functions import beyond_solvers, simplify, to_elementary
from actcli.interval import Endpoint, Interval, constant_enclosure
from actcli.isolate import as_float, futile, split_region
from actcli.json_values import json_number
from actcli.pieces import simple_rational_root
from actcli.properties.analysis import GRID_STEP, TAIL, WINDOW, Analysis, tight
from actcli.properties.values import (
    SIMPLIFY_SECONDS,
    Value,
    best_of,
    component_text,
    exact_text,
    interval_text,
    is_real_number,
    number_text,
    sstr,
    ties,
    to_float,
    tolerance,
    union,
)

SOLVE_OPS = 30  # count_ops above which sympy.solve is not tried (it can run for minutes)
SOLVE_SECONDS = 2.0


@dataclass(frozen=True)
class Range:
    """The image of f: [lower, upper] with open or closed ends (the hull when not an interval).

    `exact` is the interval written with exact endpoints where they are known and short (15
    significant digits otherwise); `text` always with 15 significant digits. `lower_exact` /
    `upper_exact` are SymPy expressions (as text) of the endpoints, or None. `lower_at` /
    `upper_at` are where a closed end is attained. `image` is the image as a union of intervals
    and points (equal to `exact` when `interval`).
    """

    lower: float
    upper: float
    lower_closed: bool
    upper_closed: bool
    exact: str
    interval: bool
    method: str
    lower_exact: str | None = None
    upper_exact: str | None = None
    lower_at: float | None = None
    upper_at: float | None = None
    lower_at_exact: str | None = None
    upper_at_exact: str | None = None
    text: str = ""
    image: str = ""
    ends: tuple[Any, Any] = (None, None)  # the ends as SymPy expressions, where known exactly

    def to_json(self) -> dict[str, Any]:

        def optional(value: float | None) -> float | str | None:
            return None if value is None else json_number(value)

        return {
            "lower": json_number(self.lower),
            "upper": json_number(self.upper),
            "lower_closed": self.lower_closed,
            "upper_closed": self.upper_closed,
            "exact": self.exact,
            "interval": self.interval,
            "text": self.text,
            "image": self.image,
            "lower_exact": self.lower_exact,
            "upper_exact": self.upper_exact,
            "lower_at": optional(self.lower_at),
            "upper_at": optional(self.upper_at),
            "lower_at_exact": self.lower_at_exact,
            "upper_at_exact": self.upper_at_exact,
            "method": self.method,
        }


# -- extremes on a piece


METHOD_RANK = {"numeric": 0, "interval": 1, "symbolic": 2}
MAX_REGIONS = 1500  # branch-and-bound regions per extreme
CHECKED_SAMPLES = 64  # sampled extremes re-evaluated with Arb per extreme, at most


def weakest(methods: list[str]) -> str:
    """The least rigorous of some methods (numeric < interval < symbolic)."""
    return min(methods, key=METHOD_RANK.__getitem__) if methods else "symbolic"


@dataclass(frozen=True)
class Image:
    """inf and sup of f^(order) over one part, and how they were found."""

    low: Value
    high: Value
    method: str


def image(analysis: Analysis, index: int, order: int) -> Image:
    """The image of f^(order) over part `index` (cached: see `_image`)."""
    key = ("image", index, order)
    if key not in analysis.cache:
        found = _image(analysis, index, order)
        analysis.cache[key] = _tied_ends_attained(analysis.parts[index].probe, found)
    return analysis.cache[key]


def _tied_ends_attained(probe: float, found: Image) -> Image:
    """An image whose inf and sup are one exact number: f^(order) is that constant on the
    part, so it is attained there. Two limits alone read as the empty (c, c): so it was for
    tanh(x) - 2*sigmoid(2*x) + 1 where the simplify behind `is_flat` ran out of time."""
    low, high = found.low, found.high
    if low.attained and high.attained or not math.isfinite(low.value):
        return found
    if low.exact is None or high.exact is None or low.exact != high.exact:
        return found
    value = Value(low.value, low.exact, True, probe, None, rank=low.rank)
    return Image(value, value, found.method)


def _image(analysis: Analysis, index: int, order: int) -> Image:
    """The image of f^(order) over the open part `index`: its infimum and supremum, attained or
    only approached (at the part's ends, or at infinity).

    Symbolic when SymPy finds every critical point in the part (solveset) and every end limit;
    interval when a branch-and-bound search with interval arithmetic proves the extremes (no
    region of the part can hold a lower value than the one found); numeric otherwise (samples,
    with the ends from their limits: the edge of a sampling window is never an extreme).
    """
    part = analysis.parts[index]
    g = part.derivative(order)
    if not g.has(X):
        value = Value(to_float(g), g, True, part.probe, None, rank=4)
        return Image(value, value, "symbolic")
    ends = _end_values(analysis, index, order)
    if analysis.is_flat(index, order):
        return _constant_image(analysis, index, order, ends)
    ends_method = "symbolic" if all(v.exact is not None for v in ends) else "numeric"
    if ends_method == "numeric":  # the search needs the ends' values; sampling they are
        low, high = _numeric_image(analysis, index, order, ends)
        return Image(low, high, "numeric")
    if isinstance(part.lower, sympy.Float) or isinstance(part.upper, sympy.Float):
        ends_method = "numeric"  # an end located numerically: its limits are numeric too
    critical = _symbolic_critical(analysis, index, order)
    if critical is not None and ends_method == "symbolic":
        candidates = ends + critical
        return Image(best_of(candidates, True), best_of(candidates, False), "symbolic")
    exact_points = critical or []
    found = []
    for lowest in (True, False):
        result = _branch_and_bound(analysis, index, order, lowest, ends + exact_points)
        if result is None:
            break
        found.append(result)
    if len(found) == 2 and not any(math.isnan(v.value) for v in ends):
        method = "interval" if ends_method == "symbolic" else "numeric"
        low, high = (_with_exact_value(analysis, index, order, v) for v in found)
        return Image(low, high, method)
    low, high = _numeric_image(analysis, index, order, ends + exact_points)
    return Image(low, high, "numeric")


def _constant_image(analysis: Analysis, index: int, order: int, ends: list[Value]) -> Image:
    """The image of f^(order) where it is constant on the part (`Analysis.is_flat`): one value,
    attained everywhere. Its limits at the ends equal it, but a limit attains nothing:
    log1p(exp(x)) - log(1 + exp(x)) had the empty range (0, 0)."""
    part = analysis.parts[index]
    exact = next((v.exact for v in ends if v.exact is not None and math.isfinite(v.value)), None)
    if exact is None:
        exact = part.derivative(order).subs(X, sympy.Rational(part.probe))
    value = Value(to_float(exact), exact, True, part.probe, None, rank=4)
    return Image(value, value, "symbolic")


def _end_values(analysis: Analysis, index: int, order: int) -> list[Value]:
    """The limits of f^(order) at the part's two ends: approached, never attained in it."""
    values = []
    for end in ("lower", "upper"):
        limit = analysis.structure.limit(index, order, end)
        part = analysis.parts[index]
        x = part.lo if end == "lower" else part.hi
        if limit.kind == "value":
            values.append(Value(to_float(limit.value), limit.value, False, x, rank=3))
        elif limit.kind in ("oo", "-oo"):
            number = math.inf if limit.kind == "oo" else -math.inf
            values.append(Value(number, sympy.oo if number > 0 else -sympy.oo, False, x, rank=3))
        else:  # unknown, or an oscillation whose AccumBounds only enclose the values
            values.extend(
                Value(v, None, False, x, rank=3) for v in numeric_end(analysis, index, order, end)
            )
    return values


def numeric_end(analysis: Analysis, index: int, order: int, end: str) -> list[float]:
    """Float estimates of what f^(order) approaches at an end when SymPy gives no limit: the
    value its samples settle on; else the lowest and highest values sampled near the end, and
    +-inf where they keep growing (an oscillation with a growing envelope)."""
    part = analysis.parts[index]
    if end == "upper" and math.isinf(part.hi) or end == "lower" and math.isinf(part.lo):
        direction = 1 if end == "upper" else -1
        x = direction * np.geomspace(10.0, 1e300, 3000)
    else:
        point = part.lo if end == "lower" else part.hi
        step = 1 if end == "lower" else -1
        x = point + step * max(1.0, abs(point)) * np.geomspace(1e-2, 1e-15, 3000)
    values = analysis.evaluate(order, x)
    defined = values[np.isfinite(values)]
    if defined.size < 10:
        growing = values[~np.isnan(values)]
        return [float(growing[-1])] if growing.size and math.isinf(growing[-1]) else [math.nan]
    last = float(defined[-1])
    tail = defined[-10:]
    if np.all(np.abs(tail - last) <= 1e-9 * max(1.0, abs(last))):
        return [last]
    span = min(300, defined.size // 2)  # few where the floats overflow early (x*exp(x) at 710)
    near, far = np.abs(defined[-span:]).max(), np.abs(defined[:span]).max()
    low, high = float(defined.min()), float(defined.max())
    if near > 1e3 * max(1.0, far):  # the envelope grows without bound
        low, high = (-math.inf if low < 0 else low), (math.inf if high > 0 else high)
    return [low, high]


def _symbolic_critical(analysis: Analysis, index: int, order: int) -> list[Value] | None:
    """Values of f^(order) at every real root of f^(order+1) inside the part, exact; None
    when SymPy cannot give the complete set."""
    part = analysis.parts[index]
    slope = to_elementary(part.derivative(order + 1))
    if not _solvable(slope):
        return None
    region = sympy.Interval.open(part.lower, part.upper)
    roots = bounded(lambda: sympy.solveset(slope, X, region), SOLVE_SECONDS, analysis.budget)
    if roots is sympy.S.EmptySet:
        return []
    if not isinstance(roots, sympy.FiniteSet) or len(roots) > 20:
        return None
    values = []
    g = part.derivative(order)
    for root in roots:
        if not is_real_number(root):
            return None
        x = to_float(root)
        value = bounded(lambda r=root: _simplest(g.subs(X, r)), SIMPLIFY_SECONDS, analysis.budget)
        if value is None or not is_real_number(value):
            return None
        numeric = analysis.scalar(order)(x)
        if math.isfinite(numeric) and not ties(to_float(value), numeric):
            if abs(to_float(value) - numeric) > 1e-9 * max(1.0, abs(numeric)):
                return None  # SymPy's root or value disagrees with the float function
        values.append(Value(to_float(value), value, True, x, root, rank=0))
    return values


def _solvable(slope: Any) -> bool:
    """Whether SymPy's solvers may be tried on f^(k+1) = 0 (they can run for minutes)."""
    return sympy.count_ops(slope) <= SOLVE_OPS and not beyond_solvers(slope, X)


def _with_exact_value(analysis: Analysis, index: int, order: int, value: Value) -> Value:
    """The extreme with its exact value where the next derivative is exactly 0 at a simple
    rational next to where the search found it (LiSHT's minimum at 0), or `sympy.solve` finds
    a root there (SiLU's minimum -LambertW(exp(-1))); the search proved there is no other
    extreme, these only name this one."""
    if value.at_exact is not None or not value.attained or value.at is None:
        return value
    part = analysis.parts[index]
    slope = to_elementary(part.derivative(order + 1))
    near = 1e-7 * max(1.0, abs(value.at))
    snapped = simple_rational_root(slope, value.at, value.at - near, value.at + near)
    if snapped is not None:
        roots: Any = [snapped]
    elif _solvable(slope):
        roots = bounded(lambda: sympy.solve(slope, X), SOLVE_SECONDS, analysis.budget)
    else:
        return value
    for root in roots if isinstance(roots, list) else ():
        if not is_real_number(root):
            continue
        x = to_float(root)
        if abs(x - value.at) > 1e-7 * max(1.0, abs(x)):
            continue
        exact = bounded(
            lambda r=root: _simplest(part.derivative(order).subs(X, r)),
            SIMPLIFY_SECONDS,
            analysis.budget,
        )
        if exact is not None and is_real_number(exact) and ties(to_float(exact), value.value):
            return Value(to_float(exact), exact, True, x, root, rank=0)
    return value


def _inside(value: Any, lower: bool) -> Endpoint:
    """A part's end as an exact binary point just inside it (+-inf stay)."""
    if value in (sympy.oo, -sympy.oo):
        return math.inf if value == sympy.oo else -math.inf
    ball = constant_enclosure(value)
    return ball.hi if lower else ball.lo


def _branch_and_bound(
    analysis: Analysis, index: int, order: int, lowest: bool, seeds: list[Value]
) -> Value | None:
    """The infimum (or supremum) of f^(order) over the part, proven: every region of the part
    is either discarded (its enclosure lies above a value already attained or approached),
    monotone (its extreme is at an end), or a tiny bracket around a critical point whose value
    is enclosed. None when the search does not finish within MAX_REGIONS regions."""
    part = analysis.parts[index]
    sign = 1 if lowest else -1
    start = Interval(_inside(part.lower, True), _inside(part.upper, False))
    candidates = list(seeds)
    best = min((sign * c.value for c in seeds if not math.isnan(c.value)), default=math.inf)
    probe = analysis.point(index, order, arb(part.probe))
    if probe is not None:
        value = probe.high if lowest else probe.low
        candidates.append(Value(_middle(probe), None, True, part.probe, rank=1))
        best = min(best, sign * value)
    stack = [start]
    regions = 0
    while stack:
        region = stack.pop()
        regions += 1
        if regions > MAX_REGIONS or analysis.budget.left() <= 0:
            return None
        enclosure = analysis.enclose(index, order, region)
        if enclosure is not None:
            bound = enclosure.low if lowest else -enclosure.high
            if bound > best + tolerance(best):
                continue
        slope = analysis.sign(index, order + 1, region)
        if slope is not None and enclosure is not None:
            end = region.lo if (slope > 0) == lowest else region.hi
            if end in (start.lo, start.hi):
                continue  # the part's own end: its limit is a seed
            at = analysis.point(index, order, end)
            if at is None:
                return None
            candidates.append(Value(_middle(at), _exact(at), True, as_float(end), rank=1))
            best = min(best, sign * (at.high if lowest else at.low))
            continue
        if futile(region):
            return None  # a far tail interval arithmetic cannot decide (x*exp(x))
        halves = split_region(region)
        if halves is None:
            if isinstance(region.lo, float) or isinstance(region.hi, float):
                return None  # an unbounded region that stays undecided
            if enclosure is None:
                return None
            centre = ((region.lo + region.hi) / 2).mid()
            middle = analysis.point(index, order, centre)
            if middle is None:
                return None
            candidates.append(Value(_middle(middle), None, True, as_float(centre), rank=0))
            best = min(best, sign * (middle.high if lowest else middle.low))
            continue
        stack.extend(halves)
    return best_of(candidates, lowest)


def _exact(enclosure: Interval) -> Any:
    """The enclosed value as an exact rational where the enclosure is one point: x**30*exp(-x)
    is 0 at x = 0, which tied with its exact limit 0 at +oo and, being a float, did not count
    as attained ((0, oo) for [0, oo))."""
    low, high = enclosure.low, enclosure.high
    return sympy.Rational(low) if low == high and math.isfinite(low) else None


def _middle(enclosure: Interval) -> float:
    low, high = enclosure.low, enclosure.high
    if math.isinf(low) or math.isinf(high):
        return low if math.isinf(low) else high
    return 0.5 * (low + high)


def _numeric_image(
    analysis: Analysis, index: int, order: int, seeds: list[Value]
) -> tuple[Value, Value]:
    """inf and sup from samples (a dense grid, geometric tails), the critical points among
    them refined by Brent's method, and the seeds (end limits, exact critical points)."""
    part = analysis.parts[index]
    x = samples(part.lo, part.hi)
    values = analysis.evaluate(order, x)
    candidates = list(seeds)
    inside = np.isfinite(values)
    if math.isinf(part.lo) or math.isinf(part.hi):
        inside[[0, -1]] = False  # a window's edge is no evidence: the end limit covers it
    if inside.any():  # (of tied samples the first inside: f constant has its value attained)
        i = int(np.argmin(np.where(inside, values, np.inf)))
        j = int(np.argmax(np.where(inside, values, -np.inf)))
        for k in (i, j):
            candidates.append(Value(float(values[k]), None, True, float(x[k]), rank=5))
    slope = analysis.evaluate(order + 1, x)
    keep = np.isfinite(slope) & (slope != 0)
    xs, signs = x[keep], np.sign(slope[keep])
    brentq = scipy_optimize().brentq
    derivative = analysis.scalar(order + 1)
    changes = np.nonzero(signs[:-1] != signs[1:])[0]
    # the 200 nearest 0 first: far out a float form may be noise (cos(cosh(x)) beyond 37)
    for i in changes[np.argsort(np.abs(xs[changes]), kind="stable")][:200]:
        a, b = float(xs[i]), float(xs[i + 1])
        try:
            root = brentq(derivative, a, b, xtol=1e-300, rtol=1e-15, maxiter=200)
        except (ValueError, RuntimeError):
            root = 0.5 * (a + b)
        value = analysis.scalar(order)(root)
        if math.isfinite(value):
            candidates.append(Value(value, None, True, root, rank=1))
    return (
        _checked(analysis, index, order, candidates, True),
        _checked(analysis, index, order, candidates, False),
    )


def _checked(
    analysis: Analysis, index: int, order: int, candidates: list[Value], lowest: bool
) -> Value:
    """The lowest (or highest) candidate whose float value an Arb enclosure at its point
    confirms. Where the float form loses every digit (cos(cosh(x)) beyond |x| = 37: cosh
    rounds to a multiple of 2**30), a sample's value is noise and was reported as attained
    (0.99999994 at x = -58.05, where f is 0.26): such a candidate takes the enclosure's
    value where that is tight, and is dropped otherwise. After `CHECKED_SAMPLES` refuted ones,
    only confirmed candidates (and limits) count."""
    pool = list(candidates)
    confirmed: list[Value] = [c for c in pool if c.exact is not None or not c.attained]
    for _ in range(CHECKED_SAMPLES):
        best = best_of(pool, lowest)
        if best.exact is not None or not best.attained or best.at is None:
            return best
        if any(c is best for c in confirmed) or not math.isfinite(best.value):
            return best
        enclosure = analysis.tight_point(index, order, best.at)
        if enclosure is None:
            return best  # no form Arb can evaluate: nothing to check against
        pinned = tight(enclosure)
        low, high = enclosure.low, enclosure.high
        if pinned and low - tolerance(low) <= best.value <= high + tolerance(high):
            return best
        pool = [c for c in pool if not (c.at == best.at and c.exact is None)]
        if pinned:
            corrected = Value(_middle(enclosure), None, True, best.at, rank=best.rank)
            pool.append(corrected)
            confirmed.append(corrected)
    return best_of(confirmed, lowest)


def samples(lo: float, hi: float) -> np.ndarray:
    """Points strictly inside (lo, hi): a dense grid on [-WINDOW, WINDOW], geometric tails to
    +-TAIL, and clusters approaching each finite end."""
    steps_per_unit = round(1 / GRID_STEP)
    count = round(WINDOW * steps_per_unit)
    core = np.arange(-count, count + 1) / steps_per_unit
    tail = np.geomspace(WINDOW, TAIL, 400)
    parts = [-tail[::-1], core, tail]
    steps = np.geomspace(1e-9, 1e3, 100)
    for end in (lo, hi):
        if math.isfinite(end):
            scale = max(1.0, abs(end))
            parts += [end + steps * scale, end - steps * scale]
    if math.isfinite(lo) and math.isfinite(hi):
        parts.append(np.linspace(lo, hi, 2001))
    elif math.isfinite(lo) and lo >= TAIL:
        parts.append(lo + np.geomspace(1.0, 1e6, 200) * max(1.0, lo))
    elif math.isfinite(hi) and hi <= -TAIL:
        parts.append(hi - np.geomspace(1.0, 1e6, 200) * max(1.0, -hi))
    x = np.unique(np.concatenate(parts))
    margin_lo = lo + 5e-10 * max(1.0, abs(lo)) if math.isfinite(lo) else -math.inf
    margin_hi = hi - 5e-10 * max(1.0, abs(hi)) if math.isfinite(hi) else math.inf
    return x[(x > margin_lo) & (x < margin_hi)]


# -- range and max |f'| ----------------------------------------------------------------------


def cut_value(analysis: Analysis, index: int) -> Value | None:
    """f at cut point `index`, attained (None where f is undefined there)."""
    cut = analysis.cuts[index]
    if cut.value is None:
        return None
    return Value(to_float(cut.value), cut.value, True, cut.location, cut.x, rank=2)


def value_range(analysis: Analysis) -> Range:
    """The range of f over its domain."""
    items: list[tuple[Value, Value]] = []
    methods = []
    for index, part in enumerate(analysis.parts):
        if not part.defined:
            continue
        found = image(analysis, index, 0)
        methods.append(found.method)
        items.append((found.low, found.high))
    for index, cut in enumerate(analysis.cuts):
        point = cut_value(analysis, index)
        if point is not None:
            items.append((point, point))
            if cut.found == "numeric":
                methods.append("numeric")
    if not items:
        raise AnalysisError(f"{analysis.activation.name} is real nowhere")
    components = union(items)
    low_value = min(c[0].value for c in components)
    high_value = max(c[1].value for c in components)
    # among ends that tie, the attained and exact one (sinc's max is f(0) = 1, not a sample)
    low = best_of([v for v, _ in items if ties(v.value, low_value)], lowest=True)
    high = best_of([v for _, v in items if ties(v.value, high_value)], lowest=False)
    method = weakest(methods)
    if method == "symbolic" and (low.exact is None or high.exact is None):
        method = "interval"
    lower_closed = low.attained and math.isfinite(low.value)
    upper_closed = high.attained and math.isfinite(high.value)
    return Range(
        lower=low.value,
        upper=high.value,
        lower_closed=lower_closed,
        upper_closed=upper_closed,
        exact=interval_text(exact_text(low), exact_text(high), lower_closed, upper_closed),
        interval=len(components) == 1,
        method=method,
        lower_exact=sstr(low.exact),
        upper_exact=sstr(high.exact),
        lower_at=low.at if lower_closed else None,
        upper_at=high.at if upper_closed else None,
        lower_at_exact=sstr(low.at_exact) if lower_closed else None,
        upper_at_exact=sstr(high.at_exact) if upper_closed else None,
        text=interval_text(
            number_text(low.value), number_text(high.value), lower_closed, upper_closed
        ),
        image=" U ".join(component_text(c) for c in components),
        ends=(low.exact, high.exact),
    )


def boundedness(analysis: Analysis) -> tuple[bool, bool, str]:
    """(bounded below, bounded above, method), from the limits at every end of every part:
    f is continuous inside each part, so it is bounded below there unless a limit at an end is
    -oo (or an oscillation reaching -oo); when every such limit is known this is a proof."""
    below = above = True
    known = True
    for index, part in enumerate(analysis.parts):
        if not part.defined:
            continue
        for end in ("lower", "upper"):
            limit = analysis.structure.limit(index, 0, end)
            if limit.kind == "unknown":
                known = False
            if limit.kind == "oscillates":  # AccumBounds enclose, they do not prove
                known = False
                estimates = numeric_end(analysis, index, 0, end)
                below = below and min(estimates) > -math.inf
                above = above and max(estimates) < math.inf
                continue
            below = below and limit.kind != "-oo"
            above = above and limit.kind != "oo"
    return below, above, "symbolic" if known else "numeric"


def max_abs_derivative(analysis: Analysis) -> tuple[float, Any, str]:
    """sup |f'| over the domain (where f' exists), exact where known, and the method."""
    best: Value | None = None
    methods = []
    for index, part in enumerate(analysis.parts):
        if not part.defined:
            continue
        found = image(analysis, index, 1)
        methods.append(found.method)
        for value in (found.low, found.high):
            magnitude = abs(value.value)
            exact = None
            if value.exact is not None:
                exact = -value.exact if value.value < 0 else value.exact
            candidate = Value(magnitude, exact)
            if best is None or magnitude > best.value + tolerance(best.value):
                best = candidate
            elif ties(magnitude, best.value) and best.exact is None:
                best = candidate
    if best is None:
        return math.nan, None, "numeric"
    method = weakest(methods)
    if method == "symbolic" and best.exact is None:
        method = "interval"
    return best.value, best.exact, method


def _simplest(value: Any) -> Any:
    """The shortest of a value, its simplified form, and that form with exp(W(z)) = z/W(z)."""

    candidates = [value]
    if value.has(sympy.LambertW):

        def unwrap(node: Any) -> Any:
            terms = sympy.Add.make_args(sympy.expand(node.args[0]))
            factors = [
                t.args[0] / t if isinstance(t, sympy.LambertW) else sympy.exp(t) for t in terms
            ]
            return sympy.Mul(*factors)

        rewritten = value.replace(
            lambda node: isinstance(node, sympy.exp) and node.has(sympy.LambertW), unwrap
        )
        candidates.append(simplify(rewritten))
    candidates.append(simplify(value))
    return min(candidates, key=lambda c: (sympy.count_ops(c), len(str(c))))
