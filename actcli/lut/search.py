"""--max-error E: the smallest N whose certified error is <= E for every order.

The strategy (estimate, grow, bisect, then breakpoint-aligned N) is in the package docstring
("--max-error E: ..."); kept apart so that the search changes here only, not the bounds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from actcli.compiler import compile_scalar
from actcli.errors import UsageError
from actcli.lut.bounds import EVALUATION_RELATIVE, Event, Order
from actcli.lut.grid import Build, build, unbounded_message
from actcli.lut.numberformat import Format
from actcli.lut.result import label

ALIGNED_SCAN = 1 << 16  # how many N past the smooth estimate to scan for breakpoint-aligned grids


def _jump_floor(info: Order, start: float, hi: float, interp: str) -> tuple[float, Event] | None:
    """The largest error a jump forces whatever N is, and the jump."""
    worst = None
    for event in info.events:
        if event.jump == 0 or not start <= event.x <= hi:
            continue
        floor = abs(event.jump) / 2 if interp == "linear" else abs(event.jump)
        if interp == "linear" and event.x in (start, hi):
            floor = 0.0
        if worst is None or floor > worst[0]:
            worst = (floor, event)
    return worst


def search(
    infos: list[Order],
    start: float,
    hi: float,
    fmt: Format,
    interp: str,
    target: float,
    max_points: int,
    check_size: Callable[[int], None] | None = None,
) -> Build:
    """The smallest passing table this search meets, or a refusal that says what to change;
    `check_size(N)` may refuse a grid of N points before it is built."""
    option = f"--max-error {target:g}"
    for info in infos:
        found = _jump_floor(info, start, hi, interp)
        if found and found[0] > target:
            floor, event = found
            raise UsageError(
                f"{label(info.order)} jumps by {abs(event.jump):.3g} at x = {event.x:.17g}: "
                f"{interp} interpolation across it errs by at least {floor:.3g} > E "
                f"({target:g}); split the range at {event.x:.17g}"
            )
    _refuse_evaluation_floor(infos, start, hi, option, target)
    smooth = _estimate(infos, start, hi, interp, target, smooth=True)
    if smooth > max_points:  # the smallest N the sampled max|f''| (or |f'|) allows: none fits
        raise UsageError(
            f"{option}: needs more than --max-points {max_points} points (estimate "
            f"N = {smooth} from the range and the largest derivative); raise E, narrow the "
            "range or raise --max-points"
        )
    estimate = _estimate(infos, start, hi, interp, target)
    cache: dict[int, Build] = {}

    def attempt(points: int) -> bool:
        if points not in cache:
            if check_size is not None:
                check_size(points)
            cache[points] = build(infos, start, hi, points, fmt, interp)
        return cache[points].certified <= target

    first = min(max(2, estimate), max_points)
    # a grid with every kink on a node may pass far below the kink-driven estimate
    for candidate in _aligned(infos, start, hi, smooth, first):
        if attempt(candidate):
            return cache[candidate]
    passed = attempt(first)
    _refuse_floor(cache[first], option, target, interp)
    if passed:
        passing, failing = first, 1
        while passing > 2:
            candidate = max(2, passing - max(1, passing // 8))
            if not attempt(candidate):
                failing = candidate
                break
            passing = candidate
    else:
        failing, passing = first, 0
        while not passing:
            if failing >= max_points:
                raise UsageError(
                    f"{option}: needs more than --max-points {max_points} points (estimate "
                    f"N = {estimate}); raise E, narrow the range or raise --max-points"
                )
            candidate = min(max_points, max(failing + 1, math.ceil(failing * 1.25)))
            if attempt(candidate):
                passing = candidate
            else:
                failing = candidate
    while passing - failing > 1:
        middle = (passing + failing) // 2
        if attempt(middle):
            passing = middle
        else:
            failing = middle
    for candidate in _aligned(infos, start, hi, smooth, passing):
        if attempt(candidate):
            return cache[candidate]
    return cache[passing]


def _aligned(infos: list[Order], start: float, hi: float, low: int, high: int) -> list[int]:
    """Up to 20 N in [low, high) that put every breakpoint inside the range on a node.

    A kink costs |J|h/4 in mid-segment but nothing on a node, so such N can beat the
    bisection's answer by orders of magnitude (hardswish: 287 points instead of 13520)."""
    inside = sorted({e.x for info in infos for e in info.events if start < e.x < hi})
    high = min(high, max(2, low) + ALIGNED_SCAN)
    if not inside or low >= high:
        return []
    n = np.arange(max(2, low), high)
    positions = np.outer(np.array(inside) - start, n - 1) / (hi - start)
    aligned = np.all(np.abs(positions - np.round(positions)) <= 1e-9 * (n - 1), axis=0)
    return [int(v) for v in n[aligned][:20]]


