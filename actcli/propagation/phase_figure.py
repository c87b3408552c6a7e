"""The phase diagram figure (Schoenholz et al. 2017, Fig. 1): chi_1 over sigma_w2 (x) and
sigma_b2 (y), one panel per activation.

chi_1 is a diverging colour map centred on 1 (`TwoSlopeNorm`: blue ordered, red chaotic, white
at the edge of chaos); grid points where the variance map diverges or did not settle are left
grey (their chi_1 is a limit, not a fixed point's); chi_1 = inf at a finite q* (E[f'^2]
diverges, as for sqrt|x|) takes the scale's top colour, its colour bar extended. The critical
line (`critical_sigma_w2` at each sigma_b2 of the grid, found by root finding) is drawn over it
in black, broken where there is none.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from actcli import figures
from actcli.propagation.phase import PhaseResult

_MARGIN = 1e-3  # the colour scale reaches at least this far on each side of chi_1 = 1


def phase_figure(result: PhaseResult, style: str = "light") -> Figure:
    """A figure of `result`: one panel per activation, side by side (matplotlib, Agg)."""
    count = len(result.diagrams)
    with figures.style(style) as colours:
        figure = Figure(figsize=(4.6 * count, 3.9), layout="constrained")
        panels = figure.subplots(1, count, squeeze=False)[0]
        for axes, diagram in zip(panels, result.diagrams, strict=True):
            settled = np.array(
                [
                    [phase not in ("divergent", "undetermined") for phase in row]
                    for row in diagram.phase
                ]
            )
            chi = np.where(settled, diagram.chi_1, np.nan)
            shown = chi[np.isfinite(chi)]
            low = min(float(shown.min()), 1 - _MARGIN) if shown.size else 1 - _MARGIN
            high = max(float(shown.max()), 1 + _MARGIN) if shown.size else 1 + _MARGIN
            cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad=colours["muted"])
            infinite = np.isposinf(chi)  # E[f'^2] diverges (sqrt|x|): chaotic, the scale's top
            mesh = axes.pcolormesh(
                diagram.sigma_w2,
                diagram.sigma_b2,
                np.ma.masked_invalid(np.where(infinite, 2 * high, chi)),
                shading="nearest",
                cmap=cmap,
                norm=TwoSlopeNorm(vcenter=1.0, vmin=low, vmax=high),
                rasterized=True,
            )
            figure.colorbar(
                mesh, ax=axes, label="χ1", extend="max" if infinite.any() else "neither"
            )
            line = [
                (point.sigma_w2, point.sigma_b2)
                if point.sigma_w2 is not None
                else (math.nan, point.sigma_b2)
                for point in diagram.critical_line
            ]
            xs, ys = np.array(line).T
            axes.plot(xs, ys, color=colours["ink"], linewidth=1.6, marker=".", markersize=3)
            axes.set_xlim(diagram.sigma_w2[0], diagram.sigma_w2[-1])
            axes.set_ylim(diagram.sigma_b2[0], diagram.sigma_b2[-1])
            axes.grid(False)
            label = diagram.activation
            if diagram.params:
                label += " (" + ", ".join(f"{k}={v:g}" for k, v in diagram.params.items()) + ")"
            axes.set_title(label)
            axes.set_xlabel("σw²")
            axes.set_ylabel("σb²")
        handles = [
            Line2D([], [], color=colours["ink"], linewidth=1.6, label="critical line (χ1 = 1)")
        ]
        if any(
            phase in ("divergent", "undetermined")
            for d in result.diagrams
            for phase in sum(d.phase, ())
        ):
            handles.append(Patch(color=colours["muted"], label="divergent / undetermined"))
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    return figure
