"""The depth figure: gradient norm ratio ||delta^l|| / ||delta^L|| against layer l.

Per activation: the Monte Carlo geometric mean over seeds (solid) with a band of one standard
deviation of log10 over seeds, the mean-field prediction (dashed, same colour), and the verdict
thresholds as labelled horizontal lines. The y axis is log10 of the ratio drawn on a linear
scale with 10^k tick labels, so ratios beyond float range (10^-400) still plot.

What the axes must not hide:

- The lowest decade the data reaches (10^-31 for sigmoid at depth 50) has a tick label: the
  axis starts at a whole decade and that decade is always among the ticks.
- A threshold's label never sits under a curve: it goes where, along its line, no curve (and
  not the legend) passes, preferring the right end; where every place is crossed, outside the
  axes on the right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Annotation
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator
from matplotlib.transforms import Bbox

from actcli import figures
from actcli.propagation.simulate import DepthResult, DepthRun

CLEARANCE = 3.0  # pixels (at the figure's dpi) kept between a threshold label and any curve
_FRACTIONS = (0.5, 0.3, 0.7, 0.15, 0.85, 0.4, 0.6, 0.25, 0.75)  # label centres, along the line


@dataclass
class _Drawn:
    """What one figure draws, in data coordinates (y is log10 of the ratio)."""

    curves: list[tuple[np.ndarray, np.ndarray]]
    bands: list[tuple[np.ndarray, np.ndarray, np.ndarray]]

    def values(self) -> np.ndarray:
        parts = [y for _, y in self.curves] + [y for _, lo, hi in self.bands for y in (lo, hi)]
        joined = np.concatenate(parts) if parts else np.array([])
        return joined[np.isfinite(joined)]


def depth_figure(
    result: DepthResult, style: str = "light", size: tuple[float, float] | None = None
) -> Figure:
    """A publication-style figure of `result` (matplotlib imported here, Agg backend).

    The legend names each activation once (its colour) and the two line styles once.
    """

    with figures.style(style) as colours:
        figure = Figure(figsize=size or (6.4, 4.2), layout="constrained")
        axes = figure.add_subplot()
        drawn = _Drawn([], [])
        for index, run in enumerate(result.runs):
            colour = figures.PALETTE[index % len(figures.PALETTE)]
            _draw_run(axes, run, colour, drawn, grid=result.grid)
        low, high = math.log10(result.vanish_below), math.log10(result.explode_above)
        _y_axis(axes, drawn.values(), low, high)
        for level in (high, low):
            axes.axhline(level, color=colours["muted"], linestyle=":", linewidth=1.0, zorder=1)
        runs = result.runs
        if any(run.montecarlo is not None for run in runs):
            axes.plot(
                [],
                [],
                color=colours["muted"],
                linewidth=1.6,
                label="Monte Carlo (band: ±1 sd over seeds)",
            )
        if any(run.meanfield is not None for run in runs):
            axes.plot(
                [], [], color=colours["muted"], linestyle="--", linewidth=1.2, label="mean field"
            )
        first = result.runs[0]
        axes.set_xlim(1, max(run.depth for run in runs))
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("layer $l$")
        axes.set_ylabel(r"$\|\delta^l\| \,/\, \|\delta^L\|$")
        shape = "" if result.grid else f"L = {first.depth}, width {first.width}, "
        axes.set_title(
            f"Gradient norm through depth ({shape}"
            f"{first.seeds} seed{'s' if first.seeds != 1 else ''}, {first.dtype})",
            fontsize=10,
        )
        _legend(figure, axes)
        _threshold_labels(
            figure, axes, drawn, ((high, "exploding above"), (low, "vanishing below")), colours
        )
    return figure


def _draw_run(axes: Axes, run: DepthRun, colour: str, drawn: _Drawn, grid: bool) -> None:
    layers = np.arange(1, run.depth + 1)
    values = ", ".join(f"{key}={value:.4g}" for key, value in run.params.items())
    shown = f"{run.activation} [{values}]" if values else run.activation  # --param, --sweep
    name = f"{shown} ({run.init}, $\\sigma_w^2$ = {run.sigma_w2:.4g})"
    if grid:  # several depths or widths: each curve says which
        name = f"{shown} (L = {run.depth}, N = {run.width}, {run.init})"
    rows = run.layers()
    if run.montecarlo is not None:
        mean = np.array([_finite(row["log10_factor_mean"]) for row in rows])
        std = np.array([_finite(row["log10_factor_std"], 0.0) for row in rows])
        axes.fill_between(layers, mean - std, mean + std, color=colour, alpha=0.2, linewidth=0)
        axes.plot(layers, mean, color=colour, linewidth=1.6, label=name)
        drawn.curves.append((layers, mean))
        drawn.bands.append((layers, mean - std, mean + std))
    if run.meanfield is not None:
        predicted = np.array([_finite(value) for value in run.meanfield.log10_factor])
        axes.plot(
            layers,
            predicted,
            color=colour,
            linestyle="--",
            linewidth=1.2,
            label=None if run.montecarlo is not None else name,
        )
        drawn.curves.append((layers, predicted))


def _finite(value: float | None, default: float = math.nan) -> float:
    """nan for values that cannot be drawn (None, +-inf), so the line breaks there."""
    if value is None:
        return default
    return value if math.isfinite(value) else math.nan


# -- the y axis: whole decades, the lowest one reached labelled ---------------------------------


def _y_axis(axes: Axes, values: np.ndarray, low: float, high: float) -> None:
    """Limits from a whole decade below the data (and the thresholds) to room above the top
    threshold's label; ticks every few decades plus the lowest decade the data reaches."""

    data_lo = float(values.min()) if values.size else low
    data_hi = float(values.max()) if values.size else high
    top = max(data_hi, high) + 0.05 * (max(data_hi, high) - min(data_lo, low))
    top = max(top, high + 2.5)
    margin = 0.03 * (top - min(data_lo, low - 1))
    bottom = math.floor(min(data_lo - margin, low - 1))
    axes.set_ylim(bottom, top)
    floor = math.floor(data_lo)
    ticks = [float(t) for t in MaxNLocator(nbins=8, integer=True).tick_values(bottom, top)]
    ticks = [t for t in ticks if bottom <= t <= top]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    if floor not in ticks:
        # the lowest decade reached; a regular tick too close to it would overlap its label
        ticks = sorted([floor, *(t for t in ticks if abs(t - floor) >= step / 2)])
    axes.yaxis.set_major_locator(FixedLocator(ticks))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"$10^{{{value:g}}}$"))


