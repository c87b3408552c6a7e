"""`actcli phase`: the mean-field phase diagram of an activation on a sigma_w2 x sigma_b2 grid.

Schoenholz et al. (2017), "Deep information propagation", Fig. 1. Conventions of
`actcli.propagation.meanfield`. At each grid point (rows indexed by sigma_b2, columns by
sigma_w2):

- q*: the fixed point of q = sigma_w2 E[f(sqrt(q) z)^2] + sigma_b2, z ~ N(0, 1), reached by
  iterating from q^1 = sigma_w2 + sigma_b2 (`meanfield.settle_many` over the whole block of
  rows at once, as `simulate-depth` computes it one point at a time): 0 when the map
  collapses, inf when it diverges.
- chi_1 = sigma_w2 E[f'(sqrt(q*) z)^2] (its q -> 0 or q -> oo limit when q* is 0 or inf).
- the depth scale xi = -1/ln chi_1: layers per e-fold of gradient decay; inf in the critical
  phase, negative in the chaotic one (-xi layers per e-fold of growth), 0 at chi_1 = 0 (-0 at
  chi_1 = inf).
- the phase: ordered (chi_1 < 1), chaotic (chi_1 > 1, inf included: E[f'^2] diverges for
  sqrt|x|, whose q* is finite), critical (|chi_1 - 1| <= 1e-9),
  divergent (the map diverges: no finite q*), undetermined (the iteration did not converge or
  an expectation failed).

The critical line is `meanfield.critical_sigma_w2` at each sigma_b2 of the grid (root finding
on the fixed-point curve with its own checks, not read off the grid; `meanfield.critical_line`
does all rows together), None where there is none. One `GaussianMoments` per activation serves
every point, and every value of a point is the same float whichever rows share its block.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from actcli.activation import Activation
from actcli.errors import UsageError
from actcli.json_values import json_array, json_number, json_numbers, json_optional
from actcli.options import check_workers, parse_grid
from actcli.propagation.meanfield import (
    CRITICAL_TOLERANCE,
    GaussianMoments,
    critical_line,
    settle_many,
)
from actcli.sweep import run_jobs, worker_count

PHASES = ("ordered", "critical", "chaotic", "divergent", "undetermined")
DEFAULT_SIGMA_W2 = "1:4:13"
DEFAULT_SIGMA_B2 = "0:0.2:9"
POINT_SECONDS = 2e-4  # one grid point of a vectorised block (benchmarks/phase.py: 0.1-0.17 ms)
ROW_SECONDS = 0.015  # the critical-line search of one sigma_b2 row (10 activations x 6 rows: 0.9 s)

Grid = str | Sequence[float]


@dataclass(frozen=True)
class CriticalPoint:
    """The edge of chaos at one sigma_b2 of the grid: sigma_w2 None where there is none."""

    sigma_b2: float
    sigma_w2: float | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"sigma_b2": json_number(self.sigma_b2), "sigma_w2": json_optional(self.sigma_w2)}


@dataclass(frozen=True)
class PhaseDiagram:
    """One activation's grid: arrays of shape (len(sigma_b2), len(sigma_w2))."""

    activation: str
    params: dict[str, float]
    sigma_w2: np.ndarray
    sigma_b2: np.ndarray
    q_star: np.ndarray
    chi_1: np.ndarray
    depth_scale: np.ndarray
    phase: tuple[tuple[str, ...], ...]
    critical_line: tuple[CriticalPoint, ...]

    def counts(self) -> dict[str, int]:
        """How many grid points are in each phase (every phase named, 0 included)."""
        found = [name for row in self.phase for name in row]
        return {name: found.count(name) for name in PHASES}

    def to_json(self) -> dict[str, Any]:
        return {
            "activation": self.activation,
            "params": {name: json_number(value) for name, value in self.params.items()},
            "sigma_w2": json_numbers(self.sigma_w2.tolist()),
            "sigma_b2": json_numbers(self.sigma_b2.tolist()),
            "q_star": json_array(self.q_star),
            "chi_1": json_array(self.chi_1),
            "depth_scale": json_array(self.depth_scale),
            "phase": [list(row) for row in self.phase],
            "critical_line": [point.to_json() for point in self.critical_line],
        }


@dataclass(frozen=True)
class PhaseResult:
    """`actcli phase`: one diagram per activation."""

    diagrams: tuple[PhaseDiagram, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "activations": [diagram.to_json() for diagram in self.diagrams],
            "critical_tolerance": CRITICAL_TOLERANCE,
        }


def phase_of(status: str, chi_1: float) -> str:
    """The phase of a grid point from `settle`'s fixed-point status and chi_1."""
    if status == "diverges":
        return "divergent"
    if status == "no_convergence" or math.isnan(chi_1):  # inf (E[phi'^2] diverges): chaotic
        return "undetermined"
    if abs(chi_1 - 1.0) <= CRITICAL_TOLERANCE:
        return "critical"
    return "ordered" if chi_1 < 1 else "chaotic"


def depth_scale(chi_1: float, phase: str) -> float:
    """-1/ln chi_1: inf in the critical phase, 0 at chi_1 = 0, -0 at chi_1 = inf, nan when
    chi_1 is not known."""
    if phase == "critical":
        return math.inf
    if not chi_1 >= 0:
        return math.nan
    if chi_1 == 0:
        return 0.0
    log_chi = math.log(chi_1)
    return math.inf if log_chi == 0 else -1.0 / log_chi


