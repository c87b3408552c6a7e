"""The depth figure: gradient norm ratio ||delta^l|| / ||delta^L|| against layer l.

Per activation: the Monte Carlo geometric mean over seeds (solid) with a band of one standard
deviation of log10 over seeds, the mean-field prediction (dashed, same colour), and the verdict
thresholds as labelled horizontal lines. The y axis is log10 of the ratio drawn on a linear
scale with 10^k tick labels, so ratios beyond float range (10^-400) still plot.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from actcli import figures
from actcli.propagation.simulate import DepthResult, DepthRun


def depth_figure(
    result: DepthResult, style: str = "light", size: tuple[float, float] | None = None
) -> Figure:
    """A publication-style figure of `result` (matplotlib imported here, Agg backend).

    The legend names each activation once (its colour) and the two line styles once.
    """

    with figures.style(style) as colours:
        figure = Figure(figsize=size or (6.4, 4.2), layout="constrained")
        axes = figure.add_subplot()
        for index, run in enumerate(result.runs):
            _draw_run(axes, run, figures.PALETTE[index % len(figures.PALETTE)])
        low, high = math.log10(result.vanish_below), math.log10(result.explode_above)
        bottom, top = axes.get_ylim()
        axes.set_ylim(min(bottom, low - 1), max(top, high + 2.5))
        for level, label in ((high, "exploding above"), (low, "vanishing below")):
            axes.axhline(level, color=colours["muted"], linestyle=":", linewidth=1.0, zorder=1)
            axes.annotate(
                f"{label} $10^{{{level:g}}}$",
                xy=(1.0, level),
                xycoords=("axes fraction", "data"),
                xytext=(-4, 4 if level > 0 else -4),
                textcoords="offset points",
                ha="right",
                va="bottom" if level > 0 else "top",
                fontsize=8,
                color=colours["muted"],
                bbox={
                    "boxstyle": "square,pad=0.1",
                    "facecolor": colours["paper"],
                    "edgecolor": "none",
                },
                zorder=1.5,  # over the grid, under the curves
            )
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
        axes.set_xlim(1, first.depth)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.yaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"$10^{{{value:g}}}$"))
        axes.set_xlabel("layer $l$")
        axes.set_ylabel(r"$\|\delta^l\| \,/\, \|\delta^L\|$")
        axes.set_title(
            f"Gradient norm through depth (L = {first.depth}, width {first.width}, "
            f"{first.seeds} seed{'s' if first.seeds != 1 else ''}, {first.dtype})",
            fontsize=10,
        )
        handles, labels = axes.get_legend_handles_labels()
        if handles:
            axes.legend(fontsize=8, loc="best")
    return figure


def _draw_run(axes: Axes, run: DepthRun, colour: str) -> None:
    layers = np.arange(1, run.depth + 1)
    name = f"{run.activation} ({run.init}, $\\sigma_w^2$ = {run.sigma_w2:.4g})"
    rows = run.layers()
    if run.montecarlo is not None:
        mean = np.array([_finite(row["log10_factor_mean"]) for row in rows])
        std = np.array([_finite(row["log10_factor_std"], 0.0) for row in rows])
        axes.fill_between(layers, mean - std, mean + std, color=colour, alpha=0.2, linewidth=0)
        axes.plot(layers, mean, color=colour, linewidth=1.6, label=name)
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


def _finite(value: float | None, default: float = math.nan) -> float:
    """nan for values that cannot be drawn (None, +-inf), so the line breaks there."""
    if value is None:
        return default
    return value if math.isfinite(value) else math.nan
