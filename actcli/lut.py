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

sup|g''| (sup|g'|) comes from `actcli.interval.bound` on the exact symbolic derivative: each
segment is cut at the breakpoints of the definition (each side bounded with its own branch,
the cut widened by a few ulp), and into 4 sub-pieces against interval over-estimation. Where a
branch's enclosure is not finite (exp(1000) overflows) the spec's stable form (proven equal to
the definition by `actcli check`) is tried; still not finite: the bound is infinite, and a
--max-error request is refused. Jumps and kinks come from `Activation.kinks` (one-sided limits,
30 digits), with a few ulp of slack.

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
"""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import mpmath
import numpy as np
import sympy

from actcli.activation import Activation
from actcli.compiler import compile_scalar, reference_function
from actcli.errors import AnalysisError, ResourceLimitError, UsageError
from actcli.expr import X
from actcli.formats import TABLE_FORMATS
from actcli.functions import to_elementary
from actcli.interval import bound
from actcli.json_values import json_number
from actcli.pieces import active_branch_at, intervals, to_piecewise
from actcli.resources import available_memory
from actcli.version import __version__

INTERPOLATIONS = ("none", "nearest", "linear")
DEFAULT_POINTS = 256
MAX_ORDER = 2
EVALUATION_RELATIVE = 1e-13
MEASURE_SEGMENTS = 20000
MEASURE_EXTRA = 2048
SUBDIVISIONS = 4
FLOAT_FORMATS = ("float16", "float32", "float64")
CONTAINERS = {"int8": 8, "int16": 16, "int32": 32}
_SLACK = 8 * np.finfo(np.float64).eps


def column_name(order: int) -> str:
    """f, df, d2f: the column of order k in csv/tsv/json/npy."""
    return "f" if order == 0 else ("df" if order == 1 else f"d{order}f")


def _label(order: int) -> str:
    return "f" + "'" * order


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorBudget:
    """Where one order's error comes from; certified_error bounds the consumer's error."""

    order: int
    interpolation_bound: float
    quantisation_error: float
    evaluation_error: float
    measured_error: float = math.nan

    @property
    def certified_error(self) -> float:
        return self.interpolation_bound + self.quantisation_error + self.evaluation_error

    def to_json(self) -> dict[str, Any]:

        return {
            "order": self.order,
            "column": column_name(self.order),
            "interpolation_bound": json_number(self.interpolation_bound),
            "quantisation_error": json_number(self.quantisation_error),
            "evaluation_error": json_number(self.evaluation_error),
            "certified_error": json_number(self.certified_error),
            "measured_error": json_number(self.measured_error),
        }


@dataclass(frozen=True, eq=False)
class TableResult:
    """A finished table: grid, exact and stored values per order, and the error budget.

    `lo`/`hi` are the requested range; the nodes `x` start at `start` (0 when folded).
    `stored[j]` holds order `orders[j]` as stored (ints for fixed point, `storage` dtype);
    `reflect[j]` = (s, C): the consumer returns s*v + C for x < 0 when folded.
    """

    activation: str
    params: dict[str, float]
    lo: float
    hi: float
    step: float
    points: int
    interp: str
    orders: tuple[int, ...]
    number_format: str
    storage: str
    scale: int | None
    fold: str | None
    x: np.ndarray
    exact: tuple[np.ndarray, ...]
    stored: tuple[np.ndarray, ...]
    budgets: tuple[ErrorBudget, ...]
    notes: tuple[str, ...] = ()
    reflect: tuple[tuple[float, float], ...] = ()
    max_error: float | None = None
    sampled: int = field(default=0)

    @property
    def start(self) -> float:
        return float(self.x[0])

    @property
    def certified_error(self) -> float:
        return max(b.certified_error for b in self.budgets)

    @property
    def measured_error(self) -> float:
        return max(b.measured_error for b in self.budgets)

    def dequantised(self, index: int) -> np.ndarray:
        """Stored values of orders[index] as float64 numbers (stored/scale for fixed point)."""
        values = self.stored[index].astype(np.float64)
        return values / self.scale if self.scale else values

    def evaluate(self, x: Any, order: int | None = None) -> np.ndarray:
        """What a consumer reads back at x (float64, the same arithmetic as the generated C)."""
        index = self.orders.index(self.orders[0] if order is None else order)
        return _reconstruct(self, index, np.asarray(x, dtype=np.float64))

    def to_json(self) -> dict[str, Any]:

        def number(value: Any) -> Any:
            return int(value) if self.scale else json_number(value)

        return {
            "activation": self.activation,
            "params": {k: json_number(v) for k, v in self.params.items()},
            "range": [json_number(self.lo), json_number(self.hi)],
            "start": json_number(self.start),
            "step": json_number(self.step),
            "points": self.points,
            "interpolation": self.interp,
            "number_format": self.number_format,
            "storage": self.storage,
            "scale": self.scale,
            "fold": self.fold,
            "orders": list(self.orders),
            "columns": ["x", *(column_name(k) for k in self.orders)],
            "max_error": None if self.max_error is None else json_number(self.max_error),
            "certified_max_error": json_number(self.certified_error),
            "measured_max_error": json_number(self.measured_error),
            "measured_points": self.sampled,
            "error_budget": [b.to_json() for b in self.budgets],
            "notes": list(self.notes),
            "x": [json_number(v) for v in self.x],
            "values": {
                column_name(k): [number(v) for v in values]
                for k, values in zip(self.orders, self._plain(), strict=True)
            },
        }

    def _plain(self) -> list[np.ndarray]:
        return [s.astype(np.int64) if self.scale else s.astype(np.float64) for s in self.stored]


def _reconstruct(result: TableResult, index: int, x: np.ndarray) -> np.ndarray:
    values = result.dequantised(index)
    size, start, step = result.points, result.start, result.step
    negative = x < 0 if result.fold else np.zeros(x.shape, dtype=bool)
    u = np.where(negative, -x, x)
    u = np.clip(u, start, result.hi)
    with np.errstate(invalid="ignore"):
        t = (u - start) / step
        if result.interp == "linear":
            i = np.clip(np.floor(np.nan_to_num(t)), 0, size - 2).astype(np.int64)
            frac = t - i
            v = values[i] + frac * (values[i + 1] - values[i])
        else:
            shifted = t + 0.5 if result.interp == "nearest" else t
            i = np.clip(np.floor(np.nan_to_num(shifted)), 0, size - 1).astype(np.int64)
            v = values[i]
    if result.fold:
        sign, offset = result.reflect[index]
        v = np.where(negative, sign * v + offset, v)
    return np.where(np.isnan(x), np.nan, v)


# -- number formats ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Format:
    """A parsed --format: a float type, or fixed point (fraction_bits None = choose later)."""

    text: str
    storage: str
    fraction_bits: int | None = None
    fixed: bool = False
    integer_bits: int | None = None

    @property
    def bits(self) -> int:
        return int(self.storage.removeprefix("float").removeprefix("int"))

    def resolved(self) -> str:
        if not self.fixed:
            return self.storage
        return f"Q{self.integer_bits}.{self.fraction_bits} ({self.storage})"

    def limits(self) -> tuple[int, int]:
        """The Q format's integer range (saturation), 1 + m + n bits."""
        bits = 1 + self.integer_bits + self.fraction_bits
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _parse_format(text: str) -> _Format:
    option = f"--fixed-point/--dtype {text}"
    if text in FLOAT_FORMATS:
        return _Format(text, text)
    if text in CONTAINERS:
        return _Format(text, text, None, fixed=True)
    match = re.fullmatch(r"Q(\d+)\.(\d+)(?::(int\d+))?", text)
    if not match:
        raise UsageError(
            f"{option}: not a number format (float16, float32, float64, int8, int16, int32, "
            "Qm.n or Qm.n:intK)"
        )
    m, n, container = int(match[1]), int(match[2]), match[3]
    bits = 1 + m + n
    if container is None:
        fitting = [name for name, size in CONTAINERS.items() if size >= bits]
        if not fitting:
            raise UsageError(f"{option}: needs {bits} bits; the widest container is int32")
        container = fitting[0]
    elif container not in CONTAINERS:
        raise UsageError(f"{option}: container must be int8, int16 or int32")
    elif CONTAINERS[container] < bits:
        raise UsageError(f"{option}: 1 + {m} + {n} = {bits} bits do not fit {container}")
    return _Format(text, container, n, fixed=True, integer_bits=m)


def _round_away(scaled: np.ndarray) -> np.ndarray:
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)


