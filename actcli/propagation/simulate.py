"""`simulate_depth`: Monte Carlo, mean field and the scalar chain for a list of activations.

Init schemes (sigma_w2 is the weight variance times fan_in; all layers are square, N x N):

| init            | sigma_w2 | customary for                                              |
|-----------------|----------|------------------------------------------------------------|
| he, kaiming     | 2        | tags relu-like or smooth-relu (ReLU family, GELU, SiLU, ...) |
| lecun           | 1        | SELU, and everything not listed (elu-like, --expr, ...)    |
| xavier, glorot  | 1        | tag sigmoid-like (sigmoid, tanh, softsign, ...)            |
|                 |          | (2 fan_in / (fan_in + fan_out) = 1 for square layers)       |
| orthogonal      | customary sigma_w2 of the activation (2 or 1), W = sqrt(sigma_w2) Q      |
| sigma_w2=VALUE  | VALUE    | (init "custom"; with orthogonal, the orthogonal gain squared) |
| critical=True   | chi_1 = 1 at the given sigma_b2 (init "critical"; UsageError if none) |

sigma_b2 defaults to 0. `critical=True` runs at the verified edge of chaos of
`meanfield.critical_sigma_w2` (recomputed as the run computes it: |chi_1 - 1| <= 1e-9); an
activation without one at this sigma_b2 (GELU, SiLU, Mish at 0.05) is a UsageError that says
why, not a run at some other sigma_w2. Decisions: float32 by default (the dtype networks are
trained in, and 4x faster matmuls than float64 here; the factors are log-averages over N B
entries, far above float32 rounding). The verdict on the total factor F = ||delta^1|| /
||delta^L|| (geometric mean over seeds) is vanishing below `vanish_below`, exploding above
`explode_above`, else stable; it comes from the Monte Carlo when that ran, else from the
mean-field prediction, else from the chain ("verdict_source"). Several activations are ranked
by |log10 F| ascending (closest to stable first; undetermined last).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np

from actcli.activation import Activation
from actcli.errors import ResourceLimitError, UsageError
from actcli.json_values import json_number
from actcli.options import check_workers
from actcli.propagation.chain import Chain, Choice, parse_choice, simulate_chain
from actcli.propagation.meanfield import (
    Critical,
    GaussianMoments,
    MeanField,
    MeanVarianceMap,
    critical_sigma_w2,
    mean_field,
    mean_variance_map,
)
from actcli.propagation.montecarlo import (
    MonteCarlo,
    NonFinite,
    combine,
    drawn_ahead,
    layer_weights,
    simulate,
)
from actcli.propagation.verdicts import power10, verdict
from actcli.resources import available_memory
from actcli.supervisor import allow_memory
from actcli.sweep import run_jobs, worker_count

MODES = ("montecarlo", "meanfield", "chain", "all")
DTYPES = ("float32", "float64")
TOP_GRADIENTS = ("normal", "ones")
INIT_SIGMA_W2 = {"he": 2.0, "lecun": 1.0, "xavier": 1.0}
INIT_ALIASES = {"kaiming": "he", "glorot": "xavier"}
INITS = (*INIT_SIGMA_W2, *INIT_ALIASES, "orthogonal")
WEIGHT_CACHE_BYTES = 512 * 2**20


def customary_init(activation: Activation) -> str:
    """The init an activation is customarily paired with (see the module docstring)."""
    tags = set(activation.spec.tags)
    if activation.name == "selu":
        return "lecun"
    if tags & {"relu-like", "smooth-relu"}:
        return "he"
    if "sigmoid-like" in tags:
        return "xavier"
    return "lecun"


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """Peak memory of the arrays a run allocates (not the interpreter) and its expected time."""

    memory_bytes: int
    seconds: float
    weight_cache_bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "memory_bytes": self.memory_bytes,
            "seconds": json_number(self.seconds),
            "weight_cache_bytes": self.weight_cache_bytes,
        }


@dataclass(frozen=True)
class DepthRun:
    """Everything measured and predicted for one activation."""

    activation: str
    params: dict[str, float]
    init: str
    init_is_default: bool
    distribution: str
    sigma_w2: float
    sigma_b2: float
    depth: int
    width: int
    batch: int
    seeds: int
    dtype: str
    input_variance: float
    log10_total_factor: float
    verdict: str | None
    verdict_source: str | None
    rank: int
    montecarlo: MonteCarlo | None
    meanfield: MeanField | None
    mean_variance_map: MeanVarianceMap | None
    chain: Chain | None
    critical: Critical | None
    estimate: Estimate
    vanish_below: float
    explode_above: float
    top_gradient: str = "normal"

    @property
    def total_factor(self) -> float:
        return power10(self.log10_total_factor)

    @property
    def per_layer_factor(self) -> float:
        return power10(self.log10_total_factor / (self.depth - 1))

    @property
    def non_finite(self) -> NonFinite | None:
        return None if self.montecarlo is None else self.montecarlo.non_finite

    def layers(self) -> list[dict[str, Any]]:
        """One row per layer (1..L): Monte Carlo and mean-field columns (None when not run)."""
        rows = []
        mc, mf = self.montecarlo, self.meanfield
        stats = _seed_statistics(mc) if mc is not None else None
        for index in range(self.depth):
            row: dict[str, Any] = {"layer": index + 1}
            if stats is not None:
                row.update({key: values[index] for key, values in stats.items()})
            else:
                row.update(dict.fromkeys(_MC_COLUMNS))
            row["meanfield_log10_factor"] = None if mf is None else mf.log10_factor[index]
            row["meanfield_q"] = None if mf is None else mf.q[index]
            rows.append(row)
        return rows

    def to_json(self) -> dict[str, Any]:
        def number(value: float | None) -> float | str | None:
            return None if value is None else json_number(value)

        document: dict[str, Any] = {
            "activation": self.activation,
            "params": {name: json_number(value) for name, value in self.params.items()},
            "init": self.init,
            "init_is_default": self.init_is_default,
            "distribution": self.distribution,
            "sigma_w2": json_number(self.sigma_w2),
            "sigma_b2": json_number(self.sigma_b2),
            "depth": self.depth,
            "width": self.width,
            "batch": self.batch,
            "seeds": self.seeds,
            "dtype": self.dtype,
            "input_variance": json_number(self.input_variance),
            "top_gradient": self.top_gradient,
            "total_factor": json_number(self.total_factor),
            "log10_total_factor": json_number(self.log10_total_factor),
            "per_layer_factor": json_number(self.per_layer_factor),
            "verdict": self.verdict,
            "verdict_source": self.verdict_source,
            "rank": self.rank,
            "non_finite": None if self.non_finite is None else self.non_finite.to_json(),
            "layers": [
                {key: value if key == "layer" else number(value) for key, value in row.items()}
                for row in self.layers()
            ],
            "meanfield": None if self.meanfield is None else self.meanfield.to_json(),
            "mean_variance_map": (
                None if self.mean_variance_map is None else self.mean_variance_map.to_json()
            ),
            "chain": (
                None
                if self.chain is None
                else self.chain.to_json(self.vanish_below, self.explode_above)
            ),
            "estimate": self.estimate.to_json(),
        }
        if self.critical is not None:
            document["critical_sigma_w2"] = number(self.critical.sigma_w2)
            document["critical_note"] = self.critical.reason
            document["critical"] = self.critical.to_json()
        return document


_MC_COLUMNS = (
    "log10_factor_mean",
    "log10_factor_std",
    "z_mean",
    "z_variance",
    "dead_fraction",
    "saturated_fraction",
)


def _seed_statistics(mc: MonteCarlo) -> dict[str, list[float | None]]:
    """Means over seeds, and the sample standard deviation of log10 factors (None: 1 seed)."""
    with np.errstate(invalid="ignore"):
        std = (
            np.std(mc.log10_factor, axis=0, ddof=1).tolist()
            if len(mc.log10_factor) > 1
            else [None] * mc.log10_factor.shape[1]
        )
        return {
            "log10_factor_mean": np.mean(mc.log10_factor, axis=0).tolist(),
            "log10_factor_std": std,
            "z_mean": np.mean(mc.z_mean, axis=0).tolist(),
            "z_variance": np.mean(mc.z_variance, axis=0).tolist(),
            "dead_fraction": np.mean(mc.dead_fraction, axis=0).tolist(),
            "saturated_fraction": np.mean(mc.saturated_fraction, axis=0).tolist(),
        }


@dataclass(frozen=True)
class DepthResult:
    """The result of `simulate_depth`: one run per activation, in the order given."""

    runs: tuple[DepthRun, ...]
    mode: str
    vanish_below: float
    explode_above: float

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "vanish_below": json_number(self.vanish_below),
            "explode_above": json_number(self.explode_above),
            "runs": [run.to_json() for run in self.runs],
        }

    @property
    def grid(self) -> bool:
        """Whether the runs span several (depth, width) pairs (`--depth 10,50 --width ...`)."""
        return len({(run.depth, run.width) for run in self.runs}) > 1

    def label(self, run: DepthRun) -> str:
        """How a run is named: its activation, with its depth and width in a grid."""
        if not self.grid:
            return run.activation
        return f"{run.activation} (depth {run.depth}, width {run.width})"

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per run, best rank first (within each depth and width, in a grid): the data
        of a comparison table."""
        rows = []
        for run in sorted(self.runs, key=self._ranked):
            mf = run.meanfield
            rows.append(
                {
                    "depth": run.depth,
                    "width": run.width,
                    "rank": run.rank,
                    "activation": run.activation,
                    "init": run.init,
                    "sigma_w2": run.sigma_w2,
                    "sigma_b2": run.sigma_b2,
                    "total_factor": run.total_factor,
                    "per_layer_factor": run.per_layer_factor,
                    "verdict": run.verdict,
                    "verdict_source": run.verdict_source,
                    "chi_1": None if mf is None else mf.chi_1,
                    "depth_scale": None if mf is None else mf.depth_scale,
                    "predicted_total_factor": None if mf is None else mf.predicted_total_factor,
                    "non_finite": run.non_finite,
                }
            )
        return rows

    def layer_rows(self) -> list[dict[str, Any]]:
        """One row per run and layer (see `DepthRun.layers`), with the activation, depth and
        width."""
        return [
            {"activation": run.activation, "depth": run.depth, "width": run.width, **row}
            for run in self.runs
            for row in run.layers()
        ]

    def _ranked(self, run: DepthRun) -> tuple[int, int]:
        """Sort key: the run's (depth, width) in the order given, then its rank there."""
        cells = list(dict.fromkeys((r.depth, r.width) for r in self.runs))
        return cells.index((run.depth, run.width)), run.rank


