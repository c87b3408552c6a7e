"""Where a function of x is positive or negative, proven with interval arithmetic.

`sign_regions(forms, lo, hi)` covers [lo, hi] (either end may be infinite) with regions on which
the function is proven >= 0 or <= 0, and tiny brackets (relative width ~1e-13) that could not be
decided: the places where it changes sign or touches zero. Each of `forms` is the same function
written differently (as differentiated, factored, over a common denominator): interval
arithmetic overestimates differently for each, and a region is decided by the first form that
decides it. Regions are split at their midpoint, geometrically on wide or half-infinite ones
(so the tails out to infinity take a few dozen steps, not millions).

This is what turns "f' has no zero here" and "f' changes sign once, in [a, a + 1e-13 a]" into
proofs: on a region where f' >= 0 an analytic, non-constant f is increasing, so its extrema
there are at the region's ends, and a sign change inside a bracket is a critical point whose
value an enclosure of f on the bracket pins down.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from flint import arb

from actcli.interval import INF, Enclosure, Endpoint, Interval, Undefined, working_precision

MAX_EVALUATIONS = 3000  # enclosures per call, all forms counted
FAR = 64.0  # beyond this, a region undecided at 1% relative width ends the search (a tail
# such as x*exp(x) defeats interval arithmetic at every scale: splitting it further is futile)
MIN_RELATIVE_WIDTH = 1e-13
MAX_EXPONENT = 1100  # regions beyond 2**1100 in magnitude are not split further


@dataclass(frozen=True)
class Region:
    """[lo, hi] with the function's proven sign there: +1 (>= 0), -1 (<= 0), or None (a tiny
    bracket that could not be decided; `touching` when it sits between two regions of one sign).
    """

    lo: Endpoint
    hi: Endpoint
    sign: int | None


class Undecided(Exception):
    """The evaluation budget ran out, or a region could not be split further, before every
    region was decided (the function may not be bounded by any form, e.g. sin(1/x) near 0)."""


def sign_regions(
    forms: Sequence[Enclosure],
    lo: float | arb,
    hi: float | arb,
    max_evaluations: int = MAX_EVALUATIONS,
) -> list[Region]:
    """Regions covering [lo, hi], left to right, each with a proven weak sign or a tiny
    undecided bracket; adjacent regions of the same sign are merged.

    Raises:
        Undecided: the budget ran out, or a wide region (or one beyond 2**1100) stayed undecided.
    """
    start = Interval.of(lo, hi)
    evaluations = 0
    done: list[Region] = []
    stack = [start]
    with working_precision(120):
        while stack:
            region = stack.pop()
            sign = None
            for form in forms:
                evaluations += 1
                if evaluations > max_evaluations:
                    raise Undecided(f"no sign decided within {max_evaluations} enclosures")
                try:
                    sign = form(region).weak_sign()
                except Undefined:
                    sign = None
                if sign is not None:
                    break
            if sign is not None:
                done.append(Region(region.lo, region.hi, 1 if sign >= 0 else -1))
                continue
            if futile(region):
                raise Undecided("a far tail that interval arithmetic cannot decide")
            halves = split_region(region)
            if halves is None:
                done.append(Region(region.lo, region.hi, None))
                continue
            stack.extend(reversed(halves))
    return _merge(sorted(done, key=lambda r: _sort_key(r.lo)))


def _sort_key(value: Endpoint) -> float:
    if isinstance(value, float):
        return value
    return float(value.mid())


def split_region(region: Interval) -> tuple[Interval, Interval] | None:
    """Two halves, or None when the region is too small (or too far out) to split.

    Half-lines are cut at 1, 2, 4, 16, 256, ... (squares), wide positive regions at their
    geometric middle, regions around 0 at 0, the rest at the midpoint.
    """
    lo, hi = region.lo, region.hi
    lo_inf, hi_inf = isinstance(lo, float), isinstance(hi, float)
    if lo_inf and hi_inf:
        middle: arb | None = arb(0)
    elif hi_inf:
        middle = _outward(lo)
    elif lo_inf:
        point = _outward(-hi)
        middle = None if point is None else -point
    else:
        width = hi - lo
        scale = max(abs(lo), abs(hi), arb(1))
        if width <= scale * MIN_RELATIVE_WIDTH:
            return None
        if lo < 0 < hi:
            middle = arb(0)
        elif lo >= 0:
            middle = _inward(lo, hi)
        else:
            inner = _inward(-hi, -lo)
            middle = None if inner is None else -inner
        if middle is not None and not (lo < middle < hi):
            middle = (lo + hi).mid() / 2
    if middle is None or not (lo < middle < hi):
        return None
    return Interval(lo, middle), Interval(middle, hi)


def futile(region: Interval) -> bool:
    """A region beyond +-FAR that is unbounded or already within 1% relative width."""
    lo, hi = region.lo, region.hi
    if isinstance(lo, float) or isinstance(hi, float):
        finite = hi if isinstance(lo, float) else lo
        return not isinstance(finite, float) and abs(finite) >= _FAR_ARB * _FAR_ARB
    near = min(abs(lo), abs(hi))
    return (lo >= 0 or hi <= 0) and near >= _FAR_ARB and (abs(hi - lo) <= near / 100)


def _inward(lo: arb, hi: arb) -> arb:
    """A split point of [lo, hi] with 0 <= lo < hi: 1 when lo is 0 and the region is wide,
    the geometric middle when hi > 4 lo > 0, else the midpoint (all exact binary numbers)."""
    if lo == 0:
        return arb(1) if hi > 2 else hi / 2
    if hi > 4 * lo:
        return (lo * hi).sqrt().mid()
    return ((lo + hi) / 2).mid()


_FAR = arb(2) ** MAX_EXPONENT
_FAR_ARB = arb(FAR)


def _outward(value: arb) -> arb | None:
    """The next split point of [value, inf): 1 past small values, then squares (2, 4, 16,
    256, ...), so a half-line is covered in a few dozen regions; None past 2**MAX_EXPONENT."""
    if value < 1:
        return arb(1)
    if value >= _FAR:
        return None
    return (value * value).mid() if value >= 2 else arb(4)


def _merge(regions: list[Region]) -> list[Region]:
    merged: list[Region] = []
    for region in regions:
        if merged and merged[-1].sign == region.sign:
            merged[-1] = Region(merged[-1].lo, region.hi, region.sign)
        else:
            merged.append(region)
    return merged


def brackets(regions: Sequence[Region]) -> list[tuple[Region, int | None, int | None]]:
    """The undecided brackets with the signs on their left and right (None at an end)."""
    found = []
    for index, region in enumerate(regions):
        if region.sign is None:
            left = regions[index - 1].sign if index > 0 else None
            right = regions[index + 1].sign if index + 1 < len(regions) else None
            found.append((region, left, right))
    return found


def as_float(value: Endpoint) -> float:
    """An endpoint as the nearest float (+-inf stay)."""
    if isinstance(value, float):
        return value
    number = float(value.mid())
    return number if math.isfinite(number) else math.copysign(INF, number)