def _auto_format(fmt: _Format, columns: list[np.ndarray]) -> _Format:
    """intK: the smallest m >= 0 whose Q(m).(K-1-m) range holds every value."""
    low, high = -(1 << (fmt.bits - 1)), (1 << (fmt.bits - 1)) - 1
    top = max(float(np.max(c)) for c in columns)
    bottom = min(float(np.min(c)) for c in columns)
    for m in range(fmt.bits):
        n = fmt.bits - 1 - m
        if _round_away(np.array([top * 2.0**n]))[0] <= high and (
            _round_away(np.array([bottom * 2.0**n]))[0] >= low
        ):
            return _Format(fmt.text, fmt.storage, n, fixed=True, integer_bits=m)
    reach = max(abs(top), abs(bottom))
    raise UsageError(
        f"--dtype {fmt.text}: values reach {reach:.6g}, beyond any Q format in {fmt.storage} "
        f"(its integers stop at {high}); use a wider container"
    )


def _quantise(
    values: np.ndarray, fmt: _Format, exact: Any, x: np.ndarray
) -> tuple[np.ndarray, float]:
    """(stored values, max |dequantised - values|), correctly rounded from `exact` near ties."""
    if fmt.storage == "float64":
        return values.copy(), 0.0
    if fmt.fixed:
        n = fmt.fraction_bits
        scale = 2.0**n
        scaled = values * scale
        magnitude = np.abs(scaled)
        near = np.abs(magnitude - np.floor(magnitude) - 0.5) <= 1e-12 * magnitude + 1e-9
        rounded = _round_away(scaled)
        for i in np.flatnonzero(near & np.isfinite(scaled)):
            rounded[i] = _round_exact(exact(x[i]), n)
        low, high = fmt.limits()
        stored = np.clip(np.nan_to_num(rounded), low, high).astype(fmt.storage)
        return stored, float(np.max(np.abs(stored / scale - values)))
    dtype = np.dtype(fmt.storage)
    top = float(np.finfo(dtype).max)
    clipped = np.clip(values, -top, top)
    with np.errstate(over="ignore", under="ignore"):
        stored = clipped.astype(dtype)
        below = (clipped * (1 - 1e-12)).astype(dtype)
        above = (clipped * (1 + 1e-12)).astype(dtype)
    for i in np.flatnonzero(below != above):
        stored[i] = _round_float_exact(exact(x[i]), dtype, top)
    return stored, float(np.max(np.abs(stored.astype(np.float64) - values)))


