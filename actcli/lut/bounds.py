"""The certified interpolation error of one order on each segment of a grid.

`analyse` reads what the bounds need from the activation once (the pieces of the bounding
derivative, the jump/kink events, an mpmath reference of g); `segment_bounds` applies the
per-segment bounds of the package docstring ("Certified error, per order k, ...") to a grid.
Kept apart so that the mathematics of the bound changes here only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from actcli.activation import Activation
from actcli.compiler import reference_function
from actcli.errors import AnalysisError, ResourceLimitError
from actcli.interval import bound, reference_ball
from actcli.pieces import active_branch_at, intervals, to_piecewise
from actcli.supervisor import progress, step

CERTIFIABLE_OPERATIONS = 20_000  # interval bounds of f'' on each segment cost about this per point

EVALUATION_RELATIVE = 1e-13
SUBDIVISIONS = 4
MEASURE_ABSOLUTE = 1e-40  # errors are absolute: the truth is needed to this much, not relatively
SLACK = 8 * np.finfo(np.float64).eps
TIGHTEN_BATCH = 32  # loose bounds tightened per round, worst first
BLOCK = 64  # segments bounded together first; only blocks that may hold the worst are split
PROGRESS_CHUNK = 1 << 14  # segments bounded between two progress reports


@dataclass(frozen=True)
class Event:
    """A breakpoint c where g = f^(k) jumps by `jump` or g' by `kink` (right minus left)."""

    x: float
    jump: float
    kink: float
    left: float
    right: float
    exact_float: bool


@dataclass(frozen=True)
class Order:
    """What the bounds of one order need: g numerically, and the pieces of the bounding
    derivative (g'' for linear, g' otherwise) between the definition's breakpoints."""

    order: int
    function: Any
    pieces: tuple[tuple[float, float, Any, Any], ...]
    events: tuple[Event, ...]
    exact: Any


def analyse(activation: Activation, order: int, interp: str) -> Order:
    """Everything the bounds, the search and the measurement need about f^(order), once."""

    definition = to_piecewise(activation.expression)
    bounding = order + (2 if interp == "linear" else 1)
    derivative = activation.derivative(bounding)
    size = sympy.count_ops(derivative)
    if size > CERTIFIABLE_OPERATIONS:
        raise ResourceLimitError(
            f"table: the error bound needs f^({bounding}) of {activation.name} on every segment, "
            f"and it has {size:,} operations (at most {CERTIFIABLE_OPERATIONS:,} can be "
            "bounded in time); use actcli eval for values"
        )
    stable = activation.numeric_source(bounding)
    pieces = []
    for lower, upper, probe in intervals(definition, activation):
        branch = active_branch_at(derivative, activation, probe)
        try:
            stable_branch = active_branch_at(stable, activation, probe)
        except AnalysisError:
            stable_branch = stable
        pieces.append((float(lower), float(upper), branch, stable_branch))
    events = []
    exact_points = dict(activation.breakpoints())
    for kink in activation.kinks(order + 1):
        if kink.first_jump() is None:
            continue  # f, ..., f^(order+1) continuous there: nothing to add
        left, right = kink.left, kink.right
        slack = SLACK * max(
            abs(left[order]), abs(right[order]), abs(left[order + 1]), abs(right[order + 1]), 1e-300
        )
        jump = right[order] - left[order]
        bend = right[order + 1] - left[order + 1]
        events.append(
            Event(
                kink.x,
                0.0 if jump == 0 else math.copysign(abs(jump) + slack, jump),
                0.0 if bend == 0 else math.copysign(abs(bend) + slack, bend),
                left[order],
                right[order],
                _is_float(exact_points.get(kink.x)),
            )
        )
    exact = _reference(activation, definition, order)
    return Order(order, activation.function(order), tuple(pieces), tuple(events), exact)


REFERENCE_DIGITS = 20


