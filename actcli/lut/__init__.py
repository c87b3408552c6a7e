"""Lookup tables of an activation (or its derivatives) with a certified maximum error.

A table is N values of g = f^(k) on the uniform grid x_i = lo + i*h, h = (hi - lo)/(N - 1),
i = 0..N-1, stored in a number format, and read back by a consumer with one interpolation rule:

- ``linear``: between neighbours, g(x) ~ v_i + t*(v_{i+1} - v_i), t = (x - x_i)/h.
- ``nearest``: the value of the nearest node, i = floor((x - lo)/h + 1/2).
- ``none``: truncation, i = floor((x - lo)/h), a zero-order hold: what hardware does when the
  table address is the input's high bits.

The consumer clamps x to [lo, hi] (the generated C does); the error bound holds on [lo, hi] only.
With ``fold`` the table covers [0, hi] and the consumer reflects negative inputs through the
proven symmetry f(-x) = s*f(x) + C of the activation (odd, even, or point-symmetric like
sigmoid's f(-x) = 1 - f(x)); differentiating k times, f^(k)(-x) = (-1)^k*s*f^(k)(x) (+ C for
k = 0 only). Bounds are those on [0, hi]; the reflection adds one rounding of the offset.

Certified error, per order k, per segment [a, b] (width w = b - a), the maximum over segments:

- linear, g in W^{2,inf}[a, b] (C1 with bounded, possibly jumping, g''): by the Peano kernel
  theorem g - L = integral of K(x, t) g''(t) dt with |K| integrating to (x-a)(b-x)/2 <= w^2/8,
  so |g - L| <= w^2/8 * sup|g''|.
- a kink inside, g' jumping by J at c in (a, b): write g = s + J*(x - c)_+ with s in W^{2,inf}
  (s'' = g'' piecewise). L is linear in the data and interpolates (x - c)_+ by (b-c)(x-a)/w,
  which errs most at x = c, by (c-a)(b-c)/w <= w/4; so add |J|(c-a)(b-c)/w.
- a jump of g by D at c inside: g = s + D*H(x - c); |H(x - c) - (x-a)/w| < max(c-a, b-c)/w,
  so add |D|*max(c-a, b-c)/w >= |D|/2: no N fixes that (split the range at c instead). At a
  node c the node holds one side's value; the segment on the other side errs by up to |D|.
  Several breakpoints in one segment add their terms (the operator is linear).
- nearest: |g(x) - g(node)| <= sup|g'| * w/2, plus |D| for each jump in [a, b].
- none: |g(x) - g(a)| <= sup|g'| * w, plus |D| for each jump in [a, b].

sup|g''| (sup|g'|) comes from `actcli.interval.bound` on the exact symbolic derivative, enclosed
with Arb ball arithmetic (python-flint): rigorous, with no assumption about the accuracy of the
platform's libm. Each segment is cut at the breakpoints of the definition (each side bounded
with its own branch, the cut widened by a few ulp), and into 4 sub-pieces against
over-estimation. Where a branch's enclosure is not finite (a pole, a value that may be
undefined) the spec's stable form (proven equal to the definition by `actcli check`) is tried;
still not finite: the table is refused (an infinite bound certifies nothing), naming the
first segment without one: sqrt(|x|) around 0 (f'' unbounded), and sin(x)/x around 0, whose
f'' is bounded but whose formula is 0/0 there, so no interval enclosure of it is finite.
Jumps and kinks come from `Activation.kinks` (one-sided limits, 30 digits), with a few ulp of
slack.

The certified error of an order is interpolation_bound + quantisation_error + evaluation_error:

- quantisation_error: max |stored/scale - computed value| over the nodes, exact (not estimated).
- evaluation_error: 1e-13 * max|g(x_i)| + 1e-300: the float64 evaluation of the values is held
  to 1e-13 relative against 50-digit mpmath for orders 0..2 by tests/test_numeric_accuracy.py
  (typically a few ulp); the same margin covers the consumer's own float64 arithmetic (a few ulp
  of max|g|) and the float rounding of the limits above.

Quantisation rounds to nearest with ties away from zero (fixed point; C's round()) or ties to
even (IEEE float16/float32), and saturates at the container's range (float16 at +-65504). The
stored values are the correctly rounded values of the exact g(x_i): a float64 value within 1e-12
relative (+1e-9 units) of a rounding tie is recomputed with mpmath (actcli.numeric's adaptive
reference) and rounded from that.

measured_error: max |reconstruction - g| with g from mpmath (the exact derivative, the branch
active at each point) at the midpoint of every segment (of 20000 evenly chosen ones beyond
that), at 1/4 and 3/4 (and more) when the table is small, just before the right node for
``none``, and at either side of every breakpoint. For ``nearest`` the midpoint is compared with
both neighbours (the consumer uses each on one side of it).

--max-error E: the smallest N whose certified error is <= E for every order, found by
estimating N from a sampled sup|g''| (N ~ (hi-lo)*sqrt(M/(8E)) + 1), then doubling until the
certified bound passes and bisecting between the last failure and the first pass. Certified
bounds are not exactly monotone in N (breakpoints move relative to nodes), so "smallest" means
the smallest passing N this search met; N - 1 failed. Then up to 20 N at or above the smooth
estimate that put every breakpoint on a node are tried (a kink on a node costs nothing): the
first that passes wins, since it is smaller.

Number formats: float16/32/64; "Qm.n" signed fixed point (1 sign, m integer, n fraction bits) in
the smallest int8/16/32 holding 1+m+n bits, or "Qm.n:intK" in an explicit container; "intK" picks
the smallest m >= 0 whose range holds every value of every order (n = K-1-m), noted in `notes`.

The package, one reason to change per module. Modules import only modules on lower lines (those
on one line import none of each other), so there are no cycles:

- ``__init__``: this derivation, and the public names (re-exported, as ``actcli.lut.X``).
- ``table``: `make_table` and its option checks: the order of the steps below.
- ``search`` (the smallest N for --max-error) | ``measure`` (measured_error against mpmath) |
  ``explain`` (the table's notes) | ``writers`` (csv, tsv, json, npy, C header, hex).
- ``grid``: one candidate table on N nodes, its stored values and error budget; memory check.
- ``bounds``: per order, the pieces, jumps and kinks of the activation, and the certified
  interpolation error of every segment.
- ``numberformat`` (formats, quantisation, exact rounding) | ``result`` (`ErrorBudget`,
  `TableResult`, reconstruction) | ``reflection`` (the proven symmetry behind ``fold``).
"""

