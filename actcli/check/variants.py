"""Implementation variants: where a variant equals the definition (proven per piece), and how
far apart the two are elsewhere."""

from __future__ import annotations

from typing import Any

import mpmath
import sympy

from actcli.budget import Timeout, alarm
from actcli.check.context import (
    FAR_POINTS,
    POINT_SECONDS,
    CheckContext,
    Piece,
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
    difference = ctx.at_values(claimed - ctx.definition)
    f = sympy.lambdify(X, to_elementary(difference), modules="mpmath")
    symbols = {ctx.activation.symbols[k]: v for k, v in ctx.activation.values.items()}
    best: tuple[float, float, str] = (0.0, 0.0, "")
    with mpmath.workdps(30):
        for piece in pieces:
            low = (
                -50.0
                if piece.lower == -sympy.oo
                else float(sympy.N(sympy.sympify(piece.lower).subs(symbols)))
            )
            high = (
                50.0
                if piece.upper == sympy.oo
                else float(sympy.N(sympy.sympify(piece.upper).subs(symbols)))
            )
            grid = [low + (high - low) * (t / 4000) for t in range(4001)]
            inner = grid[1:-1] if len(grid) > 2 else grid
            for x in inner:
                value = abs(float(f(mpmath.mpf(x))))
                if value > best[0]:
                    best = (value, x, f"at x = {x:.6g}")
            for side in _far_points(piece, low, high):
                for x in side:
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
                    best = max(best, (value, x, f"at x = {x:.6g}"))
            for edge, inward in ((low, 1), (high, -1)):
                if (
                    piece.lower == -sympy.oo
                    and inward == 1
                    or piece.upper == sympy.oo
                    and inward == -1
                ):
                    continue
                near = edge + inward * 1e-12 * max(1.0, abs(edge))
                value = abs(float(f(mpmath.mpf(near))))
                if value > best[0]:
                    side = "above" if inward == 1 else "below"
                    best = (value, edge, f"as x -> {edge:.6g} from {side}")
    return best


def _far_points(piece: Piece, low: float, high: float) -> list[list[float]]:
    """+-FAR_POINTS on a piece's infinite ends (below, above; each side from near to far),
    beyond the grid's +-50: a variant that parts from the definition only far out
    (x + exp(x - 100)) is not within a tolerance."""
    below = [-x for x in FAR_POINTS if -x < high] if piece.lower == -sympy.oo else []
    return [below, [x for x in FAR_POINTS if x > low] if piece.upper == sympy.oo else []]
