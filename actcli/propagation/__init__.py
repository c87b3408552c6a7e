"""Gradient propagation through deep stacks of an activation (`actcli simulate-depth`).

Monte Carlo networks (`montecarlo`), mean-field theory (`meanfield`) and Nielsen's scalar chain
(`chain`), combined by `simulate_depth` (`simulate`); `actcli init`'s variance preserving and
critical weight variances (`initialisation`, on `meanfield`); `actcli phase`'s phase diagram on a
sigma_w2 x sigma_b2 grid (`phase`, on `meanfield`).
`actcli.propagation.figure.depth_figure` draws a depth result and
`actcli.propagation.phase_figure.phase_figure` a phase diagram (each imported on its own: they
load matplotlib).
"""

from __future__ import annotations

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
    "simulate_depth",
    "verdict",
]