from __future__ import annotations

from actcli.lut.bounds import EVALUATION_RELATIVE, MEASURE_ABSOLUTE, SUBDIVISIONS
from actcli.lut.grid import BYTES_PER_ENTRY
from actcli.lut.measure import MEASURE_EXTRA, MEASURE_SEGMENTS
from actcli.lut.numberformat import CONTAINERS, FLOAT_FORMATS
from actcli.lut.result import ErrorBudget, TableResult, column_name
from actcli.lut.search import ALIGNED_SCAN
from actcli.lut.table import DEFAULT_POINTS, INTERPOLATIONS, MAX_ORDER, make_table
from actcli.lut.writers import c_header, c_identifier, table_bytes

__all__ = [
    "ALIGNED_SCAN",
    "BYTES_PER_ENTRY",
    "CONTAINERS",
    "DEFAULT_POINTS",
    "EVALUATION_RELATIVE",
    "FLOAT_FORMATS",
    "INTERPOLATIONS",
    "MAX_ORDER",
    "MEASURE_ABSOLUTE",
    "MEASURE_EXTRA",
    "MEASURE_SEGMENTS",
    "SUBDIVISIONS",
    "ErrorBudget",
    "TableResult",
    "c_header",
    "c_identifier",
    "column_name",
    "make_table",
    "table_bytes",
]