def phase_diagram(
    activations: Sequence[Activation],
    sigma_w2: Grid = DEFAULT_SIGMA_W2,
    sigma_b2: Grid = DEFAULT_SIGMA_B2,
    progress: Callable[[int, int], None] | None = None,
    *,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> PhaseResult:
    """The phase diagram of each activation on the grid `sigma_w2` x `sigma_b2` (each `LO:HI:N`
    or (lo, hi, n), n points from lo to hi inclusive). `progress(done, total)` counts grid
    points and critical-line searches.

    The grid is cut into jobs of one activation and a block of sigma_b2 rows (`phase_rows`), run
    by `actcli.sweep.run_jobs`: in this process (`workers=1`), on `workers` local processes
    (None: the machine's cores when the grid is large enough to repay starting them), or on the
    Dask cluster at `scheduler`; the blocks are put back together in order. Every row is
    computed on its own, so the diagram is the same, bit for bit, however it was cut.

    Raises:
        UsageError: no activation, a vector activation, or a bad grid (sigma_w2 must be
            positive, sigma_b2 zero or positive, 2 <= N <= 200, LO < HI), a bad worker count,
            Dask missing or its scheduler unreachable.
    """
    w_lo, w_hi, w_n = parse_grid(sigma_w2, "--sigma-w2", positive=True)
    b_lo, b_hi, b_n = parse_grid(sigma_b2, "--sigma-b2")
    check_workers(workers)
    if not activations:
        raise UsageError("phase: name at least one activation")
    for activation in activations:
        if activation.kind != "scalar":
            raise UsageError(
                f"phase: {activation.name} is a {activation.kind} activation; "
                "a mean-field phase diagram needs a scalar (elementwise) one"
            )
    weights = np.linspace(w_lo, w_hi, w_n)
    biases = np.linspace(b_lo, b_hi, b_n)
    serial = len(activations) * b_n * (w_n * POINT_SECONDS + ROW_SECONDS)
    count = 1 if scheduler else worker_count(workers, serial, len(activations) * b_n)
    jobs = _row_blocks(activations, weights, biases, count, scheduler is not None)
    blocks = run_jobs(
        _phase_rows_job,
        jobs,
        workers=count,
        scheduler=scheduler,
        units=[len(job.biases) * (w_n + 1) for job in jobs],
        progress=progress,
    )
    diagrams = [
        _stitch([block for job, block in zip(jobs, blocks, strict=True) if job.index == i])
        for i in range(len(activations))
    ]
    return PhaseResult(tuple(diagrams))


@dataclass(frozen=True)
class _Rows:
    """A job: activation number `index` on the rows `biases` (picklable: the activation carries
    its spec, so a worker rebuilds exactly the same functions)."""

    index: int
    activation: Activation
    weights: np.ndarray
    biases: np.ndarray


def _row_blocks(
    activations: Sequence[Activation],
    weights: np.ndarray,
    biases: np.ndarray,
    workers: int,
    cluster: bool,
) -> list[_Rows]:
    """The jobs: in one process one per activation; for workers about four per worker (whole
    rows, never across activations), so that they end together; one row each on a cluster."""
    rows = len(biases)
    if cluster:
        size = 1
    elif workers == 1:
        size = rows
    else:
        size = max(1, math.ceil(len(activations) * rows / (4 * workers)))
    return [
        _Rows(index, activation, weights, biases[start : start + size])
        for index, activation in enumerate(activations)
        for start in range(0, rows, size)
    ]


def _phase_rows_job(job: _Rows, tick: Callable[[int], None] | None) -> PhaseDiagram:
    """`phase_rows` for one job (`actcli.sweep.run_jobs` calls it, here or in a worker)."""
    advance = None if tick is None else partial(tick, 1)
    return phase_rows(job.activation, job.weights, job.biases, advance)


def _stitch(blocks: Sequence[PhaseDiagram]) -> PhaseDiagram:
    """One activation's diagram from its row blocks, in order."""
    if len(blocks) == 1:
        return blocks[0]
    return dataclasses.replace(
        blocks[0],
        sigma_b2=np.concatenate([block.sigma_b2 for block in blocks]),
        q_star=np.concatenate([block.q_star for block in blocks]),
        chi_1=np.concatenate([block.chi_1 for block in blocks]),
        depth_scale=np.concatenate([block.depth_scale for block in blocks]),
        phase=tuple(row for block in blocks for row in block.phase),
        critical_line=tuple(point for block in blocks for point in block.critical_line),
    )


def phase_rows(
    activation: Activation,
    weights: np.ndarray,
    biases: np.ndarray,
    advance: Callable[[], None] | None = None,
) -> PhaseDiagram:
    """One activation's diagram on the rows `biases` (sigma_b2) x columns `weights` (sigma_w2):
    the unit of work a sweep hands to a worker. `advance()` is called per grid point and per
    critical-line search."""
    advance = advance or (lambda: None)
    moments = GaussianMoments(activation)
    shape = (len(biases), len(weights))
    grid_w, grid_b = np.meshgrid(np.asarray(weights, dtype=float), np.asarray(biases, dtype=float))
    found = settle_many(moments, grid_w.ravel(), grid_b.ravel())
    q_star = found.q_star.reshape(shape)
    chi = found.chi_1.reshape(shape)
    scale = np.empty(shape)
    phases = []
    for i in range(shape[0]):
        row = []
        for j in range(shape[1]):
            phase = phase_of(str(found.status[i * shape[1] + j]), float(chi[i, j]))
            scale[i, j] = depth_scale(float(chi[i, j]), phase)
            row.append(phase)
            advance()
        phases.append(tuple(row))
    line = []
    for bias, critical in zip(
        biases.tolist(), critical_line(moments, biases.tolist()), strict=True
    ):
        line.append(CriticalPoint(bias, critical.sigma_w2, critical.reason))
        advance()
    return PhaseDiagram(
        activation.name,
        activation.params,
        weights,
        biases,
        q_star,
        chi,
        scale,
        tuple(phases),
        tuple(line),
    )
