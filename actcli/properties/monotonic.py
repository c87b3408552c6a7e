"""Monotonicity of f and of f' on the domain: the sign of the next derivative on each part
(proven by interval arithmetic, `actcli.isolate`, or symbolically when it is a constant or
SymPy decides it), and how the values line up across every cut point (the left limit, the value
there, the right limit: a jump down, or a pole from -oo to +oo as in 1/x, breaks an increasing
function). A witness shows the verdict with few decimals.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy
from flint import arb

from actcli.budget import bounded
from actcli.compiler import compile_scalar
from actcli.expr import X
from actcli.isolate import Undecided, sign_regions
from actcli.properties.analysis import LIMIT_OPS, Analysis
from actcli.properties.extrema import samples, weakest
from actcli.properties.values import ties, to_float

SIGN_SECONDS = 0.5
MONOTONIC_KINDS = ("increasing", "nondecreasing", "decreasing", "nonincreasing", "none")


def slope_signs(analysis: Analysis, index: int, order: int) -> tuple[set[int], str]:
    """The signs f^(order+1) takes on part `index` ({0} when f^(order) is constant there),
    and how that was found (cached per part and order)."""
    key = ("slope_signs", index, order)
    if key not in analysis.cache:
        analysis.cache[key] = _slope_signs(analysis, index, order)
    return analysis.cache[key]


def _slope_signs(analysis: Analysis, index: int, order: int) -> tuple[set[int], str]:
    part = analysis.parts[index]
    slope = part.derivative(order + 1)
    if analysis.is_flat(index, order):
        return {0}, "symbolic"
    rational = slope.is_rational_function(X) and sympy.count_ops(slope) <= LIMIT_OPS
    if rational:
        # (x**2 - 1)/(x - 1) has slope 1 once cancelled; sampled beside the removable
        # singularity at 1, it lost its digits and f was "none" (not monotonic)
        slope = sympy.cancel(slope)
    if not slope.has(X):
        return ({1} if to_float(slope) > 0 else {-1}), "symbolic"
    decided = _symbolic_sign(analysis, index, slope)
    if decided is not None:
        return {decided}, "symbolic"
    forms = analysis.forms(index, order + 1)
    if forms:
        try:
            regions = sign_regions(forms, part.lo, part.hi)
        except Undecided:
            regions = None
        if regions is not None:
            signs = {r.sign for r in regions if r.sign is not None}
            undecided = [r for r in regions if r.sign is None]
            # a tiny undecided bracket between two regions of one sign is a touching zero
            # of an analytic function: it changes nothing; an undecided bracket at an end
            # (or between opposite signs) only adds what its neighbours already show
            if signs and (len(signs) > 1 or not undecided or _touching(regions)):
                return signs, "interval"
    x = samples(part.lo, part.hi)
    if rational:  # the cancelled forms: no 0/0 beside a removable singularity
        values = compile_scalar(sympy.cancel(part.derivative(order)))(x)
        sampled = compile_scalar(slope)(x)
    else:
        values, sampled = analysis.evaluate(order, x), analysis.evaluate(order + 1, x)
    finite = sampled[np.isfinite(sampled)]
    noise = 1e-12 * float(np.max(np.abs(finite))) if finite.size else 0.0
    found = {int(s) for s in np.sign(finite[np.abs(finite) > noise])}  # no sign from rounding
    return (found | _sampled_steps(values) or {0}), "numeric"


def _sampled_steps(values: np.ndarray) -> set[int]:
    """+1 and -1 for the rises and falls between consecutive finite values beyond rounding
    (1e-12 relative to the larger, as `ties`). The slope's samples alone can miss them: the
    noise bound above is relative to the largest slope, and f' of sin(x exp(x)) spans 1e-40 to
    1e300, so every sign but one was taken for rounding."""
    a, b = values[:-1], values[1:]
    with np.errstate(invalid="ignore"):
        step = b - a
        beyond = np.abs(step) > 1e-12 * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    return {int(s) for s in np.sign(step[beyond & np.isfinite(step)])}


def _touching(regions: list[Any]) -> bool:
    for index, region in enumerate(regions):
        if region.sign is None:
            left = regions[index - 1].sign if index > 0 else None
            right = regions[index + 1].sign if index + 1 < len(regions) else None
            if left is None or right is None or left != right:
                return False
    return True


def _symbolic_sign(analysis: Analysis, index: int, slope: Any) -> int | None:
    """+1 or -1 when SymPy proves the slope's sign on the part (half-lines and the line)."""
    part = analysis.parts[index]
    if sympy.count_ops(slope) > LIMIT_OPS:
        return None
    t = sympy.Dummy("t", positive=True)
    if math.isinf(part.lo) and math.isinf(part.hi):
        expression = slope
    elif math.isinf(part.hi):
        expression = slope.subs(X, part.lower + t)
    elif math.isinf(part.lo):
        expression = slope.subs(X, part.upper - t)
    else:
        return None

    def decide() -> int | None:
        if expression.is_positive:
            return 1
        if expression.is_negative:
            return -1
        return None

    return bounded(decide, SIGN_SECONDS, analysis.budget)