def _reference(activation: Activation, definition: Any, order: int) -> Callable[[float], Any]:
    """x -> f^(order)(x) to REFERENCE_DIGITS digits (or to MEASURE_ABSOLUTE where smaller): an
    Arb ball of the branch of the piece x is inside (~50 us), else mpmath at doubling
    precision (`reference_function`, 0.3 ms and more: 20,000 measured points of GELU took
    7 s), as at a breakpoint itself, or where no ball is tight."""
    derivative = to_piecewise(activation.derivative(order))
    whole = reference_function(derivative, digits=REFERENCE_DIGITS, absolute=MEASURE_ABSOLUTE)
    balls = [
        (float(lower), float(upper), reference_ball(branch, REFERENCE_DIGITS))
        for lower, upper, probe in intervals(definition, activation)
        for branch in [active_branch_at(derivative, activation, probe)]
    ]

    def value(x: Any) -> Any:
        x = float(x)
        for lower, upper, ball in balls:
            if lower < x < upper:  # strictly: a float breakpoint is the nearest to the exact one
                found = None if ball is None else ball(x)
                return whole(x) if found is None else found
        return whole(x)

    return value


def _is_float(exact: Any) -> bool:

    return exact is not None and bool(exact.is_Rational) and sympy.Rational(float(exact)) == exact


def _sup(info: Order, a: np.ndarray, b: np.ndarray, balls: bool) -> tuple[np.ndarray, bool]:
    """sup |bounding derivative| on each [a_i, b_i] (infinite where it cannot be bounded), and
    whether a stable form had to stand in; `balls`: fast and loose (see `interval.bound`)."""

    result = np.zeros(a.shape)
    used_stable = False
    for lower, upper, branch, stable in info.pieces:
        inside = np.flatnonzero((a < upper) & (b > lower))
        if not inside.size:
            continue
        # the branch's own interval, widened by a few ulp: the float breakpoint is inexact
        lo = np.maximum(a[inside], lower - SLACK * abs(lower) - 1e-300)
        hi = np.minimum(b[inside], upper + SLACK * abs(upper) + 1e-300)
        cuts = np.linspace(0.0, 1.0, SUBDIVISIONS + 1)
        starts = (lo[:, None] + (hi - lo)[:, None] * cuts[None, :-1]).ravel()
        ends = (lo[:, None] + (hi - lo)[:, None] * cuts[None, 1:]).ravel()
        ends[SUBDIVISIONS - 1 :: SUBDIVISIONS] = hi
        low, high = bound(branch, starts, ends, balls)
        size = np.maximum(np.abs(low), np.abs(high))
        bad = ~np.isfinite(size)
        if bad.any() and stable is not branch:
            used_stable = True
            low, high = bound(stable, starts[bad], ends[bad], balls)
            size[bad] = np.maximum(np.abs(low), np.abs(high))
        per_segment = size.reshape(-1, SUBDIVISIONS).max(axis=1)
        np.maximum.at(result, inside, per_segment)
    return result, used_stable


def segment_bounds(
    info: Order, x: np.ndarray, values: np.ndarray, interp: str
) -> tuple[np.ndarray, bool]:
    """The certified interpolation error on each segment [x_i, x_{i+1}] (see the package doc).

    Every BLOCK consecutive segments are bounded first together, with Arb balls (fast, a
    little loose: the block's sup stands for each of its segments); the worst blocks are
    split into segments, bounded the same way, and the worst segments bounded again with
    the tighter interval evaluator, worst first, until no loose bound exceeds the worst
    tight one, so the table's certificate (the largest bound) is the tight one. Near a
    smooth peak of the bounding derivative that is O(1/sqrt(h)) segments; 100,000 segments
    of GELU cost 1,600 block bounds, not 100,000 segment bounds (24 of 25 s)."""
    a, b = x[:-1], x[1:]
    width = (b - a) * (1 + SLACK)
    scale = width**2 / 8 if interp == "linear" else width / 2 if interp == "nearest" else width
    extra = _event_terms(info, x, values, interp, width)
    with step(f"certifying the error bound of {a.size} table segments"):
        return _certified(info, a, b, scale, extra)


