"""Figures of activations and their derivatives (matplotlib, headless).

One panel per derivative order, stacked with a shared x axis, every series overlaid. What a
figure must not hide, it marks:

- Samples: a uniform grid plus, at every breakpoint c in range, c itself and c +- delta with
  delta tiny against the range (a few ulp at least), so corners are exact and one-sided values
  are sampled right at the jump.
- A jump of f at c is a gap (a NaN is inserted, so no segment crosses it), a closed marker at
  f(c) as the definition evaluates it (the attained one-sided value) and an open marker at the
  other one-sided limit.
- Where f^(k) does not exist (its one-sided limits differ, or a lower order already jumps), panel
  k has no value at c and open markers at both one-sided limits (one marker when they agree,
  e.g. binary_step' at 0); no closed marker, since no value is attained.
- Non-finite values are gaps.
- Saturation (|f'| < eps) is shaded where *every* series saturates, so with one series it is that
  series' own set, and with several it is where all gradients vanish at once (a sweep's common
  dead zone). Interval ends are refined by bisection, not left at grid resolution.
- Vector kinds are drawn along the slice x = (t, 0, ..., 0): each output component y_i(t) is a
  series, and derivative panels show d^k y_i/dt^k (the first Jacobian column for k = 1),
  differentiated symbolically from the explicit n-input form; jumps (maxout's at t = 0, where
  the arg-max switches) are found from that form as for scalar kinds.
- A jump too small to see at the panel's scale (PyTorch's softplus: 2.06e-9 at x = 20) gets a
  zoomed inset around it, and a note in the result; tick labels are written in full, never as
  an offset, so values such as 19.9999995 read as they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy
from matplotlib.axes import Axes
from matplotlib.cbook import is_math_text
from matplotlib.figure import Figure
from matplotlib.mathtext import MathTextParser
from matplotlib.ticker import MaxNLocator, ScalarFormatter

from actcli import figures
from actcli.activation import Activation
from actcli.compiler import compile_scalar
from actcli.errors import UsageError
from actcli.expr import X
from actcli.figures import PALETTE
from actcli.generated import Kink
from actcli.jacobian import MAX_EXPLICIT_N, explicit_outputs
from actcli.json_values import json_number
from actcli.pieces import active_branch_at, intervals, symbolic_breakpoints, to_piecewise

DEFAULT_POINTS = 1201
MAX_POINTS = 200_001
MAX_ORDER = 6
MAX_DRAWN = 1e300  # |y| above this is left out of a panel
MIN_WIDTH = 1e-300  # the narrowest --range (matplotlib's ticks need a finite log10 of it)
ZOOM_BELOW = 0.02  # a jump under this fraction of the panel's height gets a zoomed inset
_LINESTYLES = ("-", "--", ":", "-.")


@dataclass(frozen=True)
class Panel:
    order: int
    ylabel: str
    y_range: tuple[float, float]

    def to_json(self) -> dict[str, Any]:
        return {"order": self.order, "ylabel": self.ylabel, "y_range": _numbers(self.y_range)}


@dataclass(frozen=True)
class SeriesInfo:
    """One drawn curve: an activation, or one output component of a vector kind."""

    label: str
    activation: str
    params: dict[str, float]
    orders: tuple[int, ...]
    component: int | None = None  # 1-based output index along a vector slice

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "activation": self.activation,
            "params": {k: json_number(v) for k, v in self.params.items()},
            "orders": list(self.orders),
            "component": self.component,
        }


@dataclass(frozen=True)
class Discontinuity:
    """f^(order) jumps at x: one-sided limits `left` and `right`; `value` is what f takes at x
    (order 0 only: a derivative that jumps has no value there)."""

    series: str
    x: float
    order: int
    left: float
    right: float
    value: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "x": json_number(self.x),
            "order": self.order,
            "left": json_number(self.left),
            "right": json_number(self.right),
            "value": None if self.value is None else json_number(self.value),
        }


@dataclass(frozen=True)
class Undefined:
    """f^(order) does not exist at x."""

    series: str
    x: float
    order: int

    def to_json(self) -> dict[str, Any]:
        return {"series": self.series, "x": json_number(self.x), "order": self.order}


@dataclass(frozen=True)
class Saturation:
    eps: float
    intervals: tuple[tuple[float, float], ...]

    def to_json(self) -> dict[str, Any]:
        return {"eps": json_number(self.eps), "intervals": [_numbers(i) for i in self.intervals]}


@dataclass(frozen=True)
class PlotResult:
    """What a figure shows, as data: `file` and `format` are filled in by whoever saves it."""

    panels: tuple[Panel, ...]
    series: tuple[SeriesInfo, ...]
    x_range: tuple[float, float]
    points: int
    breakpoints: tuple[float, ...]
    discontinuities: tuple[Discontinuity, ...] = ()
    undefined: tuple[Undefined, ...] = ()
    saturation: Saturation | None = None
    notes: tuple[str, ...] = ()
    file: str | None = None
    format: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "panels": [p.to_json() for p in self.panels],
            "series": [s.to_json() for s in self.series],
            "x_range": _numbers(self.x_range),
            "points": self.points,
            "breakpoints": [json_number(x) for x in self.breakpoints],
            "discontinuities": [d.to_json() for d in self.discontinuities],
            "undefined": [u.to_json() for u in self.undefined],
            "saturation": None if self.saturation is None else self.saturation.to_json(),
            "notes": list(self.notes),
        }


def _numbers(values: Sequence[float]) -> list[float | str]:
    return [json_number(v) for v in values]


# -- curves: what to evaluate, and where it breaks ------------------------------------------


@dataclass
class _Curve:
    """One series: values of its derivatives on any x, and its kinks (computed once)."""

    label: str
    activation: Activation
    component: int | None
    kinks: list[Kink]
    breakpoints: list[float]
    derivative: Callable[[int], Callable[[np.ndarray], np.ndarray]]
    _compiled: dict[int, Callable[[np.ndarray], np.ndarray]] = field(default_factory=dict)

    def values(self, order: int, x: np.ndarray) -> np.ndarray:
        """f^(order) at x, non-finite values as NaN and NaN where f^(order) does not exist."""

        if order not in self._compiled:
            self._compiled[order] = self.derivative(order)
        with np.errstate(all="ignore"):
            y = np.array(self._compiled[order](x), dtype=np.float64)
        y[~np.isfinite(y)] = np.nan
        for kink in self.undefined_at(order):
            y[x == kink.x] = np.nan
        return y

    def undefined_at(self, order: int) -> list[Kink]:
        """Kinks where f^(order) (order >= 1) does not exist: some f^(j), j <= order, jumps."""
        return [k for k in self.kinks if order >= 1 and _jump_order(k) <= order]


def _jump_order(kink: Kink) -> float:
    first = kink.first_jump()
    return math.inf if first is None else first


def _scalar_curve(activation: Activation, label: str, max_order: int) -> _Curve:
    return _Curve(
        label,
        activation,
        None,
        activation.kinks(max_order),
        [x for x, _ in activation.breakpoints()],
        activation.function,
    )


def _vector_curves(
    activation: Activation, label: str, max_order: int, slice_dim: int
) -> list[_Curve]:
    """One curve per output component along x = (t, 0, ..., 0)."""

    outputs = explicit_outputs(activation, slice_dim)
    inputs = sympy.symbols(f"x0:{slice_dim}", real=True)
    on_slice = {inputs[0]: X, **{s: sympy.Integer(0) for s in inputs[1:]}}
    stable = activation.function(0)  # overflow-free; derivatives come from the explicit form

    def rows(t: np.ndarray) -> np.ndarray:
        x = np.zeros((t.size, slice_dim))
        x[:, 0] = t
        return x

    def component(t: np.ndarray, index: int) -> np.ndarray:
        y = stable(rows(t))
        return y[:, index] if y.ndim == 2 else y  # R^n -> R^n, or R^n -> R (maxout)

    curves = []
    single = len(outputs) == 1
    for index, output in enumerate(outputs):
        expression = to_piecewise(output.xreplace(on_slice))

        def derivative(order: int, expression: Any = expression, index: int = index) -> Any:
            if order == 0:
                return lambda t: component(t, index)
            return compile_scalar(sympy.diff(expression, X, order))

        name = f"{label} y" if single else f"{label} y_{index + 1}"
        points = symbolic_breakpoints(expression, activation)
        curves.append(
            _Curve(
                name,
                activation,
                index + 1,
                _expression_kinks(expression, activation, max_order),
                [float(sympy.N(p)) for p in points],
                derivative,
            )
        )
    return curves


def _expression_kinks(expression: Any, activation: Activation, order: int) -> list[Kink]:
    """`Activation.kinks` for a scalar expression in x (a vector kind along its slice)."""

    def limits(branch: Any, point: Any) -> tuple[float, ...]:
        # the branch active on one side is analytic up to the point: its value is the limit
        values = []
        for k in range(order + 1):
            number = complex(sympy.N(sympy.diff(branch, X, k).subs(X, point), 30))
            values.append(number.real if abs(number.imag) < 1e-300 else math.nan)
        return tuple(values)

    pieces = intervals(expression, activation)
    found = []
    for (_, point, left_probe), (_, _, right_probe) in zip(pieces, pieces[1:], strict=False):
        left = limits(active_branch_at(expression, activation, left_probe), point)
        right = limits(active_branch_at(expression, activation, right_probe), point)
        value = complex(sympy.N(expression.subs(X, point), 30))
        defined = abs(value.imag) < 1e-300 and math.isfinite(value.real)
        kink = Kink(float(point), str(point), left, right, value.real if defined else math.nan)
        if kink.first_jump() is not None:
            found.append(kink)
    return found


# -- the figure -------------------------------------------------------------------------------


@dataclass
class _Marks:
    """Markers and gaps of one curve in one panel."""

    closed: list[tuple[float, float]] = field(default_factory=list)
    opened: list[tuple[float, float]] = field(default_factory=list)
    breaks: list[tuple[float, str]] = field(default_factory=list)  # (c, "before"|"after")


def make_figure(
    series: Sequence[Activation],
    *,
    orders: tuple[int, ...] = (0,),
    lo: float = -5.0,
    hi: float = 5.0,
    points: int | None = None,
    saturation: float | None = None,
    style: str = "light",
    size: tuple[float, float] | None = None,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    slice_dim: int = 3,
) -> tuple[Figure, PlotResult]:
    """Draw f^(k) for each k in `orders` (one panel each) of every activation in `series`.

    The figure is a `matplotlib.figure.Figure` (no pyplot state); nothing is shown or saved.

    Raises:
        UsageError: empty series, bad orders, range, points, size, labels, slice_dim or style.
    """

    _check_options(series, orders, lo, hi, points, saturation, size, labels, slice_dim)
    labels = list(labels) if labels is not None else [a.name for a in series]
    curves = _curves(series, labels, max(orders), slice_dim)
    with figures.style(style) as colours:
        return _draw(
            curves,
            orders=orders,
            lo=float(lo),
            hi=float(hi),
            points=points or DEFAULT_POINTS,
            eps=saturation,
            size=size,
            title=title,
            slice_dim=slice_dim,
            colours=colours,
        )


def _check_options(
    series: Sequence[Activation],
    orders: tuple[int, ...],
    lo: float,
    hi: float,
    points: int | None,
    saturation: float | None,
    size: tuple[float, float] | None,
    labels: Sequence[str] | None,
    slice_dim: int,
) -> None:

    if not series:
        raise UsageError("nothing to plot: give at least one activation")
    if not orders or len(set(orders)) != len(orders):
        raise UsageError(f"orders {orders}: give distinct orders")
    if any(not 0 <= k <= MAX_ORDER for k in orders):
        raise UsageError(f"orders {orders}: each must be 0 to {MAX_ORDER}")
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi and math.isfinite(hi - lo)):
        raise UsageError(f"--range {lo:g} {hi:g}: need finite LO < HI a finite distance apart")
    if hi - lo < max(MIN_WIDTH, 1e-12 * max(abs(lo), abs(hi))):
        raise UsageError(
            f"--range {lo:g} {hi:g}: too narrow to draw; HI - LO must be at least {MIN_WIDTH:g} "
            "and 1e-12 times the larger end"
        )
    if points is not None and not 2 <= points <= MAX_POINTS:
        raise UsageError(f"--points {points}: give 2 to {MAX_POINTS}")
    if saturation is not None and not (math.isfinite(saturation) and saturation > 0):
        raise UsageError(f"--saturation {saturation}: must be a positive number")
    if size is not None and not all(math.isfinite(s) and 0 < s <= 100 for s in size):
        raise UsageError(f"--size {size[0]:g} {size[1]:g}: give inches, each in (0, 100]")
    if labels is not None and len(labels) != len(series):
        raise UsageError(f"{len(labels)} labels for {len(series)} series")
    if not 1 <= slice_dim <= MAX_EXPLICIT_N:
        raise UsageError(f"--slice-dim {slice_dim}: give 1 to {MAX_EXPLICIT_N}")


def _curves(
    series: Sequence[Activation], labels: Sequence[str], max_order: int, slice_dim: int
) -> list[_Curve]:
    curves: list[_Curve] = []
    for activation, label in zip(series, labels, strict=True):
        if activation.kind == "vector":
            curves.extend(_vector_curves(activation, label, max_order, slice_dim))
        else:
            curves.append(_scalar_curve(activation, label, max_order))
    return curves


def _samples(curves: list[_Curve], lo: float, hi: float, points: int) -> np.ndarray:
    """The uniform grid plus c - delta, c, c + delta at every breakpoint c in [lo, hi]."""

    extra = []
    for c in {c for curve in curves for c in curve.breakpoints if lo <= c <= hi}:
        delta = max((hi - lo) * 1e-9, 8 * float(np.spacing(abs(c))))
        extra.extend(x for x in (c - delta, c, c + delta) if lo <= x <= hi)
    return np.unique(np.concatenate([np.linspace(lo, hi, points), np.array(extra)]))


def _draw(
    curves: list[_Curve],
    *,
    orders: tuple[int, ...],
    lo: float,
    hi: float,
    points: int,
    eps: float | None,
    size: tuple[float, float] | None,
    title: str | None,
    slice_dim: int,
    colours: dict[str, str],
) -> tuple[Figure, PlotResult]:

    x = _samples(curves, lo, hi, points)
    vector_only = all(c.component is not None for c in curves)
    any_vector = any(c.component is not None for c in curves)
    figure = Figure(figsize=figure_size(orders, size), layout="constrained")
    axes = figure.subplots(len(orders), 1, sharex=True, squeeze=False)[:, 0]
    notes: list[str] = []
    discontinuities: list[Discontinuity] = []
    undefined: list[Undefined] = []
    intervals = _saturation(curves, x, eps, lo, hi) if eps is not None else ()
    for ax, order in zip(axes, orders, strict=True):
        _prepare_axes(ax, colours)
        for number, interval in enumerate(intervals):
            slope = r"\mathrm{d}y_i/\mathrm{d}t" if vector_only else "f'"
            first = ax is axes[0] and number == 0  # one legend entry for all shaded spans
            label = f"$|{slope}| < {eps:g}$" if first else "_nolegend_"
            ax.axvspan(*interval, color=colours["muted"], alpha=0.18, lw=0, label=label)
        jumps = []
        for index, curve in enumerate(curves):
            marks, found, missing = _marks(curve, order, lo, hi)
            discontinuities.extend(found)
            undefined.extend(missing)
            jumps.extend(found)
            if _plot_curve(ax, curve, x, order, marks, _line_style(index, curve), colours):
                notes.append(
                    f"{curve.label}: {_ylabel(order, False, tex=False)} beyond +-{MAX_DRAWN:g} "
                    "is not drawn"
                )
        ax.set_xlim(lo, hi)
        bottom, top = ax.get_ylim()
        if bottom <= 0 <= top:
            ax.axhline(0, color=colours["ink"], lw=0.7, zorder=1.5)
        if lo <= 0 <= hi:
            ax.axvline(0, color=colours["ink"], lw=0.7, zorder=1.5)
        ax.set_ylabel(_ylabel(order, vector_only, tex=True))
        notes.extend(_zoom_small_jumps(ax, curves, jumps, order, lo, hi, colours))
    axes[-1].xaxis.set_major_locator(_x_locator(lo, hi, figure.get_figwidth()))
    axes[-1].set_xlabel("$t$" if vector_only else ("$x$, $t$" if any_vector else "$x$"))
    _legend(figure, axes[0])
    main_title, subtitle = _titles(curves, title, slice_dim, any_vector)
    math_problem = _math_text_problem(main_title)
    figure.suptitle(main_title, parse_math=math_problem is None)
    if math_problem is not None:
        notes.append(f"title drawn as plain text: its $...$ is not math text ({math_problem})")
    if subtitle:
        axes[0].set_title(subtitle, fontsize=9, color=colours["muted"])
        notes.insert(0, f"vector kinds are drawn along the {subtitle}")
    if eps is not None and len(curves) > 1:
        notes.append(f"saturation: shaded where every series has |f'| < {eps:g}")
    panels = tuple(
        Panel(order, _ylabel(order, vector_only, tex=False), tuple(map(float, ax.get_ylim())))
        for ax, order in zip(axes, orders, strict=True)
    )
    result = PlotResult(
        panels=panels,
        series=tuple(
            SeriesInfo(c.label, c.activation.name, c.activation.params, orders, c.component)
            for c in curves
        ),
        x_range=(lo, hi),
        points=points,
        breakpoints=tuple(sorted({c for cu in curves for c in cu.breakpoints if lo <= c <= hi})),
        discontinuities=tuple(discontinuities),
        undefined=tuple(undefined),
        saturation=None if eps is None else Saturation(eps, tuple(intervals)),
        notes=tuple(notes),
    )
    return figure, result


def _prepare_axes(ax: Axes, colours: dict[str, str]) -> None:
    """Grid, tick colours and full tick labels, set explicitly (not left to rc at draw time)."""

    ax.grid(True, color=colours["muted"], alpha=0.35, linewidth=0.6)
    ax.tick_params(colors=colours["ink"])
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(ScalarFormatter(useOffset=False))


def _x_locator(lo: float, hi: float, width: float) -> Any:
    """Fewer x ticks when their full labels are long (a narrow range far from 0, such as
    19.999999 to 20.000001), so neighbouring labels do not overlap."""

    step = (hi - lo) / 5
    decimals = max(0, 1 - math.floor(math.log10(step)))
    integer_digits = max(1, math.floor(math.log10(max(abs(lo), abs(hi)))) + 1)
    chars = integer_digits + decimals + 2
    room = width * 0.8 / 0.085  # characters across the axes at a 10-point font
    return MaxNLocator(nbins=max(2, min(9, int(room / (chars + 3)))), steps=[1, 2, 2.5, 5, 10])


def _line_style(index: int, curve: _Curve) -> tuple[str, str]:
    """Colour by series; vector components also by line style, since some coincide (softmax's
    y_2 = y_3 on the slice) and a solid line would hide the other."""

    colour = PALETTE[index % len(PALETTE)]
    step = (curve.component - 1) if curve.component is not None else index // len(PALETTE)
    return colour, _LINESTYLES[step % len(_LINESTYLES)]


def _marks(
    curve: _Curve, order: int, lo: float, hi: float
) -> tuple[_Marks, list[Discontinuity], list[Undefined]]:
    """Gaps and markers of one curve in panel `order`, and what they record."""

    marks = _Marks()
    found, missing = [], []
    for kink in curve.kinks:
        c = kink.x
        if not lo <= c <= hi or _jump_order(kink) > order:
            continue  # f^(order) is continuous at c
        left, right = kink.left[order], kink.right[order]
        if order == 0:
            value = float(curve.values(0, np.array([c]))[0])
            attained = _nearest(value, left, right)
            if attained == "right":
                marks.breaks.append((c, "before"))
                marks.opened.append((c, left))
            elif attained == "left":
                marks.breaks.append((c, "after"))
                marks.opened.append((c, right))
            else:
                marks.breaks.extend([(c, "before"), (c, "after")])
                marks.opened.extend([(c, left), (c, right)])
            if math.isfinite(value):
                marks.closed.append((c, value))
            found.append(Discontinuity(curve.label, c, 0, left, right, value))
            continue
        # f^(order) does not exist at c; `values` leaves it NaN there, which is the gap
        marks.opened.append((c, left))
        if not _close(left, right):
            marks.opened.append((c, right))
            found.append(Discontinuity(curve.label, c, order, left, right, None))
        missing.append(Undefined(curve.label, c, order))
    marks.opened = [p for p in marks.opened if all(map(math.isfinite, p))]
    return marks, found, missing


def _nearest(value: float, left: float, right: float) -> str | None:
    """Which one-sided limit f(c) attains: the nearer, if it agrees to rounding (jumps can be
    1e-10 relative, as in PyTorch's softplus, so a loose tolerance alone would not do)."""
    if not math.isfinite(value):
        return None
    side, limit = min(("left", left), ("right", right), key=lambda s: abs(value - s[1]))
    return side if _close(value, limit) else None


def _close(a: float, b: float) -> bool:
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def _plot_curve(
    ax: Axes,
    curve: _Curve,
    x: np.ndarray,
    order: int,
    marks: _Marks,
    style: tuple[str, str],
    colours: dict[str, str],
) -> bool:
    """Draw one curve; True when some of its values were too large to draw (left out)."""
    y = curve.values(order, x)
    huge = np.abs(y) > MAX_DRAWN  # matplotlib's transforms overflow on a span near 1e308
    y = np.where(huge, np.nan, y)
    positions, inserted = [], []
    for c, side in marks.breaks:
        at = int(np.searchsorted(x, c))
        positions.append(at if side == "before" else at + 1)
        inserted.append(c)
    if positions:
        x = np.insert(x, positions, inserted)
        y = np.insert(y, positions, np.nan)
    colour, linestyle = style
    ax.plot(x, y, color=colour, linestyle=linestyle, lw=1.6, label=curve.label, zorder=2)
    closed = [(a, b) for a, b in marks.closed if abs(b) <= MAX_DRAWN]
    opened = [(a, b) for a, b in marks.opened if abs(b) <= MAX_DRAWN]
    if closed:
        xs, ys = zip(*closed, strict=True)
        ax.plot(xs, ys, "o", ms=5.5, color=colour, label="_closed", zorder=4)
    if opened:
        xs, ys = zip(*opened, strict=True)
        ax.plot(
            xs, ys, "o", ms=5.5, mfc=colours["paper"], mec=colour, mew=1.4, label="_open", zorder=5
        )
    return bool(huge.any())


def _zoom_small_jumps(
    ax: Axes,
    curves: list[_Curve],
    jumps: list[Discontinuity],
    order: int,
    lo: float,
    hi: float,
    colours: dict[str, str],
) -> list[str]:
    """An inset around the first jump too small to see at the panel's scale, and notes."""

    bottom, top = ax.get_ylim()
    small = [j for j in jumps if abs(j.right - j.left) < ZOOM_BELOW * (top - bottom)]
    if not small:
        return []
    notes = []
    for jump in small:
        share = abs(jump.right - jump.left) / (top - bottom)
        notes.append(
            f"{jump.series}: {_ylabel(order, False, tex=False)} jumps by "
            f"{abs(jump.right - jump.left):.3g} at x = {jump.x:.15g} ({100 * share:.2g}% of the "
            "panel's height): drawn as a gap with open/closed markers"
        )
    jump = small[0]
    curve = next(c for c in curves if c.label == jump.series)
    slope = np.nan_to_num(curve.values(order + 1, np.array([jump.x - 1e-12, jump.x + 1e-12])))
    height = abs(jump.right - jump.left)
    half = min((hi - lo) / 2, 2 * height / max(float(np.max(np.abs(slope))), 1e-300))
    half = max(half, 1e3 * float(np.spacing(abs(jump.x))), 1e-300)
    zoom_lo, zoom_hi = max(lo, jump.x - half), min(hi, jump.x + half)
    inset = ax.inset_axes((0.62, 0.08, 0.35, 0.4))
    _prepare_axes(inset, colours)
    inset.set_facecolor(colours["paper"])
    x = _samples([curve], zoom_lo, zoom_hi, 201)
    marks, _, _ = _marks(curve, order, zoom_lo, zoom_hi)
    index = curves.index(curve)
    _plot_curve(inset, curve, x, order, marks, _line_style(index, curve), colours)
    inset.set_xlim(zoom_lo, zoom_hi)
    inset.set_xticks([jump.x])
    inset.tick_params(labelsize=7)
    for line in inset.get_lines():
        line.set_label("_zoom")  # not a series: the legend and series counts skip it
    ax.indicate_inset_zoom(inset, edgecolor=colours["muted"])
    notes.append(f"the inset zooms to x in [{zoom_lo:.15g}, {zoom_hi:.15g}] around that jump")
    return notes


def _saturation(
    curves: list[_Curve], x: np.ndarray, eps: float, lo: float, hi: float
) -> list[tuple[float, float]]:
    """Intervals of [lo, hi] where every curve has |f'| < eps, ends refined by bisection."""

    breakpoints = [c for curve in curves for c in curve.breakpoints]

    def saturated(t: np.ndarray) -> np.ndarray:
        inside = np.ones(t.shape, dtype=bool)
        for curve in curves:
            inside &= np.abs(curve.values(1, t)) < eps  # NaN compares False
        return inside

    def boundary(a: float, b: float, value_at_a: bool) -> float:
        for _ in range(80):
            middle = (a + b) / 2
            if middle in (a, b):
                break
            if bool(saturated(np.array([middle]))[0]) == value_at_a:
                a = middle
            else:
                b = middle
        end = (a + b) / 2
        # a breakpoint (relu's 0) is where f' switches: report it, not a bisection residue
        near = [c for c in breakpoints if abs(end - c) <= 1e-8 * (hi - lo)]
        return near[0] if near else end

    mask = saturated(x)
    runs: list[tuple[float, float]] = []
    start = None
    for i, inside in enumerate(mask):
        if inside and start is None:
            start = lo if i == 0 else boundary(x[i - 1], x[i], False)
        if start is not None and (not inside or i == len(mask) - 1):
            end = hi if inside else boundary(x[i - 1], x[i], True)
            if runs and end > start and start - runs[-1][1] <= 1e-12 * (hi - lo):
                runs[-1] = (runs[-1][0], end)  # split only by a point where f' is undefined
            else:
                runs.append((start, end))
            start = None
    return [(float(a), float(b)) for a, b in runs if b > a]


def _legend(figure: Figure, ax: Axes) -> None:
    """Below the panels, where it never covers data (and never needs matplotlib's slow "best"
    placement search over every sample)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        columns = min(len(handles), 3)
        figure.legend(handles, labels, loc="outside lower center", ncols=columns, fontsize=8.5)


def figure_size(orders: Sequence[int], size: tuple[float, float] | None) -> tuple[float, float]:
    """The figure's width and height in inches: `size`, or a 6.4-inch-wide panel per order."""
    return size or (6.4, 2.2 + 2.0 * len(orders))


def _math_text_problem(text: str) -> str | None:
    """Why matplotlib could not draw `text`'s $...$ as math text (None: it can, or has none)."""
    if not is_math_text(text):
        return None
    try:
        MathTextParser("path").parse(text)
    except ValueError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        return (lines[-1] if lines else type(exc).__name__)[:100]
    return None


def _titles(
    curves: list[_Curve], title: str | None, slice_dim: int, any_vector: bool
) -> tuple[str, str]:
    names = list(dict.fromkeys(c.activation.name for c in curves))
    if title is None:
        title = curves[0].activation.spec.title if len(names) == 1 else ", ".join(names)
    subtitle = ""
    if any_vector:
        subtitle = "slice x = (" + ", ".join(["t"] + ["0"] * (slice_dim - 1)) + ")"
    return title, subtitle


def _ylabel(order: int, vector: bool, *, tex: bool) -> str:
    """f(x), f'(x), f''(x), f^(3)(x); for vector slices y_i(t), dy_i/dt, d^2y_i/dt^2."""
    if vector:
        if order == 0:
            text = "y_i(t)"
        elif tex:
            power = "" if order == 1 else f"^{order}"
            return rf"$\mathrm{{d}}{power}y_i/\mathrm{{d}}t{power}$"
        else:
            text = "dy_i/dt" if order == 1 else f"d^{order}y_i/dt^{order}"
        return f"${text}$" if tex else text
    if order <= 2:
        text = "f" + "'" * order + "(x)"
    else:
        text = f"f^{{({order})}}(x)" if tex else f"f^({order})(x)"
    return f"${text}$" if tex else text
