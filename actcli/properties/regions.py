"""Where f' is 0 or 1: f(0) = 0 and f'(0) = 1 (identity near the origin), f' -> 0 at -oo / +oo
(saturation), the intervals where f' is identically 0 and their Gaussian mass (dead units).
Everything at a cut point comes from its value and one-sided limits (`actcli.domain`).
"""

from __future__ import annotations

import math
from typing import Any

import mpmath
import sympy

from actcli.expr import X
from actcli.properties.analysis import Analysis
from actcli.properties.extrema import numeric_end
from actcli.properties.values import interval_text, is_zero, to_float

Region = tuple[Any, Any, bool, bool]  # (lower, upper, lower_closed, upper_closed), SymPy ends


def origin(analysis: Analysis) -> tuple[bool, bool]:
    """(f(0) = 0, identity near 0: f'(0) exists and is 1)."""
    for index, cut in enumerate(analysis.cuts):
        if is_zero(cut.x):
            if cut.value is None or not is_zero(cut.value):
                return False, False
            sides = [analysis.structure.cut_sides(index, k) for k in (0, 1)]
            continuous = all(s.finite and is_zero(s.value) for s in sides[0])
            slope_one = all(s.finite and is_zero(s.value - 1) for s in sides[1])
            return True, continuous and slope_one
    for part in analysis.parts:
        if part.contains(0.0):
            if not part.defined:
                return False, False
            value = part.branch.subs(X, 0)
            if not is_zero(value):
                return False, False
            return True, is_zero(part.derivative(1).subs(X, 0) - 1)
    return False, False


def saturation(analysis: Analysis) -> tuple[bool, bool, str]:
    """(saturates left, saturates right, method): f' tends to 0 at -oo / +oo."""
    ends = []
    for index, end in ((0, "lower"), (len(analysis.parts) - 1, "upper")):
        if not analysis.parts[index].defined:
            ends.append((False, "symbolic"))
            continue
        limit = analysis.structure.limit(index, 1, end)
        if limit.kind == "value":
            ends.append((is_zero(limit.value), "symbolic"))
        elif limit.kind in ("oo", "-oo"):
            ends.append((False, "symbolic"))
        else:  # no symbolic limit: the values out to 1e300 decide, numerically
            estimates = numeric_end(analysis, index, 1, end)
            ends.append((len(estimates) == 1 and abs(estimates[0]) <= 1e-12, "numeric"))
    method = "symbolic" if all(m == "symbolic" for _, m in ends) else "numeric"
    return ends[0][0], ends[1][0], method


def zero_gradient(analysis: Analysis) -> list[Region]:
    """Maximal intervals where f' = 0: (lower, upper, lower_closed, upper_closed)."""
    regions: list[list[Any]] = []
    previous_flat = False
    for index, part in enumerate(analysis.parts):
        flat = part.defined and analysis.is_flat(index, 0)
        if flat:
            if previous_flat and _smooth_zero_at(analysis, index - 1):
                regions[-1][1] = part.upper
            else:
                closed = index > 0 and _smooth_zero_at(analysis, index - 1)
                regions.append([part.lower, part.upper, closed, False])
        elif previous_flat and _smooth_zero_at(analysis, index - 1):
            regions[-1][3] = True
        previous_flat = flat
    return [tuple(r) for r in regions]


def regions_method(regions: list[Region]) -> str:
    """ "numeric" where an end of a region is a cut found numerically (a SymPy Float), else
    "symbolic": the regions, and the dead-unit probability from them, are only as exact as
    their ends."""
    ends = [end for region in regions for end in region[:2]]
    return "numeric" if any(isinstance(end, sympy.Float) for end in ends) else "symbolic"


def _smooth_zero_at(analysis: Analysis, index: int) -> bool:
    """f is continuous at cut `index` and f' exists there and is 0."""
    cut = analysis.cuts[index]
    values = analysis.structure.cut_sides(index, 0)
    slopes = analysis.structure.cut_sides(index, 1)
    if cut.value is None or not all(v.finite for v in (*values, *slopes)):
        return False
    continuous = all(is_zero(v.value - cut.value) for v in values)
    return continuous and all(is_zero(s.value) for s in slopes)


def region_text(region: Region) -> str:
    """A zero-gradient region as an interval with exact ends."""
    lower, upper, lower_closed, upper_closed = region
    return interval_text(sympy.sstr(lower), sympy.sstr(upper), lower_closed, upper_closed)


def gaussian_mass(regions: list[Region]) -> float:
    """P(z in the regions) for z ~ N(0, 1): the dead-unit probability of zero-gradient regions."""
    total = mpmath.mpf(0)
    with mpmath.workdps(30):
        for lower, upper, _, _ in regions:
            a, b = to_float(lower), to_float(upper)
            total += mpmath.ncdf(b) - mpmath.ncdf(a)
    return float(total) if math.isfinite(float(total)) else math.nan
