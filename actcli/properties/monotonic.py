"""Monotonicity of f and of f': the sign of the next derivative on each piece (exact where SymPy
decides it, sampled otherwise), the direction of each jump at a breakpoint, and a witness that
shows the verdict with few decimals.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy

from actcli.budget import bounded
from actcli.expr import X
from actcli.properties.analysis import LIMIT_OPS, Analysis
from actcli.properties.values import Piece, Value, ties, to_float

SIGN_SECONDS = 0.5
MONOTONIC_KINDS = ("increasing", "nondecreasing", "decreasing", "nonincreasing", "none")


def slope_signs(analysis: Analysis, piece: Piece, order: int) -> tuple[set[int], bool]:
    """Signs that f^(order+1) takes on the piece (0 only when identically 0), and whether
    SymPy decided them."""

    if piece.flat(order):
        return {0}, True
    slope = piece.derivative(order + 1)
    if not slope.has(X):
        value = to_float(slope)
        return ({1} if value > 0 else {-1}), True
    decided = _symbolic_sign(analysis, piece, slope)
    if decided is not None:
        return {decided}, True
    sampled = piece.values[order + 1]
    signs = {int(s) for s in np.sign(sampled[np.isfinite(sampled) & (sampled != 0)])}
    return (signs or {0}), False


def _symbolic_sign(analysis: Analysis, piece: Piece, slope: Any) -> int | None:
    """+1 or -1 when SymPy proves the slope's sign on the piece (half-lines and the line)."""

    if sympy.count_ops(slope) > LIMIT_OPS:
        return None
    t = sympy.Dummy("t", positive=True)
    if math.isinf(piece.lo) and math.isinf(piece.hi):
        expression = slope
    elif math.isinf(piece.hi):
        expression = slope.subs(X, piece.lower + t)
    elif math.isinf(piece.lo):
        expression = slope.subs(X, piece.upper - t)
    else:
        return None

    def decide() -> int | None:
        if expression.is_positive:
            return 1
        if expression.is_negative:
            return -1
        return None

    return bounded(decide, SIGN_SECONDS, analysis.budget)


def monotonicity(analysis: Analysis, order: int) -> tuple[str, tuple[float, ...] | None, bool]:
    """(kind, witness, symbolic) for f^(order)."""
    ups = downs = flat = False
    symbolic = True
    for piece in analysis.pieces:
        signs, decided = slope_signs(analysis, piece, order)
        symbolic = symbolic and decided
        ups = ups or 1 in signs
        downs = downs or -1 in signs
        flat = flat or signs == {0}
    for index in range(len(analysis.breakpoints)):
        left = analysis.end_value(analysis.pieces[index], order, False)
        right = analysis.end_value(analysis.pieces[index + 1], order, True)
        sequence = [left]
        if order == 0:
            value = analysis.point_values[index]
            sequence.append(Value(to_float(value), value))
        sequence.append(right)
        for a, b in zip(sequence, sequence[1:], strict=False):
            symbolic = symbolic and a.exact is not None and b.exact is not None
            if ties(a.value, b.value):
                continue
            ups = ups or b.value > a.value
            downs = downs or b.value < a.value
    if ups and downs:
        return "none", _non_monotone_witness(analysis, order), symbolic
    if not ups and not downs:
        return "constant", None, symbolic
    if flat:
        witness = _flat_witness(analysis, order)
        return ("nondecreasing" if ups else "nonincreasing"), witness, symbolic
    return ("increasing" if ups else "decreasing"), None, symbolic


def _flat_witness(analysis: Analysis, order: int) -> tuple[float, float] | None:
    """Two points of a piece where f^(order) is constant, rounded where that keeps them
    inside it."""
    for piece in analysis.pieces:
        if not piece.flat(order):
            continue
        if math.isinf(piece.lo) and math.isinf(piece.hi):
            return (-1.0, 1.0)
        if math.isinf(piece.lo):
            return (math.floor(piece.hi) - 2.0, math.floor(piece.hi) - 1.0)
        if math.isinf(piece.hi):
            return (math.ceil(piece.lo) + 1.0, math.ceil(piece.lo) + 2.0)
        width = piece.hi - piece.lo
        points = (piece.lo + width / 3, piece.lo + 2 * width / 3)
        for digits in range(17):
            a, b = (round(x, digits) + 0.0 for x in points)
            if piece.lo < a < b < piece.hi:
                return (a, b)
        return points
    return None


def _non_monotone_witness(analysis: Analysis, order: int) -> tuple[float, float, float] | None:
    """x1 < x2 < x3 with f^(order)(x2) strictly below (or above) both others."""
    xs = [piece.samples for piece in analysis.pieces]
    ys = [piece.values[order] for piece in analysis.pieces]
    if order == 0:
        for index, point in enumerate(analysis.breakpoints):
            xs.append(np.array([to_float(point)]))
            ys.append(np.array([to_float(analysis.point_values[index])]))
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
    kinks = {to_float(b) for b in analysis.breakpoints} if order else set()

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