def _refuse_evaluation_floor(
    infos: list[Order], start: float, hi: float, option: str, target: float
) -> None:
    """Refuse, before any grid is built, an E below the evaluation error every table carries:
    EVALUATION_RELATIVE times max |f^(k)| over the nodes, and both range ends are nodes."""
    for info in infos:
        with np.errstate(all="ignore"):
            ends = np.abs(info.function(np.array([start, hi])))
        top = float(np.max(ends))
        floor = EVALUATION_RELATIVE * top
        if math.isfinite(floor) and floor > target:
            raise UsageError(
                f"{option}: below what float64 evaluation can certify: {label(info.order)} is "
                f"certified to {EVALUATION_RELATIVE:g} relative, {floor:.3g} here (|value| "
                f"{top:.3g} at a range end); give E >= {floor:.3g} or narrow the range"
            )


def _refuse_floor(build: Build, option: str, target: float, interp: str) -> None:
    """Refuse when the number format alone, or an unboundable derivative, misses E."""
    unbounded = unbounded_message(build, interp)
    if unbounded is not None:
        raise UsageError(f"{option}: {unbounded}")
    for budget in build.budgets:
        floor = budget.quantisation_error + budget.evaluation_error
        if floor > target:
            top = max(float(np.max(np.abs(v))) for v in build.values)
            m = max(0, math.ceil(math.log2(top + 1e-300)) if top >= 1 else 0)
            n = max(0, math.ceil(-math.log2(target)))
            raise UsageError(
                f"{option}: {build.fmt.resolved()} alone errs by up to {floor:.3g} "
                f"({label(budget.order)}, quantisation) > E; use a finer format, e.g. "
                f"Q{m}.{n} ({1 + m + n} bits) or float32/float64"
            )


def _estimate(
    infos: list[Order], start: float, hi: float, interp: str, target: float, smooth: bool = False
) -> int:
    """N from a sampled sup of the bounding derivative (a starting point, not a bound); unless
    `smooth`, with the kinks' |J|h/4 when that needs more."""

    x = np.linspace(start, hi, 2001)
    needed = 2
    for info in infos:
        branchwise = []
        for lower, upper, _, stable in info.pieces:
            inside = x[(x >= lower) & (x <= upper)]
            if inside.size:
                sample = np.abs(compile_scalar(stable)(inside))
                branchwise.append(float(np.max(np.nan_to_num(sample, posinf=0.0))))
        sup = max(branchwise, default=0.0)
        if interp == "linear":
            n = (hi - start) * math.sqrt(sup / (8 * target)) + 1
        elif interp == "nearest":
            n = (hi - start) * sup / (2 * target) + 1
        else:
            n = (hi - start) * sup / target + 1
        kinks = [abs(e.kink) for e in info.events if start < e.x < hi]
        if interp == "linear" and kinks and not smooth:
            n = max(n, (hi - start) * max(kinks) / (4 * target) + 1)
        needed = max(needed, math.ceil(min(n, 2.0**62)))
    return needed