def _certified(
    info: Order, a: np.ndarray, b: np.ndarray, scale: np.ndarray, extra: np.ndarray
) -> tuple[np.ndarray, bool]:
    block_sup, used_stable = _block_sups(info, a, b)
    sup = np.repeat(block_sup, BLOCK)[: a.size]
    split = np.zeros(block_sup.shape, dtype=bool)  # blocks whose segments have their own sup
    tight = np.zeros(a.shape, dtype=bool)
    while True:
        with np.errstate(invalid="ignore", over="ignore"):
            bounds = scale * sup
        bounds = np.where(np.isnan(bounds), np.inf, bounds) * (1 + SLACK) + extra
        settled = bounds[tight].max(initial=-np.inf)
        loose = ~tight & (bounds > settled)
        if not loose.any():
            return bounds, used_stable
        candidates = np.flatnonzero(loose)
        again = candidates[np.argsort(-bounds[candidates])[:TIGHTEN_BATCH]]
        whole = np.unique(again[~split[again // BLOCK]] // BLOCK)
        if whole.size:  # the worst blocks into segments first
            again = (whole[:, None] * BLOCK + np.arange(BLOCK)).ravel()
            again = again[again < a.size]
            split[whole] = True
        tighter, used = _sup(info, a[again], b[again], balls=not whole.size)
        sup[again] = np.minimum(sup[again], tighter)  # both are upper bounds
        used_stable |= used
        tight[again] = not whole.size


def _block_sups(info: Order, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, bool]:
    """`_sup(balls=True)` on each block of BLOCK segments, in chunks of PROGRESS_CHUNK
    segments, reporting each (`progress`)."""
    starts = np.arange(0, a.size, BLOCK)
    ends = np.minimum(starts + BLOCK, a.size) - 1
    parts, used_stable = [], False
    per_chunk = PROGRESS_CHUNK // BLOCK
    for begin in range(0, starts.size, per_chunk):
        chosen = slice(begin, begin + per_chunk)
        part, used = _sup(info, a[starts[chosen]], b[ends[chosen]], balls=True)
        parts.append(part)
        used_stable |= used
        done = int(ends[chosen][-1]) + 1
        if done < a.size or begin:
            progress(done, a.size, "table: segments certified")
    return np.concatenate(parts), used_stable


def _event_terms(
    info: Order, x: np.ndarray, values: np.ndarray, interp: str, width: np.ndarray
) -> np.ndarray:
    """What each segment's bound gains from the jumps and kinks of g inside or at its ends."""
    a, b = x[:-1], x[1:]
    terms = np.zeros(a.shape)
    for event in info.events:
        if not x[0] <= event.x <= x[-1]:
            continue
        if interp != "linear":
            touching = np.flatnonzero((a <= event.x) & (b >= event.x))
            terms[touching] += abs(event.jump)
            continue
        node = np.flatnonzero(np.abs(x - event.x) <= SLACK * max(abs(event.x), 1e-300))
        if node.size:
            _node_event(terms, event, int(node[0]), values, width)
            continue
        i = int(np.searchsorted(x, event.x) - 1)
        t1, t2 = event.x - a[i], b[i] - event.x
        terms[i] += (
            abs(event.kink) * t1 * t2 / width[i] + abs(event.jump) * max(t1, t2) / width[i]
        ) * (1 + SLACK)
    return terms


def _node_event(
    bounds: np.ndarray, event: Event, node: int, values: np.ndarray, width: np.ndarray
) -> None:
    """A breakpoint on node `node`: the node holds one side's value, so the segment on the
    other side carries the whole jump; the float breakpoint may sit an ulp off the exact one,
    so the kink term gets that much."""
    neighbours = [i for i in (node - 1, node) if 0 <= i < bounds.size]
    near = SLACK * max(abs(event.x), 1e-300)
    for i in neighbours:
        bounds[i] += abs(event.kink) * near
    if event.jump == 0:
        return
    value = values[node]
    tolerance = EVALUATION_RELATIVE * max(abs(event.left), abs(event.right)) + 1e-300
    on_left = abs(value - event.left) <= tolerance
    on_right = abs(value - event.right) <= tolerance
    for i in neighbours:
        segment_is_left = i == node - 1
        if (
            not event.exact_float
            or (segment_is_left and not on_left)
            or (not segment_is_left and not on_right)
        ):
            bounds[i] += abs(event.jump)
