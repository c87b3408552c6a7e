"""Shared figure conventions: a colour-blind-safe palette, light/dark styles, and saving a figure
to bytes in the format an output path asks for (`actcli.formats.figure_format`).

Figures are `matplotlib.figure.Figure` objects saved through their own canvas, never pyplot, so
no GUI backend is ever selected and a library user's backend is left alone. Only the drawing
modules (`actcli.plot`, `actcli.propagation.figure`) import this one.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import matplotlib
from matplotlib.figure import Figure

from actcli.errors import UsageError

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency. Black (first in their list) is left out so it can mark zero lines and points.
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
)
STYLES = ("light", "dark")
# read when a figure is saved, not when it is drawn: figure_bytes applies them itself, so output
# is reproducible even when the figure is saved after the style context has ended
SAVE_SETTINGS = {"svg.hashsalt": "actcli", "pdf.compression": 6}


@contextlib.contextmanager
def style(name: str) -> Iterator[dict[str, str]]:
    """matplotlib rc settings for `light` or `dark` (headless Agg backend); yields the colours
    to use for text-like marks: {"ink": ..., "muted": ..., "paper": ...}."""
    if name not in STYLES:
        raise UsageError(f"--style {name!r}: use one of {', '.join(STYLES)}")
    dark = name == "dark"
    ink, muted, paper = (
        ("#E8E8E8", "#8A8A8A", "#1E1E1E") if dark else ("#000000", "#9A9A9A", "#FFFFFF")
    )
    settings = {
        "figure.facecolor": paper,
        "axes.facecolor": paper,
        "savefig.facecolor": paper,
        "axes.edgecolor": ink,
        "axes.labelcolor": ink,
        "text.color": ink,
        "xtick.color": ink,
        "ytick.color": ink,
        "grid.color": muted,
        "grid.alpha": 0.35,
        "grid.linewidth": 0.6,
        "axes.grid": True,
        "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE)),
        "legend.frameon": False,
        "font.size": 10,
        **SAVE_SETTINGS,
    }
    with matplotlib.rc_context(settings):
        yield {"ink": ink, "muted": muted, "paper": paper}


def figure_bytes(figure: Figure, fmt: str, dpi: float | None = None) -> bytes:
    """The figure encoded as PNG, SVG or PDF (metadata without dates, so output is reproducible)."""
    buffer = io.BytesIO()
    metadata = {"png": {"Software": "actcli"}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
    with matplotlib.rc_context(SAVE_SETTINGS):
        figure.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata[fmt], bbox_inches="tight")
    return buffer.getvalue()
