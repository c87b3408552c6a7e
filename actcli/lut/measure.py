"""measured_error: a finished table read back as a consumer would, against mpmath.

Which points are measured is in the package docstring ("measured_error: ..."); kept apart so
that the sampling changes here only. It checks the certificate; it never replaces it.
"""

from __future__ import annotations

import numpy as np

from actcli.lut.bounds import Order
from actcli.lut.result import TableResult

MEASURE_SEGMENTS = 20000
MEASURE_EXTRA = 2048


def measure(result: TableResult, infos: list[Order]) -> tuple[list[float], int]:
    """max |reconstruction - g| per order against mpmath (points: see the package doc)."""
    x = result.x
    segments = x.size - 1
    if segments <= MEASURE_SEGMENTS:
        chosen = np.arange(segments)
    else:
        chosen = np.unique(np.linspace(0, segments - 1, MEASURE_SEGMENTS).round().astype(int))
    fractions = [0.5]
    if result.interp == "none":
        fractions.append(1 - 2.0**-10)
    extra = min(6, MEASURE_EXTRA // chosen.size)
    fractions += [0.25, 0.75, 0.125, 0.875, 0.375, 0.625][:extra]
    a, width = x[chosen], x[chosen + 1] - x[chosen]
    points = [a + f * width for f in fractions]
    segment = [chosen for _ in fractions]
    breaks = {e.x for info in infos for e in info.events}
    breaks |= {p for info in infos for piece in info.pieces for p in piece[:2]}
    for c in sorted(breaks):
        if x[0] <= c <= x[-1]:
            i = int(np.clip(np.searchsorted(x, c) - 1, 0, segments - 1))
            offset = (x[i + 1] - x[i]) * 2.0**-20
            near = np.clip(np.array([c - offset, c + offset]), x[0], x[-1])
            points.append(near)
            segment.append(np.clip(np.searchsorted(x, near) - 1, 0, segments - 1))
    t = np.concatenate(points)
    owner = np.concatenate(segment)
    midpoint = np.zeros(t.size, dtype=bool)
    midpoint[: chosen.size] = True
    measured = []
    for index, info in enumerate(infos):
        truth = np.array([float(info.exact(float(v))) for v in t])
        errors = np.abs(result.evaluate(t, info.order) - truth)
        if result.interp == "nearest":
            values = result.dequantised(index)
            both = np.maximum(np.abs(values[owner] - truth), np.abs(values[owner + 1] - truth))
            errors = np.where(midpoint, np.maximum(errors, both), errors)
        measured.append(float(np.max(errors)))
    return measured, int(t.size)