def monotonicity(analysis: Analysis, order: int) -> tuple[str, tuple[float, ...] | None, str]:
    """(kind, witness, method) for f^(order) on its domain."""
    ups = downs = flat = False
    methods = []
    sequence: list[tuple[float, Any]] = []  # values met along x at the parts' ends and cuts
    for index, part in enumerate(analysis.parts):
        if index > 0:
            cut = analysis.cuts[index - 1]
            if order == 0 and cut.value is not None:
                sequence.append((to_float(cut.value), cut.value))
        if not part.defined:
            sequence.append((math.nan, None))  # a hole in the domain
            continue
        signs, method = slope_signs(analysis, index, order)
        methods.append(method)
        ups = ups or 1 in signs
        downs = downs or -1 in signs
        flat = flat or signs == {0}
        for end in ("lower", "upper"):
            limit = analysis.structure.limit(index, order, end)
            exact = limit.value if limit.kind == "value" else None
            if limit.kind == "unknown":
                methods.append("numeric")
            sequence.append((limit.number(), exact))
    # in order along x, each value or limit must not fall (rise) from any earlier one for f to
    # increase (decrease) on its domain: across a hole in the domain and an unknown limit too
    # (log1p(1/x) falls on (-oo, -1) and on (0, oo), but from -oo to +oo over the hole)
    known = [value for value, _ in sequence if not math.isnan(value)]
    for a, b in zip(known, known[1:], strict=False):
        if ties(a, b):
            continue
        ups = ups or b > a
        downs = downs or b < a
    method = weakest(methods)
    if ups and downs:
        witness = _non_monotone_witness(analysis, order)
        if witness is not None and _proven_witness(analysis, order, witness):
            method = "interval"  # three points suffice: their values are enclosed rigorously
        return "none", witness, method
    if not ups and not downs:
        return "constant", None, method
    if flat:
        witness = _flat_witness(analysis, order)
        return ("nondecreasing" if ups else "nonincreasing"), witness, method
    return ("increasing" if ups else "decreasing"), None, method


def _proven_witness(analysis: Analysis, order: int, witness: tuple[float, float, float]) -> bool:
    """f^(order) at the middle point is strictly below (or above) both outer ones, with
    interval enclosures of the three values (so "not monotonic" is a proof)."""
    enclosures = []
    for x in witness:
        index = next((i for i, p in enumerate(analysis.parts) if p.contains(x)), None)
        if index is None or not analysis.parts[index].defined:
            return False
        enclosure = analysis.point(index, order, arb(x))
        if enclosure is None:
            return False
        enclosures.append(enclosure)
    first, middle, last = enclosures
    valley = middle.high < min(first.low, last.low)
    hill = middle.low > max(first.high, last.high)
    return valley or hill


