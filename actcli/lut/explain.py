"""The notes of a finished table: what a reader must know to trust or use it.

Kept apart so that their wording changes here only (fold, chosen Q format, saturation,
breakpoints and what they cost, stable forms, the measurement).
"""

from __future__ import annotations

import numpy as np

from actcli.lut.bounds import SLACK, Order
from actcli.lut.grid import Build
from actcli.lut.numberformat import Format
from actcli.lut.result import TableResult, label


def notes(
    result: TableResult, infos: list[Order], build: Build, requested: Format, count: int
) -> tuple[str, ...]:
    """One line per fact about `result` that its numbers alone do not say."""
    notes = []
    if result.fold:
        notes.append(
            f"folded ({result.fold}): the table covers [0, {result.hi:g}]; inputs below 0 "
            "are reflected; bounds are those on [0, HI]"
        )
    if requested.fixed and requested.fraction_bits is None:
        top = max(float(np.max(np.abs(v))) for v in build.values)
        notes.append(
            f"--dtype {requested.text}: chose {build.fmt.resolved()} for max |value| {top:.6g}"
        )
    if build.fmt.fixed:
        low, high = build.fmt.limits()
        for k, stored in zip(result.orders, build.stored, strict=True):
            if np.any(stored == low) or np.any(stored == high):
                notes.append(
                    f"{label(k)}: values saturate at the format's range "
                    f"[{low / result.scale:g}, {high / result.scale:g}]"
                )
    h = result.step
    for info in infos:
        g = label(info.order)
        for event in info.events:
            if not result.start <= event.x <= result.hi:
                continue
            on_node = bool(np.any(np.abs(result.x - event.x) <= SLACK * max(abs(event.x), 1)))
            where = f"at x = {event.x:.17g}" + (" (a node)" if on_node else "")
            if event.jump:
                notes.append(
                    f"{g} jumps by {event.jump:.3g} {where}: the segments touching "
                    "it carry |D|*max(c-a, b-c)/h (linear) or |D| (nearest, none)"
                )
            if event.kink and result.interp == "linear":
                term = (
                    "no extra error on a node"
                    if on_node
                    else (f"adds |J|(c-a)(b-c)/h <= |J|h/4 = {abs(event.kink) * h / 4:.3g}")
                )
                notes.append(f"{g}' jumps by {event.kink:.3g} {where} (a kink of {g}): {term}")
    if build.used_stable:
        notes.append("where the definition's derivative overflows, its bound uses the stable form")
    notes.append(
        f"measured at {count} points against mpmath (segment midpoints, near every breakpoint)"
    )
    return tuple(notes)