def _round_exact(value: Any, n: int) -> float:

    scaled = value * mpmath.mpf(2) ** n
    return float(mpmath.sign(scaled) * mpmath.floor(abs(scaled) + mpmath.mpf(0.5)))


def _round_float_exact(value: Any, dtype: np.dtype, top: float) -> Any:
    """The float of `dtype` nearest the mpmath `value`, ties to even, saturating."""

    guess = np.asarray(min(max(float(value), -top), top)).astype(dtype)
    candidates = [
        np.nextafter(guess, dtype.type(-np.inf)),
        guess,
        np.nextafter(guess, dtype.type(np.inf)),
    ]
    candidates = [c for c in candidates if np.isfinite(c)]

    def key(c: Any) -> tuple[Any, int]:
        bits = int(np.asarray(c).view(f"uint{dtype.itemsize * 8}"))
        return abs(value - mpmath.mpf(float(c))), bits & 1

    return min(candidates, key=key)


# -- analysis of the activation ----------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    """A breakpoint c where g = f^(k) jumps by `jump` or g' by `kink` (right minus left)."""

    x: float
    jump: float
    kink: float
    left: float
    right: float
    exact_float: bool


@dataclass(frozen=True)
class _Order:
    """What the bounds of one order need: g numerically, and the pieces of the bounding
    derivative (g'' for linear, g' otherwise) between the definition's breakpoints."""

    order: int
    function: Any
    pieces: tuple[tuple[float, float, Any, Any], ...]
    events: tuple[_Event, ...]
    exact: Any


def _analyse(activation: Activation, order: int, interp: str) -> _Order:

    definition = to_piecewise(activation.expression)
    bounding = order + (2 if interp == "linear" else 1)
    derivative = activation.derivative(bounding)
    stable = activation.numeric_source(bounding)
    pieces = []
    for lower, upper, probe in intervals(definition, activation):
        branch = active_branch_at(derivative, activation, probe)
        try:
            stable_branch = active_branch_at(stable, activation, probe)
        except AnalysisError:
            stable_branch = stable
        pieces.append((float(lower), float(upper), branch, stable_branch))
    events = []
    exact_points = dict(activation.breakpoints())
    for kink in activation.kinks(order + 1):
        left, right = kink.left, kink.right
        slack = _SLACK * max(
            abs(left[order]), abs(right[order]), abs(left[order + 1]), abs(right[order + 1]), 1e-300
        )
        jump = right[order] - left[order]
        bend = right[order + 1] - left[order + 1]
        events.append(
            _Event(
                kink.x,
                0.0 if jump == 0 else math.copysign(abs(jump) + slack, jump),
                0.0 if bend == 0 else math.copysign(abs(bend) + slack, bend),
                left[order],
                right[order],
                _is_float(exact_points.get(kink.x)),
            )
        )
    exact = reference_function(
        to_piecewise(activation.derivative(order)), digits=20, absolute=MEASURE_ABSOLUTE
    )
    return _Order(order, activation.function(order), tuple(pieces), tuple(events), exact)


def _is_float(exact: Any) -> bool:

    return exact is not None and bool(exact.is_Rational) and sympy.Rational(float(exact)) == exact


def _sup(info: _Order, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, bool]:
    """sup |bounding derivative| on each [a_i, b_i] (infinite where it cannot be bounded), and
    whether a stable form had to stand in."""

    result = np.zeros(a.shape)
    used_stable = False
    for lower, upper, branch, stable in info.pieces:
        inside = np.flatnonzero((a < upper) & (b > lower))
        if not inside.size:
            continue
        # the branch's own interval, widened by a few ulp: the float breakpoint is inexact
        lo = np.maximum(a[inside], lower - _SLACK * abs(lower) - 1e-300)
        hi = np.minimum(b[inside], upper + _SLACK * abs(upper) + 1e-300)
        cuts = np.linspace(0.0, 1.0, SUBDIVISIONS + 1)
        starts = (lo[:, None] + (hi - lo)[:, None] * cuts[None, :-1]).ravel()
        ends = (lo[:, None] + (hi - lo)[:, None] * cuts[None, 1:]).ravel()
        ends[SUBDIVISIONS - 1 :: SUBDIVISIONS] = hi
        low, high = bound(branch, starts, ends)
        size = np.maximum(np.abs(low), np.abs(high))
        bad = ~np.isfinite(size)
        if bad.any() and stable is not branch:
            used_stable = True
            low, high = bound(stable, starts[bad], ends[bad])
            size[bad] = np.maximum(np.abs(low), np.abs(high))
        per_segment = size.reshape(-1, SUBDIVISIONS).max(axis=1)
        np.maximum.at(result, inside, per_segment)
    return result, used_stable