# -- the legend and the threshold labels -------------------------------------------------------


def _legend(figure: Figure, axes: Axes) -> None:
    """matplotlib's "best" place among the curves, then pinned there, so the threshold labels
    placed after it (which it would otherwise move away from) can avoid it."""
    handles, _ = axes.get_legend_handles_labels()
    if not handles:
        return
    legend = axes.legend(fontsize=8, loc="best")
    figure.draw_without_rendering()
    corner = legend.get_window_extent().transformed(axes.transAxes.inverted())
    axes.legend(fontsize=8, loc=(corner.x0, corner.y0))


def _threshold_labels(
    figure: Figure,
    axes: Axes,
    drawn: _Drawn,
    thresholds: tuple[tuple[float, str], ...],
    colours: dict[str, str],
) -> None:
    figure.draw_without_rendering()
    points = _curve_points(axes, drawn)
    blocked = []
    legend = axes.get_legend()
    if legend is not None:
        blocked.append(legend.get_window_extent())
    outside = False
    labels = []
    for level, text in thresholds:
        label = axes.annotate(
            f"{text} $10^{{{level:g}}}$",
            xy=(1.0, level),
            xycoords=("axes fraction", "data"),
            fontsize=8,
            color=colours["muted"],
            bbox={"boxstyle": "square,pad=0.1", "facecolor": colours["paper"], "edgecolor": "none"},
            zorder=1.5,  # over the grid, under the curves
        )
        labels.append((label, level))
        if _place(axes, label, level, points, drawn, blocked):
            blocked.append(_extent(label))
        else:
            _put_outside(label)
            outside = True
    if outside:  # the axes shrank to make room: the legend and the others again
        figure.draw_without_rendering()
        _legend(figure, axes)
        legend = axes.get_legend()
        points = _curve_points(axes, drawn)
        blocked = [] if legend is None else [legend.get_window_extent()]
        for label, level in labels:
            if label.get_annotation_clip() is not False:
                if not _place(axes, label, level, points, drawn, blocked):
                    _put_outside(label)
                blocked.append(_extent(label))


def _put_outside(label: Annotation) -> None:
    label.set_position((4, 0))
    label.set_anncoords("offset points")
    label.xy = (1.0, label.xy[1])
    label.set_horizontalalignment("left")
    label.set_verticalalignment("center")
    label.set_annotation_clip(False)