# -- the entry point ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    activation: Activation
    init: str
    init_is_default: bool
    orthogonal: bool
    sigma_w2: float
    critical: Critical | None


def simulate_depth(
    activations: Sequence[Activation],
    *,
    mode: str = "all",
    depth: int | Sequence[int] = 50,
    width: int | Sequence[int] = 256,
    batch: int = 128,
    init: str | None = None,
    sigma_w2: float | None = None,
    sigma_b2: float = 0.0,
    dtype: str = "float32",
    seed: int = 0,
    seeds: int = 5,
    input_variance: float = 1.0,
    top_gradient: str = "normal",
    vanish_below: float = 1e-2,
    explode_above: float = 1e2,
    weights: str = "normal",
    biases: str = "normal",
    critical: bool = False,
    max_memory: int | None = None,
    weight_cache_bytes: int = WEIGHT_CACHE_BYTES,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> DepthResult:
    """Gradient propagation through `depth` layers of each activation (see the module docstring).

    `depth` and `width` may be lists: every activation then runs at every (depth, width), runs
    ordered by depth, then width, then activation, and ranked within each (depth, width). The
    work is cut into independent jobs (`actcli.sweep.run_jobs`): the Monte Carlo networks, and
    the mean field and chain per activation and depth, run in this process (`workers=1`), on
    `workers` local processes (one network per job; None: the machine's cores when the work is
    estimated long enough to repay starting them, fewer when memory is short) or on the Dask
    cluster at `scheduler`; every network draws from its own seeds, so the numbers are the same
    whichever. `progress(done, total)` reports units of work: one per Monte Carlo layer step
    (2L - 1 per network), one per mean-field and per chain computation.

    Raises:
        UsageError: an unknown mode, init or dtype, conflicting options, a value out of range,
            a vector activation, `critical` for an activation with no edge of chaos at sigma_b2,
            a bad worker count, Dask missing or its scheduler unreachable.
        ResourceLimitError: the estimated peak memory exceeds `max_memory` (default: half the
            available memory), with as many networks at once as there are workers; raised
            before anything large is allocated.
    """
    depths, widths = _values(depth, "--depth"), _values(width, "--width")
    _check_options(
        activations,
        mode,
        depths,
        widths,
        batch,
        dtype,
        seed,
        seeds,
        input_variance,
        sigma_b2,
        vanish_below,
        explode_above,
    )
    check_workers(workers)
    if top_gradient not in TOP_GRADIENTS:
        raise UsageError(f"--top-gradient {top_gradient!r}: use one of {', '.join(TOP_GRADIENTS)}")
    run_mc = mode in ("montecarlo", "all")
    run_mf = mode in ("meanfield", "all")
    run_chain = mode in ("chain", "all")
    shape = _Shape(
        batch,
        dtype,
        seeds,
        run_mc,
        run_mf,
        run_chain,
        weight_cache_bytes,
        sigma_b2,
        seed,
        input_variance,
        top_gradient,
        parse_choice(weights, "--weights", allow_zero_preactivation=False),
        parse_choice(biases, "--biases", allow_zero_preactivation=True),
    )
    limit = available_memory() // 2 if max_memory is None else max_memory
    allow_memory(limit)  # the supervised CLI's address-space cap: at least what is allowed
    moments = [GaussianMoments(a) if critical else None for a in activations]
    plans = [
        _plan(a, m, init, sigma_w2, sigma_b2, critical, input_variance)
        for a, m in zip(activations, moments, strict=True)
    ]
    cells = [(d, w) for d in depths for w in widths]
    # every run's per-network statistics (seeds x depth) are held until the end
    statistics = len(plans) * sum(_statistics_bytes(d, seeds, run_mc, run_chain) for d, _ in cells)
    jobs_each = (len(cells) * seeds if run_mc else 0) + (len(depths) if run_mf or run_chain else 0)
    count, estimates = _workers_and_estimates(
        plans, depths, widths, shape, limit, statistics, workers, scheduler, jobs_each
    )
    jobs = _jobs(plans, depths, widths, shape, estimates, count > 1 or scheduler is not None)
    results = run_jobs(
        _run_job,
        jobs,
        workers=count,
        scheduler=scheduler,
        units=[job.units() for job in jobs],
        progress=progress,
    )
    parts_of: dict[tuple[int, tuple[int, int]], list[MonteCarlo]] = {}
    theory: dict[tuple[int, int], Any] = {}
    for job, found in zip(jobs, results, strict=True):
        if isinstance(job, _Networks):
            parts_of.setdefault((job.index, job.cell), []).append(found)
        else:
            theory[(job.index, job.depth)] = found
    runs = []
    for d, w in cells:
        cell_runs = []
        for index, plan in enumerate(plans):
            parts = parts_of.get((index, (d, w)))
            mc = combine(parts) if parts else None
            mf, map_, chain = theory.get((index, d), (None, None, None))
            log10_total, source = _total(mc, mf, chain)
            judged = _judge(log10_total, source, mc, mf, vanish_below, explode_above)
            estimate = estimates[index * len(cells) + cells.index((d, w))]
            cell_runs.append((plan, d, w, mc, mf, map_, chain, estimate, log10_total, judged))
        ranks = _ranks([entry[8] for entry in cell_runs])
        runs += [(*entry, rank) for entry, rank in zip(cell_runs, ranks, strict=True)]
    return DepthResult(
        tuple(
            DepthRun(
                top_gradient=top_gradient,
                activation=plan.activation.name,
                params=plan.activation.params,
                init=plan.init,
                init_is_default=plan.init_is_default,
                distribution="orthogonal" if plan.orthogonal else "gaussian",
                sigma_w2=plan.sigma_w2,
                sigma_b2=sigma_b2,
                depth=d,
                width=w,
                batch=batch,
                seeds=seeds,
                dtype=dtype,
                input_variance=input_variance,
                log10_total_factor=log10_total,
                verdict=judged[0],
                verdict_source=judged[1],
                rank=rank,
                montecarlo=mc,
                meanfield=mf,
                mean_variance_map=map_,
                chain=chain,
                critical=plan.critical,
                estimate=estimate,
                vanish_below=vanish_below,
                explode_above=explode_above,
            )
            for (plan, d, w, mc, mf, map_, chain, estimate, log10_total, judged, rank) in runs
        ),
        mode,
        vanish_below,
        explode_above,
    )


# -- jobs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """What every run of a command shares."""

    batch: int
    dtype: str
    seeds: int
    run_mc: bool
    run_mf: bool
    run_chain: bool
    weight_cache_bytes: int
    sigma_b2: float
    seed: int
    input_variance: float
    top_gradient: str
    weights: Choice
    biases: Choice


@dataclass(frozen=True)
class _Networks:
    """A job: Monte Carlo networks `first` .. `first + count - 1` of activation number `index`
    at `cell` = (depth, width). Picklable: the activation carries its spec."""

    index: int
    cell: tuple[int, int]
    plan: _Plan
    shape: _Shape
    first: int
    count: int
    weight_cache_bytes: int

    def units(self) -> int:
        return self.count * (2 * self.cell[0] - 1)

    def run(self, tick: Callable[[int], None] | None) -> MonteCarlo:
        shape = self.shape
        return simulate(
            self.plan.activation,
            depth=self.cell[0],
            width=self.cell[1],
            batch=shape.batch,
            seed=shape.seed,
            seeds=self.count,
            sigma_w2=self.plan.sigma_w2,
            sigma_b2=shape.sigma_b2,
            orthogonal=self.plan.orthogonal,
            dtype=shape.dtype,
            input_variance=shape.input_variance,
            weight_cache_bytes=self.weight_cache_bytes,
            top_gradient=shape.top_gradient,
            progress=tick,
            first_network=self.first,
        )


@dataclass(frozen=True)
class _Theory:
    """A job: the mean field, mean/variance map and chain of activation number `index` at
    `depth` (they do not depend on the width)."""

    index: int
    depth: int
    plan: _Plan
    shape: _Shape

    def units(self) -> int:
        return int(self.shape.run_mf) + int(self.shape.run_chain)

    def run(
        self, tick: Callable[[int], None] | None
    ) -> tuple[MeanField | None, MeanVarianceMap | None, Chain | None]:
        shape, activation, sigma_w2 = self.shape, self.plan.activation, self.plan.sigma_w2
        mf = map_ = chain = None
        if shape.run_mf:
            moments = GaussianMoments(activation)
            mf = mean_field(moments, sigma_w2, shape.sigma_b2, self.depth, shape.input_variance)
            map_ = mean_variance_map(moments, sigma_w2, shape.sigma_b2)
            if tick:
                tick(1)
        if shape.run_chain:
            chain = simulate_chain(
                activation,
                depth=self.depth,
                seed=shape.seed,
                seeds=shape.seeds,
                weights=shape.weights,
                biases=shape.biases,
                input_variance=shape.input_variance,
            )
            if tick:
                tick(1)
        return mf, map_, chain


def _jobs(
    plans: Sequence[_Plan],
    depths: Sequence[int],
    widths: Sequence[int],
    shape: _Shape,
    estimates: Sequence[Estimate],
    split: bool,
) -> list[_Networks | _Theory]:
    """Per activation: its networks at each (depth, width), all in one job or (`split`) one
    job each, then its theory at each depth."""
    cells = [(d, w) for d in depths for w in widths]
    parts = [(n, 1) for n in range(shape.seeds)] if split else [(0, shape.seeds)]
    jobs: list[_Networks | _Theory] = []
    for index, plan in enumerate(plans):
        if shape.run_mc:
            for number, cell in enumerate(cells):
                cache = estimates[index * len(cells) + number].weight_cache_bytes
                jobs += [_Networks(index, cell, plan, shape, n, k, cache) for n, k in parts]
        if shape.run_mf or shape.run_chain:
            jobs += [_Theory(index, d, plan, shape) for d in depths]
    return jobs


def _run_job(job: _Networks | _Theory, tick: Callable[[int], None] | None) -> Any:
    """One job, here or in a worker (`actcli.sweep.run_jobs`)."""
    return job.run(tick)


def _workers_and_estimates(
    plans: Sequence[_Plan],
    depths: Sequence[int],
    widths: Sequence[int],
    shape: _Shape,
    limit: int,
    statistics: int,
    workers: int | None,
    scheduler: str | None,
    jobs_each: int,
) -> tuple[int, list[Estimate]]:
    """How many local workers run the jobs (1 on a cluster), and each run's estimate with as
    many networks in memory at once; the default worker count gives way to memory, a given one
    is refused (ResourceLimitError) when it does not fit."""
    cells = [(d, w) for d in depths for w in widths]
    estimates = _estimates(plans, cells, shape, limit - statistics)
    # the theory of an activation at a depth runs once, whatever the widths
    shared = len(plans) * (len(widths) - 1) * sum(_theory_seconds(d, shape) for d in depths)
    serial = sum(estimate.seconds for estimate in estimates) - shared
    count = 1 if scheduler else worker_count(workers, serial, len(plans) * jobs_each)
    while True:
        estimates = _estimates(plans, cells, shape, (limit - statistics) // count)
        largest = max(range(len(estimates)), key=lambda i: estimates[i].memory_bytes)
        memory = estimates[largest].memory_bytes
        if count * memory + statistics <= limit:  # a run's estimate: its arrays and them all
            return count, [replace(e, memory_bytes=e.memory_bytes + statistics) for e in estimates]
        if workers is not None or count == 1:
            cell = cells[largest % len(cells)]
            raise _memory_error(memory, limit, statistics, cell, shape, count)
        count -= 1


def _values(value: int | Sequence[int], option: str) -> list[int]:
    """One depth or width, or a list of them (distinct)."""
    values = [value] if isinstance(value, int) else list(value)
    if not values:
        raise UsageError(f"{option}: give at least one value")
    if len(set(values)) < len(values):
        raise UsageError(f"{option} {','.join(map(str, values))}: a value is given twice")
    return values


def _estimates(
    plans: Sequence[_Plan], cells: Sequence[tuple[int, int]], shape: _Shape, room: int
) -> list[Estimate]:
    """Per run (activation-major, then cell) its memory and time, with `room` bytes for the
    networks of one worker."""
    found = []
    for plan in plans:
        for d, w in cells:
            memory, cache_bytes = _memory(
                plan.orthogonal,
                d,
                w,
                shape.batch,
                shape.dtype,
                shape.run_mc,
                shape.weight_cache_bytes,
                room,
            )
            seconds = _seconds(plan, d, w, shape, cache_bytes)
            found.append(Estimate(memory, seconds, cache_bytes))
    return found


def _memory_error(
    memory: int,
    limit: int,
    statistics: int,
    cell: tuple[int, int],
    shape: _Shape,
    workers: int,
) -> ResourceLimitError:
    d, w = cell
    at_once = f" x {workers} workers at once" if workers > 1 else ""
    fewer = "--workers/" if workers > 1 else ""
    return ResourceLimitError(
        f"simulate-depth: estimated peak memory {_bytes(workers * memory + statistics)} exceeds "
        f"--max-memory {_bytes(limit)} (depth {d} x width {w} x batch {shape.batch} x "
        f"{np.dtype(shape.dtype).itemsize} bytes of stored derivatives, one {w} x {w} weight "
        f"matrix{at_once}, and {_bytes(statistics)} of statistics for --seeds {shape.seeds} x "
        f"depth); lower {fewer}--depth/--width/--batch/--seeds or raise --max-memory"
    )


def _check_options(
    activations: Sequence[Activation],
    mode: str,
    depths: Sequence[int],
    widths: Sequence[int],
    batch: int,
    dtype: str,
    seed: int,
    seeds: int,
    input_variance: float,
    sigma_b2: float,
    vanish_below: float,
    explode_above: float,
) -> None:
    if mode not in MODES:
        raise UsageError(f"--mode {mode!r}: use one of {', '.join(MODES)}")
    if dtype not in DTYPES:
        raise UsageError(f"--dtype {dtype!r}: use one of {', '.join(DTYPES)}")
    if not activations:
        raise UsageError("simulate-depth: name at least one activation")
    for option, value, least in (
        *(("--depth", depth, 2) for depth in depths),
        *(("--width", width, 1) for width in widths),
        ("--batch", batch, 1),
        ("--seeds", seeds, 1),
    ):
        if value < least:
            raise UsageError(f"{option} {value}: must be at least {least}")
    if seed < 0:
        raise UsageError(f"--seed {seed}: must be 0 or more")
    if not (math.isfinite(input_variance) and input_variance > 0):
        raise UsageError(f"--input-variance {input_variance:g}: must be positive")
    if not (math.isfinite(sigma_b2) and sigma_b2 >= 0):
        raise UsageError(f"--sigma-b2 {sigma_b2:g}: must be zero or positive")
    if not 0 < vanish_below < explode_above < math.inf:
        raise UsageError(
            f"--vanish-below {vanish_below:g} and --explode-above {explode_above:g}: need "
            "0 < vanish-below < explode-above"
        )
    for activation in activations:
        if activation.kind != "scalar":
            raise UsageError(
                f"simulate-depth: {activation.name} is a {activation.kind} activation; depth "
                "propagation needs a scalar (elementwise) one"
            )


def _plan(
    activation: Activation,
    moments: GaussianMoments | None,
    init: str | None,
    sigma_w2: float | None,
    sigma_b2: float,
    critical: bool,
    input_variance: float,
) -> _Plan:
    """The init label and sigma_w2 for one activation (see the table in the module docstring)."""
    if init is not None and init not in INITS:
        raise UsageError(f"--init {init!r}: use one of {', '.join(INITS)}")
    name = INIT_ALIASES.get(init or "", init)
    orthogonal = name == "orthogonal"
    if sigma_w2 is not None:
        if not (math.isfinite(sigma_w2) and sigma_w2 > 0):
            raise UsageError(f"--sigma-w2 {sigma_w2:g}: must be positive")
        if name is not None and not orthogonal:
            raise UsageError(f"--init {init} sets sigma_w2; give --init or --sigma-w2, not both")
        if critical:
            raise UsageError("--critical solves for sigma_w2; do not give --sigma-w2 with it")
    if critical and name is not None and not orthogonal:
        raise UsageError(f"--critical solves for sigma_w2; do not give --init {init} with it")
    customary = customary_init(activation)
    if critical:
        assert moments is not None
        found = critical_sigma_w2(moments, sigma_b2, input_variance)
        if found.sigma_w2 is None:
            # a run at any other sigma_w2 would not be critical: refuse, and say why
            raise UsageError(
                f"--critical: {activation.name}: {found.reason}; give --sigma-w2 or --init instead"
            )
        return _Plan(activation, "critical", False, orthogonal, found.sigma_w2, found)
    if sigma_w2 is not None:
        return _Plan(activation, "custom", False, orthogonal, sigma_w2, None)
    if orthogonal:
        return _Plan(activation, "orthogonal", False, True, INIT_SIGMA_W2[customary], None)
    if name is None:
        return _Plan(activation, customary, True, False, INIT_SIGMA_W2[customary], None)
    return _Plan(activation, name, False, False, INIT_SIGMA_W2[name], None)


def _memory(
    orthogonal: bool,
    depth: int,
    width: int,
    batch: int,
    dtype: str,
    run_mc: bool,
    weight_cache_bytes: int,
    limit: int,
) -> tuple[int, int]:
    """(peak bytes of a run's arrays, weight-cache bytes that fit under `limit`)."""
    if not run_mc:
        return 16 * depth * 8, 0
    itemsize = np.dtype(dtype).itemsize
    matrix = width * width * itemsize
    stored = (depth - 1) * width * batch * itemsize
    # one weight matrix (three during a QR) and those drawn ahead, activations and deltas, and
    # the float64 temporaries of evaluating phi and phi'
    matrices = (3 if orthogonal else 1) * (1 + drawn_ahead(width))
    working = matrix * matrices + width * batch * (6 * itemsize + 6 * 8)
    required = stored + working
    cache = min(weight_cache_bytes, (depth - 1) * matrix, max(0, limit - required))
    cache = cache // matrix * matrix
    return required + cache, cache


def _statistics_bytes(depth: int, seeds: int, run_mc: bool, run_chain: bool) -> int:
    """Bytes of one activation's per-network statistics: five float64 seeds x depth arrays for
    Monte Carlo, two (and a column) for the chain, and the temporaries of their means."""
    per_cell = (5 * 8 if run_mc else 0) + (2 * 8 + 1 if run_chain else 0)
    return 2 * per_cell * seeds * depth


def _seconds(plan: _Plan, depth: int, width: int, shape: _Shape, cache_bytes: int) -> float:
    """Expected seconds of a run: its networks and its theory (`_theory_seconds`)."""
    return _network_seconds(plan, depth, width, shape, cache_bytes) + _theory_seconds(depth, shape)


def _network_seconds(plan: _Plan, depth: int, width: int, shape: _Shape, cache_bytes: int) -> float:
    """Expected seconds of a run's Monte Carlo networks, from this machine's measured rates
    (`_rates`) and the operation counts."""
    draw, flop, element, _ = _rates(shape.dtype)
    evaluate = _evaluation_cost(plan.activation)
    seconds = 0.0
    if shape.run_mc:
        cached = cache_bytes // (width * width * np.dtype(shape.dtype).itemsize)
        matrices = depth + (depth - 1 - cached)
        per_network = (
            matrices * width * width * draw
            + (2 * depth - 1) * 2 * width * width * shape.batch * flop
            + depth * width * shape.batch * (evaluate + 12 * element)
        )
        if plan.orthogonal:
            per_network += matrices * 4 * width**3 * flop
        seconds += shape.seeds * per_network
    return seconds


def _theory_seconds(depth: int, shape: _Shape) -> float:
    """Expected seconds of the mean field and the chain at `depth` (the same at every width)."""
    seconds = 0.0
    if shape.run_mf:
        seconds += (2 * depth + 300) * _rates(shape.dtype)[3]
    if shape.run_chain:
        seconds += shape.seeds * depth * 2 * 30e-6
    return seconds


@cache
def _rates(dtype: str) -> tuple[float, float, float, float]:
    """Seconds per normal draw, per matmul flop, per elementwise operation, per quadrature."""
    kind = np.dtype(dtype)
    generator = np.random.default_rng(0)
    size = 256
    layer_weights(0, 0, 1, size, kind, orthogonal=False)  # warm: page faults, first calls
    started = time.perf_counter()
    matrix = layer_weights(0, 0, 2, size, kind, orthogonal=False)  # as the networks draw
    draw = (time.perf_counter() - started) / size**2
    block = generator.standard_normal((size, 128), dtype=kind)
    product = matrix @ block  # warm: BLAS's first call
    started = time.perf_counter()
    for _ in range(4):
        product = matrix @ block
    flop = (time.perf_counter() - started) / (4 * 2 * size * size * 128)
    started = time.perf_counter()
    for _ in range(4):
        product *= kind.type(1.0)
    element = (time.perf_counter() - started) / (4 * product.size)
    # a Gaussian expectation costs about a dozen activation evaluations of ~1000 points
    quadrature = 1e-3
    return draw, flop, element, quadrature


def _evaluation_cost(activation: Activation) -> float:
    """Seconds per element to evaluate phi and phi' (float64 compiled functions)."""
    phi, dphi = activation.function(0), activation.function(1)
    sample = np.linspace(-4.0, 4.0, 2**14)
    started = time.perf_counter()
    phi(sample)
    dphi(sample)
    return (time.perf_counter() - started) / sample.size


def _bytes(count: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count:.0f} bytes"


def _total(
    mc: MonteCarlo | None, mf: MeanField | None, chain: Chain | None
) -> tuple[float, str | None]:
    """log10 of the total factor F and where it comes from."""
    if mc is not None:
        with np.errstate(invalid="ignore"):
            return float(np.mean(mc.log10_factor[:, 0])), "montecarlo"
    if mf is not None:
        return mf.log10_factor[0], "meanfield"
    if chain is not None:
        return chain.log10_total_factor, "chain"
    return math.nan, None


def _judge(
    log10_total: float,
    source: str | None,
    mc: MonteCarlo | None,
    mf: MeanField | None,
    vanish_below: float,
    explode_above: float,
) -> tuple[str | None, str | None]:
    """The verdict on F and its source. A Monte Carlo run whose factor is nan (it went
    non-finite) is judged by where it went (overflow: exploding, underflow: vanishing), else by
    the mean field when that ran."""
    found = verdict(power10(log10_total), vanish_below, explode_above)
    if found is not None or mc is None:
        return found, source
    event = mc.non_finite
    if event is not None and event.what in ("overflow", "underflow"):
        return ("exploding" if event.what == "overflow" else "vanishing"), source
    if mf is not None:
        return verdict(mf.predicted_total_factor, vanish_below, explode_above), "meanfield"
    return None, source


def _ranks(log10_totals: list[float]) -> list[int]:
    """1 for the total factor closest to 1 (|log10 F| ascending), undetermined (nan) last."""
    order = sorted(
        range(len(log10_totals)),
        key=lambda i: (math.isnan(log10_totals[i]), abs(log10_totals[i])),
    )
    ranks = [0] * len(log10_totals)
    for rank, index in enumerate(order, start=1):
        ranks[index] = rank
    return ranks
