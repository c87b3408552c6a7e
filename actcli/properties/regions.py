"""Where f' is 0 or 1: f(0) = 0 and f'(0) = 1 (identity near the origin), f' -> 0 at -oo / +oo
(saturation), the intervals where f' is identically 0 and their Gaussian mass (dead units).
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy

from actcli.calculus import point_value
from actcli.expr import X
from actcli.properties.analysis import Analysis
from actcli.properties.values import Value, interval_text, is_zero, to_float

Region = tuple[Any, Any, bool, bool]  # (lower, upper, lower_closed, upper_closed), SymPy ends


def origin(analysis: Analysis) -> tuple[bool, bool]:
    """(f(0) = 0, identity near 0): f'(0) exists and is 1 (at a breakpoint, both one-sided
    derivatives and f continuous, via `calculus.point_value`)."""
    value_at_zero = analysis.definition.subs(X, 0)
    zero = is_zero(value_at_zero)
    if not zero:
        return False, False
    for index, point in enumerate(analysis.breakpoints):
        if is_zero(point):
            left, right = analysis.pieces[index].branch, analysis.pieces[index + 1].branch
            pv = point_value(point, left, right, 1, analysis.activation)
            return True, pv.exists is True and is_zero(pv.left - 1)
    piece = next(p for p in analysis.pieces if p.contains(0.0))
    slope = piece.derivative(1).subs(X, 0)
    return True, is_zero(slope - 1)


def saturation(analysis: Analysis) -> tuple[bool, bool, bool]:
    """(saturates left, saturates right, symbolic): the far branch's f' tends to 0."""
    left = analysis.far_limit(analysis.pieces[0], 1, -1)
    right = analysis.far_limit(analysis.pieces[-1], 1, 1)

    def vanishes(value: Value) -> bool:
        if value.exact is not None:
            return is_zero(value.exact)
        return abs(value.value) <= 1e-12

    symbolic = left.exact is not None and right.exact is not None
    return vanishes(left), vanishes(right), symbolic


def zero_gradient(analysis: Analysis) -> list[Region]:
    """Maximal intervals where f' = 0: (lower, upper, lower_closed, upper_closed)."""
    regions: list[list[Any]] = []
    previous_flat = False
    for index, piece in enumerate(analysis.pieces):
        flat = piece.flat(0)  # f' is identically 0 here
        if flat:
            joins = previous_flat and _smooth_zero_at(analysis, index - 1)
            if joins:
                regions[-1][1] = piece.upper
            else:
                closed = index > 0 and _smooth_zero_at(analysis, index - 1)
                regions.append([piece.lower, piece.upper, closed, False])
        elif previous_flat and _smooth_zero_at(analysis, index - 1):
            regions[-1][3] = True
        previous_flat = flat
    return [tuple(r) for r in regions]


def _smooth_zero_at(analysis: Analysis, index: int) -> bool:
    """f' exists and is 0 at breakpoint `index` (f continuous, both one-sided f' = 0)."""

    left, right = analysis.pieces[index], analysis.pieces[index + 1]
    point = analysis.breakpoints[index]
    values = [
        left.elementary.subs(X, point),
        analysis.point_values[index],
        right.elementary.subs(X, point),
    ]
    slopes = [left.derivative(1).subs(X, point), right.derivative(1).subs(X, point)]
    continuous = is_zero(values[0] - values[1]) and is_zero(values[2] - values[1])
    return continuous and all(is_zero(s) for s in slopes)


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
    return float(total)