def _candidates(level: float) -> list[tuple[float, float, str, str]]:
    """(x fraction, y offset in points, ha, va): the right end, the left end, then along the
    line; first on the side away from the data's usual side (above the upper threshold, below
    the lower one), then on the other side."""
    natural = 1 if level > 0 else -1
    found = []
    for side in (natural, -natural):
        va = "bottom" if side > 0 else "top"
        found.append((1.0, 4.0 * side, "right", va))
        found.append((0.0, 4.0 * side, "left", va))
        found.extend((f, 4.0 * side, "center", va) for f in _FRACTIONS)
    return found


def _place(
    axes: Axes,
    label: Annotation,
    level: float,
    points: np.ndarray,
    drawn: _Drawn,
    blocked: list[Bbox],
) -> bool:
    """Move `label` to the first candidate clear of every curve and blocked box, preferring
    one outside the bands; False when every candidate touches a curve."""

    box = axes.get_window_extent()
    best: tuple[int, tuple[float, float, str, str]] | None = None
    for candidate in _candidates(level):
        _set(label, level, candidate)
        extent = _extent(label)
        if not (box.x0 <= extent.x0 and extent.x1 <= box.x1):
            continue
        if not (box.y0 <= extent.y0 and extent.y1 <= box.y1):
            continue
        if any(extent.overlaps(other) for other in blocked):
            continue
        if _clearance(extent, points) < CLEARANCE:
            continue
        in_bands = _band_overlap(axes, extent, drawn)
        if in_bands == 0:
            return True
        if best is None or in_bands < best[0]:
            best = (in_bands, candidate)
    if best is None:
        return False
    _set(label, level, best[1])
    return True


def _set(label: Annotation, level: float, candidate: tuple[float, float, str, str]) -> None:
    fraction, offset, ha, va = candidate
    label.xy = (fraction, level)
    shift = {"right": -4.0, "left": 4.0, "center": 0.0}[ha]
    label.set_position((shift, offset))
    label.set_anncoords("offset points")
    label.set_horizontalalignment(ha)
    label.set_verticalalignment(va)


def _extent(label: Annotation) -> Bbox:
    """The label's box in display coordinates, with its background patch's padding."""
    extent = label.get_window_extent()
    return extent.expanded(1.0, 1.0).padded(2.0)


def _curve_points(axes: Axes, drawn: _Drawn) -> np.ndarray:
    """Every curve in display coordinates, sampled along each segment about a pixel apart."""
    found = [np.empty((0, 2))]
    for x, y in drawn.curves:
        xy = axes.transData.transform(np.column_stack([x, y]))
        for a, b in zip(xy, xy[1:], strict=False):
            if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
                continue
            n = int(min(np.hypot(*(b - a)), 10_000)) + 2
            found.append(a + np.linspace(0.0, 1.0, n)[:, None] * (b - a))
        found.append(xy[np.all(np.isfinite(xy), axis=1)])
    return np.concatenate(found)


def _clearance(extent: Bbox, points: np.ndarray) -> float:
    """The distance in pixels from the box to the nearest point (0 when one is inside)."""
    if points.size == 0:
        return math.inf
    dx = np.maximum(np.maximum(extent.x0 - points[:, 0], points[:, 0] - extent.x1), 0.0)
    dy = np.maximum(np.maximum(extent.y0 - points[:, 1], points[:, 1] - extent.y1), 0.0)
    return float(np.min(np.hypot(dx, dy)))


def _band_overlap(axes: Axes, extent: Bbox, drawn: _Drawn) -> int:
    """How many of a grid of points over the box lie inside some band."""
    xs, ys = np.meshgrid(np.linspace(extent.x0, extent.x1, 9), np.linspace(extent.y0, extent.y1, 3))
    data = axes.transData.inverted().transform(np.column_stack([xs.ravel(), ys.ravel()]))
    inside = 0
    for layers, lo, hi in drawn.bands:
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.sum() < 2:
            continue
        at_lo = np.interp(data[:, 0], layers[ok], lo[ok], left=np.nan, right=np.nan)
        at_hi = np.interp(data[:, 0], layers[ok], hi[ok], left=np.nan, right=np.nan)
        inside += int(np.sum((at_lo <= data[:, 1]) & (data[:, 1] <= at_hi)))
    return inside
