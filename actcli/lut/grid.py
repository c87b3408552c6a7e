"""One candidate table on N nodes: values, stored values and the certified error budget.

Kept apart from the search for N (search.py) so that how one grid is filled and certified,
and the memory it may take, change here only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from actcli.errors import ResourceLimitError, UsageError
from actcli.lut.bounds import EVALUATION_RELATIVE, Order, segment_bounds
from actcli.lut.numberformat import Format, auto_format, quantise
from actcli.lut.result import ErrorBudget, label
from actcli.resources import available_memory

BYTES_PER_ENTRY = 600  # peak use per table entry and column, measured (interval temporaries)


@dataclass(frozen=True)
class Build:
    """One candidate table (no measurement yet)."""

    x: np.ndarray
    step: float
    values: tuple[np.ndarray, ...]
    stored: tuple[np.ndarray, ...]
    fmt: Format
    budgets: tuple[ErrorBudget, ...]
    used_stable: bool
    unbounded: tuple[int, float, float] | None  # (order, a, b): a segment with no finite bound

    @property
    def certified(self) -> float:
        return max(b.certified_error for b in self.budgets)


def check_memory(points: int, columns: int) -> None:
    """Refuse a table whose certification would not fit in half the free memory."""

    needed, limit = points * columns * BYTES_PER_ENTRY, available_memory() // 2
    if needed > limit:
        raise ResourceLimitError(
            f"table: {points} entries need about {needed / 2**30:.1f} GiB to certify, more than "
            f"half the free memory ({limit / 2**30:.1f} GiB); use fewer --points or a larger E"
        )


def build(
    infos: list[Order], start: float, hi: float, points: int, fmt: Format, interp: str
) -> Build:
    """The table on `points` nodes from `start` to `hi`, quantised, with its certified budget."""
    check_memory(points, len(infos))
    step = (hi - start) / (points - 1)
    x = start + np.arange(points) * step
    if not (step > 0 and np.all(np.diff(x) > 0)):  # [-5e-324, 5e-324]: step 0, one x
        raise UsageError(
            f"table: {points} nodes on [{start:.17g}, {hi:.17g}] are not distinct float64 "
            "numbers; pick fewer points or a wider --range"
        )
    values = []
    for info in infos:
        column = info.function(x)
        bad = np.flatnonzero(~np.isfinite(column))
        if bad.size:
            raise UsageError(
                f"table: {label(info.order)} is not finite at x = {x[bad[0]]:.17g}; "
                "pick a --range where it is"
            )
        values.append(column)
    if fmt.fixed and fmt.fraction_bits is None:
        fmt = auto_format(fmt, values)
    stored, budgets, used_stable = [], [], False
    unbounded = None
    for info, column in zip(infos, values, strict=True):
        quantised, quantisation = quantise(column, fmt, info.exact, x)
        bounds, stable = segment_bounds(info, x, column, interp)
        used_stable = used_stable or stable
        bad = np.flatnonzero(~np.isfinite(bounds))
        if bad.size and unbounded is None:
            unbounded = (info.order, float(x[bad[0]]), float(x[bad[0] + 1]))
        evaluation = EVALUATION_RELATIVE * float(np.max(np.abs(column))) + 1e-300
        stored.append(quantised)
        budgets.append(ErrorBudget(info.order, float(np.max(bounds)), quantisation, evaluation))
    return Build(x, step, tuple(values), tuple(stored), fmt, tuple(budgets), used_stable, unbounded)


def unbounded_message(build: Build, interp: str) -> str | None:
    """Why `build` has no finite certified error, naming the first segment without a bound;
    None when it has one. An infinite "certified" error certifies nothing, so it is refused."""
    if build.unbounded is None:
        return None
    order, a, b = build.unbounded
    bounding = label(order + (2 if interp == "linear" else 1))
    return (
        f"the {interp} interpolation error of {label(order)} has no finite bound on "
        f"[{a:.17g}, {b:.17g}]: {bounding} has no finite interval bound there (unbounded, "
        "or its formula undefined at a point of it, such as 0/0); pick a --range without "
        "that point"
    )