def _segment_bounds(
    info: _Order, x: np.ndarray, values: np.ndarray, interp: str
) -> tuple[np.ndarray, bool]:
    """The certified interpolation error on each segment [x_i, x_{i+1}] (see module doc)."""
    a, b = x[:-1], x[1:]
    width = (b - a) * (1 + _SLACK)
    sup, used_stable = _sup(info, a, b)
    with np.errstate(invalid="ignore", over="ignore"):
        if interp == "linear":
            bounds = width**2 / 8 * sup
        elif interp == "nearest":
            bounds = width / 2 * sup
        else:
            bounds = width * sup
    bounds = np.where(np.isnan(bounds), np.inf, bounds) * (1 + _SLACK)
    for event in info.events:
        if not x[0] <= event.x <= x[-1]:
            continue
        if interp != "linear":
            touching = np.flatnonzero((a <= event.x) & (b >= event.x))
            bounds[touching] += abs(event.jump)
            continue
        node = np.flatnonzero(np.abs(x - event.x) <= _SLACK * max(abs(event.x), 1e-300))
        if node.size:
            _node_event(bounds, event, int(node[0]), values, width)
            continue
        i = int(np.searchsorted(x, event.x) - 1)
        t1, t2 = event.x - a[i], b[i] - event.x
        bounds[i] += (
            abs(event.kink) * t1 * t2 / width[i] + abs(event.jump) * max(t1, t2) / width[i]
        ) * (1 + _SLACK)
    return bounds, used_stable


def _node_event(
    bounds: np.ndarray, event: _Event, node: int, values: np.ndarray, width: np.ndarray
) -> None:
    """A breakpoint on node `node`: the node holds one side's value, so the segment on the
    other side carries the whole jump; the float breakpoint may sit an ulp off the exact one,
    so the kink term gets that much."""
    neighbours = [i for i in (node - 1, node) if 0 <= i < bounds.size]
    near = _SLACK * max(abs(event.x), 1e-300)
    for i in neighbours:
        bounds[i] += abs(event.kink) * near
    if event.jump == 0:
        return
    value = values[node]
    tolerance = EVALUATION_RELATIVE * max(abs(event.left), abs(event.right)) + 1e-300
    on_left = abs(value - event.left) <= tolerance
    on_right = abs(value - event.right) <= tolerance
    for i in neighbours:
        segment_is_left = i == node - 1
        if (
            not event.exact_float
            or (segment_is_left and not on_left)
            or (not segment_is_left and not on_right)
        ):
            bounds[i] += abs(event.jump)


# -- symmetry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Symmetry:
    """f(-x) = sign*f(x) + offset, proven."""

    sign: float
    offset: float
    description: str

    def for_order(self, order: int) -> tuple[float, float]:
        return (-1.0) ** order * self.sign, self.offset if order == 0 else 0.0


def _symmetry(activation: Activation) -> _Symmetry:
    """Prove f odd, even or point-symmetric about (0, c), branch by branch; else refuse."""

    refusal = f"--fold: {activation.name} has no symmetry f(-x) = ±f(x) + c"
    f = activation.function(0)
    probe = np.array([0.3, 0.7, 1.3, 2.9, 5.1, 11.0])
    plus, minus = f(probe), f(-probe)
    tolerance = 1e-12 * (1 + np.abs(plus))
    if np.all(np.abs(minus - plus) <= tolerance):
        even = True
    elif np.ptp(plus + minus) <= 2e-12 * (1 + np.max(np.abs(plus))):
        even = False
    else:
        raise UsageError(refusal)
    definition = to_piecewise(activation.expression)
    constant = None
    for _, _, point in intervals(definition, activation):
        mine = active_branch_at(definition, activation, point)
        mirror = active_branch_at(definition, activation, -point).subs(X, -X)
        difference = mine - mirror if even else mine + mirror
        value = sympy.simplify(to_elementary(difference))
        if X in value.free_symbols or (even and value != 0):
            raise UsageError(f"{refusal} (not provable branch by branch)")
        if constant is not None and sympy.simplify(value - constant) != 0:
            raise UsageError(refusal)
        constant = value
    offset = 0.0 if even else float(constant)
    sign = 1.0 if even else -1.0
    for c, _ in activation.breakpoints():
        if abs(f(np.array([-c]))[0] - (sign * f(np.array([c]))[0] + offset)) > 1e-12 * (
            1 + abs(offset)
        ):
            raise UsageError(f"{refusal} (not at its breakpoint {c:g})")
    if even:
        return _Symmetry(1.0, 0.0, "even: f(-x) = f(x)")
    if offset == 0:
        return _Symmetry(-1.0, 0.0, "odd: f(-x) = -f(x)")
    return _Symmetry(-1.0, offset, f"f(-x) = {sympy.nsimplify(constant)} - f(x)")


# -- building ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Build:
    """One candidate table (no measurement yet)."""

    x: np.ndarray
    step: float
    values: tuple[np.ndarray, ...]
    stored: tuple[np.ndarray, ...]
    fmt: _Format
    budgets: tuple[ErrorBudget, ...]
    used_stable: bool

    @property
    def certified(self) -> float:
        return max(b.certified_error for b in self.budgets)


