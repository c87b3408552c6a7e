"""`actcli properties`: range, bounds, monotonicity, saturation and Gaussian moments of a scalar
activation, each labelled with how it was found ("symbolic" or "numeric").

How each entry is found:

- The definition is rewritten as a Piecewise (max/min/abs/... included) and cut at its
  breakpoints into pieces; on each piece one analytic branch is active. Nothing here takes a
  limit of a whole Piecewise (SymPy ignores the direction there): values at breakpoints are the
  values of the branch active on each side, and limits at -oo/+oo are those of the branch active
  on that far side.
- Range: per piece, the candidates are the limits at its ends (approached, not attained), the
  values at the real roots of f' = 0 that `sympy.solve` finds inside the piece (attained, exact),
  and a numeric global search (a dense grid on [-60, 60] plus geometric tails out to 1e6, sign
  changes of f' refined by Brent's method). The value f(b) at each breakpoint is added as a
  point. The image is the union of these; when it is not one interval (a function with a jump,
  like hardshrink or binary_step) `Range.interval` is False, the endpoints are those of the hull,
  and `Range.image` spells out the union. The range is "symbolic" when both endpoints are exact
  and every piece's critical points came from `sympy.solve` (and agree with the numeric search).
  Extrema beyond |x| = 1e6, or between grid points 0.01 apart, can be missed by the numeric
  search.
- Monotonicity of f (and of f'): the sign of the next derivative on each piece (exact where
  SymPy decides it, sampled otherwise) and the direction of each jump at a breakpoint. "constant"
  is reported for a constant function (f' of the identity). The witness is None for a strictly
  monotonic function; two x with equal values for a non-strict one (x1 < x2, g(x1) = g(x2)); and
  three x for "none": x1 < x2 < x3 with g(x2) below both g(x1) and g(x3), or above both, which
  shows that g is neither nondecreasing nor nonincreasing.
- Saturation: the limit of the far branch's f' at -oo / +oo is 0. Zero-gradient regions: pieces
  on which f' is identically 0 (merged across a breakpoint where f' exists and is 0).
  dead_probability is their Gaussian mass, P(f'(z) = 0) for z ~ N(0, 1).
- identity_near_origin: f(0) = 0 and f'(0) exists and equals 1 (at a breakpoint, both one-sided
  derivatives and f continuous, via `calculus.point_value`).
- Gaussian moments E[f(z)], E[f(z)^2], E[f'(z)], E[f'(z)^2]: Gauss-Legendre quadrature on
  [-40, 40] split at every breakpoint (the integrand is analytic on each sub-interval, so the rule
  converges geometrically; plain Gauss-Hermite is biased on kinked functions), checked against a
  second rule and refined with adaptive quadrature where the two disagree. Accurate to about
  1e-12; the mass beyond |z| = 40 is below 1e-340.

Every SymPy call (limit, solve, simplify) is bounded by an operation count and, in the main
thread, by a time limit (SIGALRM, nested correctly inside any alarm already set); when a bound is
hit the entry falls back to the numeric method and is labelled so. So an entry's label can depend
on the machine's speed, never its value beyond rounding.

Modules, each importing only those before it (no cycles):
values -> analysis -> extrema | monotonic | regions | moments -> table -> __init__, and
values -> vector -> table. `values` holds candidate values, their comparison and text, and the
pieces; `analysis` the shared state of one activation (pieces, samples, numeric functions,
limits); `extrema` the range and max |f'|; `monotonic` monotonicity and its witnesses; `regions`
the origin, saturation, zero-gradient regions and dead-unit probability; `moments` the Gaussian
moments; `vector` the rows of vector activations; `table` the rows and the table. The bounded
SymPy calls are in `actcli.budget`.
"""

from __future__ import annotations

from actcli.properties.analysis import (
    BUDGET_SECONDS,
    GRID_STEP,
    LIMIT_OPS,
    LIMIT_SECONDS,
    TAIL,
    WINDOW,
)
from actcli.properties.extrema import SOLVE_OPS, SOLVE_SECONDS, Range
from actcli.properties.moments import QUAD_CUT, QUAD_EDGES
from actcli.properties.monotonic import MONOTONIC_KINDS, SIGN_SECONDS
from actcli.properties.table import (
    Properties,
    PropertiesResult,
    Shape,
    properties,
    property_table,
    shape,
)
from actcli.properties.values import EXACT_TEXT_CHARS, FLAT_OPS, SIMPLIFY_SECONDS
from actcli.properties.vector import (
    SCALES,
    Extremes,
    VectorProperties,
    vector_extremes,
    vector_properties,
)

__all__ = [
    "BUDGET_SECONDS",
    "EXACT_TEXT_CHARS",
    "FLAT_OPS",
    "GRID_STEP",
    "LIMIT_OPS",
    "LIMIT_SECONDS",
    "MONOTONIC_KINDS",
    "QUAD_CUT",
    "QUAD_EDGES",
    "SCALES",
    "SIGN_SECONDS",
    "SIMPLIFY_SECONDS",
    "SOLVE_OPS",
    "SOLVE_SECONDS",
    "TAIL",
    "WINDOW",
    "Extremes",
    "Properties",
    "PropertiesResult",
    "Range",
    "Shape",
    "VectorProperties",
    "properties",
    "property_table",
    "shape",
    "vector_extremes",
    "vector_properties",
]
