"""Gradient propagation through deep stacks of an activation (`actcli simulate-depth`).

Monte Carlo networks (`montecarlo`), mean-field theory (`meanfield`) and Nielsen's scalar chain
(`chain`), combined by `simulate_depth` (`simulate`); `depth_figure` (`figure`) draws a result.
"""

from __future__ import annotations

from actcli.propagation.figure import depth_figure
from actcli.propagation.simulate import (
    DTYPES,
    INITS,
    MODES,
    DepthResult,
    DepthRun,
    Estimate,
    available_memory,
    customary_init,
    simulate_depth,
    verdict,
)

__all__ = [
    "DTYPES",
    "INITS",
    "MODES",
    "DepthResult",
    "DepthRun",
    "Estimate",
    "available_memory",
    "customary_init",
    "depth_figure",
    "simulate_depth",
    "verdict",
]