BYTES_PER_ENTRY = 600  # peak use per table entry and column, measured (interval temporaries)


def _check_memory(points: int, columns: int) -> None:
    """Refuse a table whose certification would not fit in half the free memory."""

    needed, limit = points * columns * BYTES_PER_ENTRY, available_memory() // 2
    if needed > limit:
        raise ResourceLimitError(
            f"table: {points} entries need about {needed / 2**30:.1f} GiB to certify, more than "
            f"half the free memory ({limit / 2**30:.1f} GiB); use fewer --points or a larger E"
        )


def _build(
    infos: list[_Order], start: float, hi: float, points: int, fmt: _Format, interp: str
) -> _Build:
    _check_memory(points, len(infos))
    step = (hi - start) / (points - 1)
    x = start + np.arange(points) * step
    values = []
    for info in infos:
        column = info.function(x)
        bad = np.flatnonzero(~np.isfinite(column))
        if bad.size:
            raise UsageError(
                f"table: {_label(info.order)} is not finite at x = {x[bad[0]]:.17g}; "
                "pick a --range where it is"
            )
        values.append(column)
    if fmt.fixed and fmt.fraction_bits is None:
        fmt = _auto_format(fmt, values)
    stored, budgets, used_stable = [], [], False
    for info, column in zip(infos, values, strict=True):
        quantised, quantisation = _quantise(column, fmt, info.exact, x)
        bounds, stable = _segment_bounds(info, x, column, interp)
        used_stable = used_stable or stable
        evaluation = EVALUATION_RELATIVE * float(np.max(np.abs(column))) + 1e-300
        stored.append(quantised)
        budgets.append(ErrorBudget(info.order, float(np.max(bounds)), quantisation, evaluation))
    return _Build(x, step, tuple(values), tuple(stored), fmt, tuple(budgets), used_stable)


def _jump_floor(info: _Order, start: float, hi: float, interp: str) -> tuple[float, _Event] | None:
    """The largest error a jump forces whatever N is, and the jump."""
    worst = None
    for event in info.events:
        if event.jump == 0 or not start <= event.x <= hi:
            continue
        floor = abs(event.jump) / 2 if interp == "linear" else abs(event.jump)
        if interp == "linear" and event.x in (start, hi):
            floor = 0.0
        if worst is None or floor > worst[0]:
            worst = (floor, event)
    return worst


