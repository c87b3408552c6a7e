"""make_table: a request checked, a grid chosen (given or searched), built and measured.

Kept apart as the one place that knows the order of the steps and the options they take;
each step lives in its own module.
"""

from __future__ import annotations

import math
from dataclasses import replace

from actcli.activation import Activation
from actcli.errors import AnalysisError, ResourceLimitError, UsageError
from actcli.lut import explain, grid, reflection
from actcli.lut.bounds import Event, analyse
from actcli.lut.measure import measure
from actcli.lut.numberformat import Format, parse_format
from actcli.lut.result import ErrorBudget, TableResult, label
from actcli.lut.search import search
from actcli.lut.writers import estimated_bytes
from actcli.options import TABLE_MAX_POINTS, TABLE_POINTS_LIMIT, format_bytes

INTERPOLATIONS = ("none", "nearest", "linear")
DEFAULT_POINTS = 256
MAX_ORDER = 2


def make_table(
    activation: Activation,
    *,
    lo: float,
    hi: float,
    points: int | None = None,
    step: float | None = None,
    max_error: float | None = None,
    interp: str = "linear",
    orders: tuple[int, ...] = (0,),
    number_format: str = "float64",
    fold: bool = False,
    max_points: int = TABLE_MAX_POINTS,
    output_format: str | None = None,
    max_output_bytes: int | None = None,
) -> TableResult:
    """A lookup table of f^(k) for k in `orders` on [lo, hi], with its certified error.

    At most one of `points`, `step`, `max_error` (none: 256 points). With `max_output_bytes`,
    a table whose estimated size in `output_format` is larger is refused before it is built.

    Raises:
        ResourceLimitError: the table would be larger than `max_output_bytes`.
        UsageError: bad options, a vector activation, a fold without symmetry, or a
            `max_error` that cannot be reached (the message says why and what to do).
    """
    if activation.kind == "vector":
        raise UsageError(
            f"table: {activation.name} is a vector activation; tables are for scalar ones "
            "(plot a slice with actcli plot)"
        )
    start, orders, fmt = _check_options(
        activation,
        lo,
        hi,
        points,
        step,
        max_error,
        interp,
        orders,
        number_format,
        fold,
        max_points,
    )
    symmetry = reflection.symmetry(activation) if fold else None
    infos = [analyse(activation, k, interp) for k in orders]
    for info in infos:
        for event in info.events:
            _refuse_singularity(info.order, event, start, hi)

    def check_size(count: int) -> None:
        if max_output_bytes is None:
            return
        size = estimated_bytes(count, len(orders), output_format or "csv", fmt.bits // 8)
        if size > max_output_bytes:
            raise ResourceLimitError(
                f"table: {count} entries would take about {format_bytes(size)} as "
                f"{output_format or 'csv'}, above --max-output-size "
                f"{format_bytes(max_output_bytes)}; raise it (--max-output-size "
                f"{format_bytes(size * 2)}) or ask for fewer points"
            )

    if max_error is not None:
        build = search(infos, start, hi, fmt, interp, max_error, max_points, check_size)
    else:
        count = DEFAULT_POINTS if points is None else points
        if step is not None:
            count = _points_for_step(start, hi, step)
        if count > max_points:
            raise UsageError(
                f"--points {count}: more than --max-points {max_points}; lower --points or "
                f"raise --max-points (at most {TABLE_POINTS_LIMIT})"
            )
        check_size(count)
        build = grid.build(infos, start, hi, count, fmt, interp)
        unbounded = grid.unbounded_message(build, interp)
        if unbounded is not None:
            raise UsageError(f"table: {unbounded}")
    result = TableResult(
        activation=activation.name,
        params=activation.params,
        lo=float(lo),
        hi=float(hi),
        step=build.step,
        points=build.x.size,
        interp=interp,
        orders=orders,
        number_format=build.fmt.resolved(),
        storage=build.fmt.storage,
        scale=(1 << build.fmt.fraction_bits) if build.fmt.fixed else None,
        fold=symmetry.description if symmetry else None,
        x=build.x,
        exact=build.values,
        stored=build.stored,
        budgets=build.budgets,
        reflect=tuple(symmetry.for_order(k) for k in orders) if symmetry else (),
        max_error=None if max_error is None else float(max_error),
    )
    measured, count = measure(result, infos)
    budgets = tuple(
        ErrorBudget(b.order, b.interpolation_bound, b.quantisation_error, b.evaluation_error, m)
        for b, m in zip(build.budgets, measured, strict=True)
    )
    for budget in budgets:  # the measurement checks the certificate: a bound it beats is wrong
        if budget.measured_error > budget.certified_error * (1 + CERTIFICATE_SLACK):
            raise AnalysisError(
                f"table: {label(budget.order)}'s certified error {budget.certified_error:.3g} "
                f"is below an error of {budget.measured_error:.3g} measured against mpmath, "
                "so it is no bound; no table written"
            )
    notes = explain.notes(result, infos, build, fmt, count)

    return replace(result, budgets=budgets, notes=notes, sampled=count)


CERTIFICATE_SLACK = 1e-6  # relative: the measurement's own float rounding


def _refuse_singularity(order: int, event: Event, start: float, hi: float) -> None:
    """Refuse a breakpoint where g = f^(order) goes to infinity (a pole) or has no value, on a
    side inside [start, hi]: only the side the table covers counts (sqrt at a range end 0 is
    finite and continuous; that its f'' is unbounded there is the bound's to say)."""
    sides = [("left", event.left)] if start < event.x <= hi else []
    sides += [("right", event.right)] if start <= event.x < hi else []
    for side, value in sides:
        if math.isinf(value):
            raise UsageError(
                f"table: {label(order)} is unbounded at x = {event.x:.17g} (a pole); "
                "pick a --range without it"
            )
        if math.isnan(value):
            raise UsageError(
                f"table: {label(order)} has no real value on the {side} of x = "
                f"{event.x:.17g}; pick a --range where it is defined"
            )


def _check_options(
    activation: Activation,
    lo: float,
    hi: float,
    points: int | None,
    step: float | None,
    max_error: float | None,
    interp: str,
    orders: tuple[int, ...],
    number_format: str,
    fold: bool,
    max_points: int,
) -> tuple[float, tuple[int, ...], Format]:
    if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(hi - lo)):
        raise UsageError(f"--range {lo:g} {hi:g}: both ends and their distance must be finite")
    if not lo < hi:
        raise UsageError(f"--range {lo:g} {hi:g}: LO must be below HI")
    given = [
        name
        for name, v in (("--points", points), ("--step", step), ("--max-error", max_error))
        if v is not None
    ]
    if len(given) > 1:
        raise UsageError(
            f"{' and '.join(given)}: give at most one of --points, --step, --max-error"
        )
    if points is not None and points < 2:
        raise UsageError(f"--points {points}: need at least 2")
    if step is not None and not (math.isfinite(step) and step > 0):
        raise UsageError(f"--step {step:g}: must be a positive number")
    if max_error is not None and not (math.isfinite(max_error) and max_error > 0):
        raise UsageError(f"--max-error {max_error:g}: must be a positive number")
    if not 2 <= max_points <= TABLE_POINTS_LIMIT:
        raise UsageError(f"--max-points {max_points}: give 2 to {TABLE_POINTS_LIMIT}")
    if interp not in INTERPOLATIONS:
        raise UsageError(f"--interp {interp}: must be one of {', '.join(INTERPOLATIONS)}")
    if not orders:
        raise UsageError("--order: give at least one order")
    for k in orders:
        if not 0 <= k <= MAX_ORDER:
            raise UsageError(f"--order {k}: tables hold orders 0 to {MAX_ORDER}")
    orders = tuple(dict.fromkeys(orders))
    fmt = parse_format(number_format)
    start = float(lo)
    if fold:
        if lo != -hi:
            raise UsageError(
                f"--fold: {activation.name}'s range must be symmetric (-HI, HI), got "
                f"[{lo:g}, {hi:g}]"
            )
        start = 0.0
    return start, orders, fmt


def _points_for_step(start: float, hi: float, step: float) -> int:
    width = hi - start
    if width / step > TABLE_POINTS_LIMIT:  # no rounding of an astronomic count
        raise UsageError(
            f"--step {step:g}: {width / step:.3g} intervals on a range {width:g} wide, more "
            f"than --max-points allows ({TABLE_POINTS_LIMIT})"
        )
    intervals = max(1, round(width / step))
    if abs(intervals * step - width) > 1e-9 * width:
        raise UsageError(
            f"--step {step:g}: does not divide the range width {width:g}; nearest valid steps "
            f"{width / (intervals + 1):.10g} or {width / intervals:.10g}, or a --range "
            f"spanning a multiple of {step:g}"
        )
    return intervals + 1