def _flat_witness(analysis: Analysis, order: int) -> tuple[float, float] | None:
    """Two points of a part where f^(order) is constant, rounded where that keeps them
    inside it."""
    for index, part in enumerate(analysis.parts):
        if not part.defined or slope_signs(analysis, index, order)[0] != {0}:
            continue
        if math.isinf(part.lo) and math.isinf(part.hi):
            return (-1.0, 1.0)
        if math.isinf(part.lo):
            return (math.floor(part.hi) - 2.0, math.floor(part.hi) - 1.0)
        if math.isinf(part.hi):
            return (math.ceil(part.lo) + 1.0, math.ceil(part.lo) + 2.0)
        width = part.hi - part.lo
        points = (part.lo + width / 3, part.lo + 2 * width / 3)
        for digits in range(17):
            a, b = (round(x, digits) + 0.0 for x in points)
            if part.lo < a < b < part.hi:
                return (a, b)
        return points
    return None


def _non_monotone_witness(analysis: Analysis, order: int) -> tuple[float, float, float] | None:
    """x1 < x2 < x3 with f^(order)(x2) strictly below (or above) both others."""
    xs, ys = [], []
    for part in analysis.parts:
        if part.defined:
            x = samples(part.lo, part.hi)
            xs.append(x)
            ys.append(analysis.evaluate(order, x))
    if order == 0:
        for cut in analysis.cuts:
            if cut.value is not None:
                xs.append(np.array([cut.location]))
                ys.append(np.array([to_float(cut.value)]))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    keep = np.isfinite(y)
    order_index = np.argsort(x[keep], kind="stable")
    x, y = x[keep][order_index], y[keep][order_index]
    if x.size < 3:
        return None
    best: tuple[float, tuple[float, float, float]] | None = None
    for sign in (1.0, -1.0):  # valleys of y, then valleys of -y (hills)
        v = sign * y
        prefix = np.maximum.accumulate(v)
        suffix = np.maximum.accumulate(v[::-1])[::-1]
        depth = np.minimum(prefix[:-2], suffix[2:]) - v[1:-1]
        deepest = float(np.max(depth))
        plateau = np.nonzero(depth >= deepest - 1e-12 * max(1.0, abs(deepest)))[0]
        j = int(plateau[len(plateau) // 2]) + 1  # the middle of a flat stretch of depth
        margin = float(depth[j - 1])
        if margin <= 1e-12 * max(1.0, abs(v[j])):
            continue
        # the nearest points on each side clearly higher: a witness in the region of interest
        high = v >= v[j] + min(margin / 2, 0.1 * max(1.0, abs(v[j])))
        i = int(np.nonzero(high[:j])[0][-1])
        k = j + 1 + int(np.nonzero(high[j + 1 :])[0][0])
        if best is None or margin > best[0]:
            best = (margin, (float(x[i]), float(x[j]), float(x[k])))
    return None if best is None else _readable(analysis, order, best[1])


def _readable(
    analysis: Analysis, order: int, witness: tuple[float, float, float]
) -> tuple[float, float, float]:
    """The witness with the fewest decimals that still shows the violation: the outer points
    move outwards, the middle one rounds; for f' no point may be a breakpoint."""
    evaluate = analysis.scalar(order)
    kinks = {cut.location for cut in analysis.cuts} if order else set()

    def shows(points: tuple[float, float, float]) -> bool:
        if not (points[0] < points[1] < points[2]) or kinks.intersection(points):
            return False
        a, b, c = (evaluate(x) for x in points)
        if not all(map(math.isfinite, (a, b, c))):
            return False
        margin = 1e-9 * max(1.0, abs(b))
        return b < min(a, c) - margin or b > max(a, c) + margin

    first, middle, last = witness
    for digits in range(13):
        scale = 10.0**digits
        outer = (math.floor(first * scale) / scale, math.ceil(last * scale) / scale)
        for centre in (
            round(middle, digits),
            math.floor(middle * scale) / scale,
            math.ceil(middle * scale) / scale,
        ):
            points = (outer[0] + 0.0, centre + 0.0, outer[1] + 0.0)
            if shows(points):
                return points
    return witness
