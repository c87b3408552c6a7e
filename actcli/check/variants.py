"""Implementation variants: where a variant equals the definition (proven per piece), and how
far apart the two are elsewhere."""

from __future__ import annotations

import time
from typing import Any

import mpmath
import sympy

from actcli.budget import Timeout, alarm
from actcli.check.context import (
    FAR_POINTS,
    FAR_SECONDS,
    POINT_SECONDS,
    CheckContext,
    Piece,
    far_beyond,
    interval_text,
    params_text,
    settled,
    working_digits,
)
from actcli.check.result import ClaimResult
from actcli.expr import X
from actcli.functions import to_elementary
from actcli.pieces import active_branch_at
from actcli.proofs import is_zero


def variant(ctx: CheckContext, name: str) -> ClaimResult:
    """Where a variant equals the definition (proven per piece), and how far apart they
    are elsewhere: the largest |variant - definition| and where (numeric)."""
    variant = ctx.spec.variants[name]
    claimed = ctx.build(variant.definition)
    pieces = ctx.pieces(claimed)
    equal, different = [], []
    for piece in pieces:
        branch = active_branch_at(ctx.definition, ctx.activation, piece.probe)
        claimed_branch = active_branch_at(claimed, ctx.activation, piece.probe)
        (equal if is_zero(claimed_branch - branch) else different).append(piece)
    label = f"variants.{name}"
    if not different:
        return ClaimResult(ctx.spec.name, label, "holds", "identical to the definition")
    size, where, place = _largest_difference(ctx, claimed, different)
    parts = ", ".join(interval_text(p) for p in different)
    unbounded = any(sympy.oo in (abs(p.lower), abs(p.upper)) for p in different)
    reach = f", out to |x| = {max(FAR_POINTS):.3g}" if unbounded else ""
    detail = (
        f"max |{name} - definition| = {size:.3g} {place} (numeric{reach}, at "
        f"{params_text(ctx.float_values())}); differs on {parts}"
    )
    tolerance = variant.definition.tolerance
    counterexample = {
        "x": where,
        "params": ctx.float_values(),
        "difference": size,
    }
    if tolerance is not None:
        status = "holds_approximately" if size <= tolerance else "refuted"
        detail += f"; stated tolerance {tolerance:g}"
        return ClaimResult(
            ctx.spec.name,
            label,
            status,
            detail,
            None if status != "refuted" else counterexample,
        )
    if equal:
        same = ", ".join(interval_text(p) for p in equal)
        return ClaimResult(ctx.spec.name, label, "partial", f"equal on {same}; {detail}")
    return ClaimResult(ctx.spec.name, label, "refuted", detail, counterexample)


def _largest_difference(
    ctx: CheckContext, claimed: Any, pieces: list[Piece]
) -> tuple[float, float, str]:
    """max |variant - definition| on the pieces where they differ, numerically: a grid on each
    piece's window at 30 digits, its far points, and its finite ends approached; the value
    at the grid's best point and at the ends at the point's working digits (30 lose
    x - log(1 + exp(x)) at 100, which is -3.7e-44)."""
    difference = ctx.at_values(claimed - ctx.definition)
    f = sympy.lambdify(X, to_elementary(difference), modules="mpmath")
    symbols = {ctx.activation.symbols[k]: v for k, v in ctx.activation.values.items()}

    def size(x: float) -> float:
        with mpmath.workdps(working_digits(x)):
            return abs(float(f(mpmath.mpf(x))))

    best: tuple[float, float, str] = (0.0, 0.0, "")
    deadline = time.monotonic() + FAR_SECONDS
    for piece in pieces:
        lower, upper = (
            None
            if end in (-sympy.oo, sympy.oo)
            else float(sympy.N(sympy.sympify(end).subs(symbols)))
            for end in (piece.lower, piece.upper)
        )
        low, high = _window(lower, upper)
        with mpmath.workdps(30):
            grid = [low + (high - low) * (t / GRID_STEPS) for t in range(1, GRID_STEPS)]
            sizes = [abs(float(f(mpmath.mpf(x)))) for x in grid]
        peak = grid[sizes.index(max(sizes))]  # the first of tied points
        best = _larger(best, (size(peak), peak, f"at x = {peak:.6g}"))
        for side in _far_points(lower, upper):
            for x in side:
                if time.monotonic() > deadline:
                    break
                try:
                    with alarm(POINT_SECONDS), mpmath.workdps(working_digits(x)):
                        first = f(mpmath.mpf(x))
                    if abs(float(first)) > best[0]:  # confirmed at twice the digits
                        with alarm(POINT_SECONDS), mpmath.workdps(2 * working_digits(x)):
                            again = f(mpmath.mpf(x))
                        if not settled(first, again):
                            continue  # exp(exp(x)) at 3000 has more digits than these
                        first = again
                    value = abs(float(first))
                except Timeout:
                    break  # farther out takes longer still
                best = _larger(best, (value, x, f"at x = {x:.6g}"))
        for edge, inward in ((lower, 1), (upper, -1)):
            if edge is not None:
                value = size(edge + inward * 1e-12 * max(1.0, abs(edge)))
                side = "above" if inward == 1 else "below"
                best = _larger(best, (value, edge, f"as x -> {edge:.6g} from {side}"))
    return best


def _larger(
    best: tuple[float, float, str], found: tuple[float, float, str]
) -> tuple[float, float, str]:
    """The one with the larger difference; the earlier of a tie (the first along x)."""
    return found if found[0] > best[0] else best


GRID_STEPS = 4000
WINDOW = 50.0  # the grid's half-width on a piece that reaches +-oo


def _window(lower: float | None, upper: float | None) -> tuple[float, float]:
    """Where the grid lies on a piece (lower, upper), None for an infinite end: the piece
    itself, or up to WINDOW past 0 and at least 2*WINDOW long toward an infinite end (a
    piece x > 100 was sampled on [100, 50], outside it)."""
    if lower is None and upper is None:
        return -WINDOW, WINDOW
    if lower is None:
        return min(-WINDOW, upper - 2 * WINDOW), upper
    if upper is None:
        return lower, max(WINDOW, lower + 2 * WINDOW)
    return lower, upper


def _far_points(lower: float | None, upper: float | None) -> list[list[float]]:
    """The far points on a piece's infinite ends (None), beyond the grid's window, each side
    from near to far: a variant that parts from the definition only far out
    (x + exp(x - 100)) is not within a tolerance."""
    low, high = _window(lower, upper)
    return [
        far_beyond(low, -1) if lower is None else [],
        far_beyond(high, 1) if upper is None else [],
    ]
