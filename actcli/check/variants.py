"""Implementation variants: where a variant equals the definition (proven per piece), and how
far apart the two are elsewhere."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy

from actcli.budget import Timeout, alarm, clock
from actcli.check.context import (
    DIGITS,
    FAR_POINTS,
    FAR_SECONDS,
    POINT_SECONDS,
    CheckContext,
    Piece,
    as_float,
    ball_values,
    cut_texts,
    cuts_may_cross,
    far_beyond,
    float64_form,
    interval_text,
    parameter_condition,
    params_text,
    scan_candidates,
    settled,
    values_at_cut,
    working_digits,
)
from actcli.check.result import ClaimResult
from actcli.expr import X
from actcli.functions import to_elementary
from actcli.interval import reference_ball
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
        if is_zero(claimed_branch - branch):
            equal.append(piece)
        else:
            different.append((piece, claimed_branch - branch))
    label = f"variants.{name}"
    apart = [
        (piece.lower, found)
        for piece in pieces[1:]
        if (found := values_at_cut(ctx, piece.lower, claimed, ctx.definition)) is not None
    ]
    if not different and apart:  # x**2 but 10 at x = 3: "identical" (samples avoid cuts)
        point, (at, exact) = apart[0]
        shown = ", ".join(sympy.sstr(p) for p, _ in apart)
        return ClaimResult(
            ctx.spec.name,
            label,
            "partial",
            f"equal to the definition but at x = {shown} ({name} {sympy.sstr(at)}, "
            f"definition {sympy.sstr(exact)} at x = {sympy.sstr(point)})",
            {
                "x": float(sympy.N(ctx.at_values(point))),
                "params": ctx.float_values(),
                "claimed": as_float(at),
                "true": as_float(exact),
            },
        )
    if not different:
        # its pieces and branches are the defaults': a proof for every value needs them fixed
        moved = cuts_may_cross(ctx, pieces) or any(
            cut_texts(ctx.pieces(claimed, v)) != cut_texts(pieces) for v in ctx.parameter_sets[1:]
        )
        decided = parameter_condition(ctx, claimed, ctx.definition)
        if moved or decided:
            why = (
                f"a condition on the parameters alone ({decided})"
                if decided
                else ("the breakpoints move with the free parameters")
            )
            return ClaimResult(
                ctx.spec.name,
                label,
                "unproven",
                f"identical to the definition at the default parameters; {why}, so that is "
                "no proof for every value",
            )
        return ClaimResult(ctx.spec.name, label, "holds", "identical to the definition")
    size, where, place = _largest_difference(ctx, claimed, different)
    parts = ", ".join(interval_text(p) for p, _ in different)
    unbounded = any(sympy.oo in (abs(p.lower), abs(p.upper)) for p, _ in different)
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
    ctx: CheckContext, claimed: Any, pieces: list[tuple[Piece, Any]]
) -> tuple[float, float, str]:
    """max |variant - definition| on the pieces where they differ (each with the variant's
    branch minus the definition's there), numerically: a grid on each piece's window
    (`_grid_peak`), its far points, and its finite ends approached, at each point's working
    digits (30 lose x - log(1 + exp(x)) at 100, which is -3.7e-44). A far point that would
    be the largest counts once re-verified: by Arb balls of the branches' difference
    (rigorous), or where it takes none at twice the digits (`_twice`)."""
    difference = ctx.at_values(claimed - ctx.definition)
    f = sympy.lambdify(X, to_elementary(difference), modules="mpmath")
    rough = _float_sizes(difference)
    symbols = {ctx.activation.symbols[k]: v for k, v in ctx.activation.values.items()}

    def size(x: float) -> float:
        with mpmath.workdps(working_digits(x)):
            return abs(float(f(mpmath.mpf(x))))

    best: tuple[float, float, str] = (0.0, 0.0, "")
    deadline = clock() + FAR_SECONDS
    for piece, branches in pieces:
        lower, upper = (
            None
            if end in (-sympy.oo, sympy.oo)
            else float(sympy.N(sympy.sympify(end).subs(symbols)))
            for end in (piece.lower, piece.upper)
        )
        low, high = _window(lower, upper)
        grid = [low + (high - low) * (t / GRID_STEPS) for t in range(1, GRID_STEPS)]
        exact = _exact_sizes(ctx.at_values(branches), size)
        peak = _grid_peak(exact, rough, grid)
        peak, value = _refined_peak(size, peak, (high - low) / GRID_STEPS, lower, upper)
        best = _larger(best, (value, peak, f"at x = {peak:.6g}"))
        if rough is not None:  # beyond the grid's window, and between its points
            ends = (-math.inf if lower is None else lower, math.inf if upper is None else upper)
            for x in scan_candidates(rough, *ends, threshold=best[0]):
                best = _larger(best, (exact(x), x, f"at x = {x:.6g}"))
        ball = None  # the branches' difference as Arb balls, made at a first far witness
        for side in _far_points(lower, upper):
            for x in side:
                if clock() >= deadline:
                    break
                try:
                    with alarm(POINT_SECONDS), mpmath.workdps(working_digits(x)):
                        first = f(mpmath.mpf(x))
                    if abs(float(first)) > best[0]:
                        ball = ball or ball_values([ctx.at_values(branches)]) or _twice(f)
                        first = ball(x)
                        if first is None:
                            continue  # exp(exp(x)) at 3000 has more digits than these
                        (first,) = first
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


def _exact_sizes(branches: Any, size: Callable[[float], float]) -> Callable[[float], float]:
    """x -> |the branches' difference| from an Arb ball (rigorous, ~60 us a point for
    x - log(1 + exp(x))), or `size` (mpmath at the working digits) where no ball is tight:
    a fixed precision loses cancellations whole (cosh(x)**2 - sinh(x)**2 is 0 at x = 49.9
    at 30 digits)."""
    ball = reference_ball(branches, DIGITS)

    def exact(x: float) -> float:
        found = None if ball is None else ball(x)
        return size(x) if found is None else abs(float(found))

    return exact


REFINE_STEPS = 40  # golden-section steps: the grid spacing shrunk 0.618**40 ~ 4e-9 times


def _refined_peak(
    size: Callable[[float], float],
    peak: float,
    spacing: float,
    lower: float | None,
    upper: float | None,
) -> tuple[float, float]:
    """(x, size(x)) at the largest |difference| near a grid point, by golden-section search
    within one spacing of it, and 1e-9 (relative) inside the piece's finite ends (lower,
    upper; None where infinite), which are approached apart; the grid point itself unless a
    point there is strictly larger. The grid alone read GELU's tanh variant as 4.732346e-4 at
    -2.7, below a tolerance of 4.73235e-4 that the true maximum, 4.7323552e-4 at
    -2.698941, exceeds."""
    best = (peak, size(peak))
    a, b = peak - spacing, peak + spacing
    if lower is not None:
        a = max(a, lower + 1e-9 * max(1.0, abs(lower)))
    if upper is not None:
        b = min(b, upper - 1e-9 * max(1.0, abs(upper)))
    ratio = (math.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    size_c, size_d = size(c), size(d)
    for _ in range(REFINE_STEPS):
        if size_c >= size_d:
            b, d, size_d = d, c, size_c
            c = b - ratio * (b - a)
            size_c = size(c)
        else:
            a, c, size_c = c, d, size_d
            d = a + ratio * (b - a)
            size_d = size(d)
    for x, value in ((c, size_c), (d, size_d)):
        if value > best[1]:
            best = (x, value)
    return best


def _twice(f: Callable[[Any], Any]) -> Callable[[float], tuple[Any] | None]:
    """x -> (f(x),) where it comes out the same at working and at twice the digits, else
    None: the re-verification of a far point where the difference takes no Arb balls."""

    def again(x: float) -> tuple[Any] | None:
        values = []
        for digits in (working_digits(x), 2 * working_digits(x)):
            with alarm(POINT_SECONDS), mpmath.workdps(digits):
                values.append(f(mpmath.mpf(x)))
        return (values[1],) if settled(*values) else None

    return again


RANK_MARGIN = 1e-3  # grid points within this of float64's largest value are candidates
FLOAT_FLOOR = 1e-6  # below it float64's rounding may outweigh the difference itself
AGREEMENT = 1e-6  # float64 and the working digits at every candidate, relatively


def _float_sizes(difference: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """|difference| in float64 (`float64_form`), or None where it does not compile."""
    function = float64_form(difference)
    if function is None:
        return None

    def sizes(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.abs(np.broadcast_to(function(x), x.shape))

    return sizes


def _grid_peak(
    exact: Callable[[float], float],
    rough: Callable[[np.ndarray], np.ndarray] | None,
    grid: list[float],
) -> float:
    """The grid point where `exact` (|difference| in mpmath) is largest, the first of ties.

    Float64 (`rough`) ranks the grid and mpmath decides among the points within RANK_MARGIN
    of its largest value, where float64 can be trusted there: that value is finite and at
    least FLOAT_FLOOR, and float64 agrees with mpmath at every candidate; else every point
    is evaluated in mpmath (4000 mpmath evaluations of GELU's erf took 2 of `check gelu`'s
    4 seconds)."""
    points = np.array(grid)
    try:
        values = rough(points) if rough is not None else None
    except (ArithmeticError, LookupError, TypeError, ValueError):
        values = None
    if values is not None and np.isfinite(values).all() and values.max() >= FLOAT_FLOOR:
        candidates = np.flatnonzero(values >= values.max() * (1 - RANK_MARGIN))
        if candidates.size <= len(grid) // 10:
            sizes = [exact(grid[i]) for i in candidates]
            errors = [abs(s - values[i]) for s, i in zip(sizes, candidates, strict=True)]
            if all(e <= AGREEMENT * s for e, s in zip(errors, sizes, strict=True)):
                return grid[candidates[sizes.index(max(sizes))]]
    sizes = [exact(x) for x in grid]
    return grid[sizes.index(max(sizes))]


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