def _search(
    infos: list[_Order],
    start: float,
    hi: float,
    fmt: _Format,
    interp: str,
    target: float,
    max_points: int,
) -> _Build:
    option = f"--max-error {target:g}"
    for info in infos:
        found = _jump_floor(info, start, hi, interp)
        if found and found[0] > target:
            floor, event = found
            raise UsageError(
                f"{_label(info.order)} jumps by {abs(event.jump):.3g} at x = {event.x:.17g}: "
                f"{interp} interpolation across it errs by at least {floor:.3g} > E "
                f"({target:g}); split the range at {event.x:.17g}"
            )
    estimate = _estimate(infos, start, hi, interp, target)
    cache: dict[int, _Build] = {}

    def attempt(points: int) -> bool:
        if points not in cache:
            cache[points] = _build(infos, start, hi, points, fmt, interp)
        return cache[points].certified <= target

    first = min(max(2, estimate), max_points)
    smooth = _estimate(infos, start, hi, interp, target, smooth=True)
    # a grid with every kink on a node may pass far below the kink-driven estimate
    for candidate in _aligned(infos, start, hi, smooth, first):
        if attempt(candidate):
            return cache[candidate]
    passed = attempt(first)
    _refuse_floor(cache[first], option, target)
    if passed:
        passing, failing = first, 1
        while passing > 2:
            candidate = max(2, passing - max(1, passing // 8))
            if not attempt(candidate):
                failing = candidate
                break
            passing = candidate
    else:
        failing, passing = first, 0
        while not passing:
            if failing >= max_points:
                raise UsageError(
                    f"{option}: needs more than --max-points {max_points} points (estimate "
                    f"N = {estimate}); raise E, narrow the range or raise --max-points"
                )
            candidate = min(max_points, max(failing + 1, math.ceil(failing * 1.25)))
            if attempt(candidate):
                passing = candidate
            else:
                failing = candidate
    while passing - failing > 1:
        middle = (passing + failing) // 2
        if attempt(middle):
            passing = middle
        else:
            failing = middle
    for candidate in _aligned(infos, start, hi, smooth, passing):
        if attempt(candidate):
            return cache[candidate]
    return cache[passing]


MEASURE_ABSOLUTE = 1e-40  # errors are absolute: the truth is needed to this much, not relatively
ALIGNED_SCAN = 1 << 16  # how many N past the smooth estimate to scan for breakpoint-aligned grids


def _aligned(infos: list[_Order], start: float, hi: float, low: int, high: int) -> list[int]:
    """Up to 20 N in [low, high) that put every breakpoint inside the range on a node.

    A kink costs |J|h/4 in mid-segment but nothing on a node, so such N can beat the
    bisection's answer by orders of magnitude (hardswish: 287 points instead of 13520)."""
    inside = sorted({e.x for info in infos for e in info.events if start < e.x < hi})
    high = min(high, max(2, low) + ALIGNED_SCAN)
    if not inside or low >= high:
        return []
    n = np.arange(max(2, low), high)
    positions = np.outer(np.array(inside) - start, n - 1) / (hi - start)
    aligned = np.all(np.abs(positions - np.round(positions)) <= 1e-9 * (n - 1), axis=0)
    return [int(v) for v in n[aligned][:20]]


def _refuse_floor(build: _Build, option: str, target: float) -> None:
    """Refuse when the number format alone, or an unboundable derivative, misses E."""
    for budget in build.budgets:
        if not math.isfinite(budget.interpolation_bound):
            raise UsageError(
                f"{option}: the interpolation error of {_label(budget.order)} cannot be "
                "certified on this range (its derivative has no finite interval bound); "
                "narrow the range"
            )
        floor = budget.quantisation_error + budget.evaluation_error
        if floor > target:
            top = max(float(np.max(np.abs(v))) for v in build.values)
            m = max(0, math.ceil(math.log2(top + 1e-300)) if top >= 1 else 0)
            n = max(0, math.ceil(-math.log2(target)))
            raise UsageError(
                f"{option}: {build.fmt.resolved()} alone errs by up to {floor:.3g} "
                f"({_label(budget.order)}, quantisation) > E; use a finer format, e.g. "
                f"Q{m}.{n} ({1 + m + n} bits) or float32/float64"
            )


def _estimate(
    infos: list[_Order], start: float, hi: float, interp: str, target: float, smooth: bool = False
) -> int:
    """N from a sampled sup of the bounding derivative (a starting point, not a bound); unless
    `smooth`, with the kinks' |J|h/4 when that needs more."""

    x = np.linspace(start, hi, 2001)
    needed = 2
    for info in infos:
        branchwise = []
        for lower, upper, _, stable in info.pieces:
            inside = x[(x >= lower) & (x <= upper)]
            if inside.size:
                sample = np.abs(compile_scalar(stable)(inside))
                branchwise.append(float(np.max(np.nan_to_num(sample, posinf=0.0))))
        sup = max(branchwise, default=0.0)
        if interp == "linear":
            n = (hi - start) * math.sqrt(sup / (8 * target)) + 1
        elif interp == "nearest":
            n = (hi - start) * sup / (2 * target) + 1
        else:
            n = (hi - start) * sup / target + 1
        kinks = [abs(e.kink) for e in info.events if start < e.x < hi]
        if interp == "linear" and kinks and not smooth:
            n = max(n, (hi - start) * max(kinks) / (4 * target) + 1)
        needed = max(needed, math.ceil(min(n, 2.0**62)))
    return needed


# -- measurement ---------------------------------------------------------------------------


def _measure(result: TableResult, infos: list[_Order]) -> tuple[list[float], int]:
    """max |reconstruction - g| per order against mpmath (points: see the module doc)."""
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


# -- the table -----------------------------------------------------------------------------


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
    max_points: int = 1 << 24,
) -> TableResult:
    """A lookup table of f^(k) for k in `orders` on [lo, hi], with its certified error.

    At most one of `points`, `step`, `max_error` (none: 256 points).

    Raises:
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
    symmetry = _symmetry(activation) if fold else None
    infos = [_analyse(activation, k, interp) for k in orders]
    if max_error is not None:
        build = _search(infos, start, hi, fmt, interp, max_error, max_points)
    else:
        count = DEFAULT_POINTS if points is None else points
        if step is not None:
            count = _points_for_step(start, hi, step)
        if count > max_points:
            raise UsageError(f"--points {count}: more than --max-points {max_points}")
        build = _build(infos, start, hi, count, fmt, interp)
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
    measured, count = _measure(result, infos)
    budgets = tuple(
        ErrorBudget(b.order, b.interpolation_bound, b.quantisation_error, b.evaluation_error, m)
        for b, m in zip(build.budgets, measured, strict=True)
    )
    notes = _notes(result, infos, build, fmt, count)

    return replace(result, budgets=budgets, notes=notes, sampled=count)


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
) -> tuple[float, tuple[int, ...], _Format]:
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
    if max_points < 2:
        raise UsageError(f"--max-points {max_points}: need at least 2")
    if interp not in INTERPOLATIONS:
        raise UsageError(f"--interp {interp}: must be one of {', '.join(INTERPOLATIONS)}")
    if not orders:
        raise UsageError("--order: give at least one order")
    for k in orders:
        if not 0 <= k <= MAX_ORDER:
            raise UsageError(f"--order {k}: tables hold orders 0 to {MAX_ORDER}")
    orders = tuple(dict.fromkeys(orders))
    fmt = _parse_format(number_format)
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
    intervals = max(1, round(width / step))
    if abs(intervals * step - width) > 1e-9 * width:
        raise UsageError(
            f"--step {step:g}: does not divide the range width {width:g}; nearest valid steps "
            f"{width / (intervals + 1):.10g} or {width / intervals:.10g}, or a --range "
            f"spanning a multiple of {step:g}"
        )
    return intervals + 1


def _notes(
    result: TableResult, infos: list[_Order], build: _Build, requested: _Format, count: int
) -> tuple[str, ...]:
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
                    f"{_label(k)}: values saturate at the format's range "
                    f"[{low / result.scale:g}, {high / result.scale:g}]"
                )
    h = result.step
    for info in infos:
        g = _label(info.order)
        for event in info.events:
            if not result.start <= event.x <= result.hi:
                continue
            on_node = bool(np.any(np.abs(result.x - event.x) <= _SLACK * max(abs(event.x), 1)))
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
    for b in build.budgets:
        if not math.isfinite(b.interpolation_bound):
            notes.append(
                f"{_label(b.order)}: the interpolation error cannot be certified "
                "(no finite bound on the derivative somewhere in the range)"
            )
    notes.append(
        f"measured at {count} points against mpmath (segment midpoints, near every breakpoint)"
    )
    return tuple(notes)


# -- writers -------------------------------------------------------------------------------


def table_bytes(result: TableResult, fmt: str) -> bytes:
    """The table in one of TABLE_FORMATS.

    csv/tsv: header x,f[,df,d2f] and one row per node; fixed point as integers, floats as the
    shortest decimal that reads back to the stored value (x as Python's repr). json:
    `to_json()`, one line. npy: a structured array, field x (float64) and one field per column
    in the storage dtype (int16, float32, ...). c: a C99 header (see `c_header`). hex: one
    stored word per line for $readmemh, two's complement or IEEE bits, lowercase.

    Raises:
        UsageError: an unknown format; hex with more than one order.
    """
    if fmt in ("csv", "tsv"):
        return _delimited(result, "," if fmt == "csv" else "\t")
    if fmt == "json":
        return (json.dumps(result.to_json(), allow_nan=False) + "\n").encode()
    if fmt == "npy":
        return _npy(result)
    if fmt == "c":
        return c_header(result).encode()
    if fmt == "hex":
        return _hex(result)
    raise UsageError(f"--format {fmt}: table formats are {', '.join(TABLE_FORMATS)}")


def _number_text(result: TableResult, value: Any) -> str:
    if result.scale:
        return str(int(value))
    if result.storage == "float64":
        return repr(float(value))
    return str(value)  # NumPy's shortest repr for float16/float32


def _delimited(result: TableResult, separator: str) -> bytes:
    header = separator.join(["x", *(column_name(k) for k in result.orders)])
    lines = [header]
    for i, x in enumerate(result.x):
        cells = [repr(float(x)), *(_number_text(result, s[i]) for s in result.stored)]
        lines.append(separator.join(cells))
    return ("\n".join(lines) + "\n").encode()


def _npy(result: TableResult) -> bytes:

    dtype = [("x", "<f8"), *((column_name(k), result.storage) for k in result.orders)]
    array = np.zeros(result.points, dtype=dtype)
    array["x"] = result.x
    for k, stored in zip(result.orders, result.stored, strict=True):
        array[column_name(k)] = stored
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _words(result: TableResult, stored: np.ndarray) -> list[int]:
    """Stored values as unsigned words: two's complement, or IEEE bit patterns."""
    bits = np.dtype(result.storage).itemsize * 8
    if result.scale:
        return [int(v) & ((1 << bits) - 1) for v in stored]
    return [int(v) for v in stored.view(f"uint{bits}")]


def _hex(result: TableResult) -> bytes:
    if len(result.orders) != 1:
        raise UsageError("--format hex: hex holds one column; pick one --order")
    digits = np.dtype(result.storage).itemsize * 2
    words = _words(result, result.stored[0])
    return "".join(f"{w:0{digits}x}\n" for w in words).encode()


def c_identifier(name: str) -> str:
    """An activation name as a C identifier (softplus:torch -> softplus_torch)."""
    text = re.sub(r"\W", "_", name, flags=re.ASCII)
    return text if text and not text[0].isdigit() else f"_{text}"


_C_TYPES = {
    "int8": "int8_t",
    "int16": "int16_t",
    "int32": "int32_t",
    "float16": "uint16_t",
    "float32": "float",
    "float64": "double",
}


def _c_double(value: float) -> str:
    text = repr(float(value))
    return f"({text})" if text.startswith("-") else text


def _c_element(result: TableResult, value: Any, word: int) -> str:
    if result.storage == "float16":
        return f"0x{word:04x}"
    if result.storage == "float32":
        return f"{np.format_float_scientific(value, unique=True)}f"
    if result.storage == "float64":
        return repr(float(value))
    if result.storage == "int32" and int(value) == -(1 << 31):
        return "(-2147483647 - 1)"
    return str(int(value))


def c_header(result: TableResult) -> str:
    """A C99 header: the table(s), its grid as macros, and `<name>_lut[_dK]_eval(double)`
    implementing the interpolation, the clamp to [LO, HI] and the fold's reflection."""

    name = c_identifier(result.activation)
    upper = name.upper()
    guard = f"ACTCLI_{upper}_LUT_H"
    params = ", ".join(f"{k}={v!r}" for k, v in result.params.items()) or "none"
    scale = f", value = stored / {result.scale}" if result.scale else ""
    if result.storage == "float16":
        scale = ", stored as IEEE binary16 bit patterns (uint16_t)"
    lines = [
        f"/* {name}_lut.h: lookup table generated by actcli {__version__}",
        " *",
        f" * activation:     {result.activation} (parameters: {params})",
        f" * range:          [{result.lo!r}, {result.hi!r}]",
        f" * table covers:   [{result.start!r}, {result.hi!r}]"
        + (f", folded: {result.fold}" if result.fold else ""),
        f" * step:           {result.step!r}",
        f" * points:         {result.points}",
        f" * interpolation:  {result.interp}",
        f" * number format:  {result.number_format}{scale}",
    ]
    for budget in result.budgets:
        lines.append(
            f" * {column_name(budget.order):>3}: certified max error {budget.certified_error:.3e}, "
            f"measured {budget.measured_error:.3e}"
        )
    lines += [
        " * Inputs outside the range are clamped to it; the error bound holds inside only.",
        " */",
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        "#include <stdint.h>",
    ]
    if result.storage == "float16":
        lines.append("#include <math.h>")
    lines += [
        "",
        f"#define {upper}_LUT_SIZE {result.points}",
        f"#define {upper}_LUT_LO {_c_double(result.start)}",
        f"#define {upper}_LUT_HI {_c_double(result.hi)}",
        f"#define {upper}_LUT_STEP {_c_double(result.step)}",
    ]
    if result.scale:
        lines.append(f"#define {upper}_LUT_SCALE {float(result.scale)!r}")
    if result.storage == "float16":
        lines += ["", *_C_HALF.format(name=name).splitlines()]
    for index, order in enumerate(result.orders):
        lines += ["", *_c_table(result, name, upper, index, order)]
    lines += ["", f"#endif /* {guard} */", ""]
    return "\n".join(lines)


_C_HALF = """/* IEEE binary16 bits to double (tables store float16 as bit patterns) */
static inline double {name}_lut_half(uint16_t bits)
{{
    int exponent = (bits >> 10) & 0x1f;
    double mantissa = (double)(bits & 0x3ff);
    double value = exponent == 0 ? ldexp(mantissa, -24) : ldexp(mantissa + 1024.0, exponent - 25);
    return (bits & 0x8000) ? -value : value;
}}"""


def _c_table(result: TableResult, name: str, upper: str, index: int, order: int) -> list[str]:
    suffix = "" if order == 0 else f"_d{order}"
    array = f"{name}_lut{suffix}"
    stored = result.stored[index]
    words = _words(result, stored) if result.storage == "float16" else [0] * stored.size
    elements = [_c_element(result, v, w) for v, w in zip(stored, words, strict=True)]
    rows = [
        "    " + ", ".join(elements[i : i + 8]) + ("," if i + 8 < len(elements) else "")
        for i in range(0, len(elements), 8)
    ]
    if result.scale:
        read = f"(double){array}[{{i}}] / {upper}_LUT_SCALE"
    elif result.storage == "float16":
        read = f"{name}_lut_half({array}[{{i}}])"
    else:
        read = f"(double){array}[{{i}}]"
    body = [
        f"/* {_label(order)} at the nodes x_i = LO + i*STEP */",
        f"static const {_C_TYPES[result.storage]} {array}[{upper}_LUT_SIZE] = {{",
        *rows,
        "};",
        "",
        f"/* {_label(order)}(x) by {result.interp} interpolation"
        + (" (reflected for x < 0)" if result.fold else "")
        + " */",
        f"static inline double {array}_eval(double x)",
        "{",
        "    double t, v;",
        "    long i;",
    ]
    if result.interp == "linear":
        body[-2] = "    double t, v, a, frac;"
    if result.fold:
        body.append("    int negative = x < 0;")
    body += ["    if (x != x)", "        return x;"]
    if result.fold:
        body += ["    if (negative)", "        x = -x;"]
    body += [
        f"    if (x < {upper}_LUT_LO)",
        f"        x = {upper}_LUT_LO;",
        f"    if (x > {upper}_LUT_HI)",
        f"        x = {upper}_LUT_HI;",
        f"    t = (x - {upper}_LUT_LO) / {upper}_LUT_STEP;",
    ]
    if result.interp == "linear":
        body += [
            "    i = (long)t;",
            f"    if (i > {upper}_LUT_SIZE - 2)",
            f"        i = {upper}_LUT_SIZE - 2;",
            "    frac = t - (double)i;",
            f"    a = {read.format(i='i')};",
            f"    v = a + frac * ({read.format(i='i + 1')} - a);",
        ]
    else:
        shift = " + 0.5" if result.interp == "nearest" else ""
        body += [
            f"    i = (long)(t{shift});",
            f"    if (i > {upper}_LUT_SIZE - 1)",
            f"        i = {upper}_LUT_SIZE - 1;",
            f"    v = {read.format(i='i')};",
        ]
    if result.fold:
        sign, offset = result.reflect[index]
        reflected = "-v" if sign < 0 else "v"
        if offset:
            reflected = f"{_c_double(offset)} {'-' if sign < 0 else '+'} v"
        body += ["    if (negative)", f"        v = {reflected};"]
    body += ["    return v;", "}"]
    return body
