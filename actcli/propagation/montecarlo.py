"""Monte Carlo: real random fully connected networks in NumPy, forward and backward.

Layer l = 1..L: z^l = W^l a^(l-1) + b^l, a^l = phi(z^l), a^0 = x ~ N(0, q0 I) (width x batch).
Backward from delta^L = g (a fixed N(0, I) matrix, the "top gradient"):
delta^(l-1) = (W^l)^T delta^l * phi'(z^(l-1)). Recorded per layer: log10 ||delta^l||_F /
||delta^L||_F and forward statistics of z^l.

Seeding (the contract a reimplementation reproduces): network s = 0..S-1 of a run with `seed`
draws from `numpy.random.default_rng(SeedSequence(seed, spawn_key=(0, s, l)))`, one generator per
layer: l = 0 gives x (standard normal of shape (N, B), times sqrt(q0)) and then g (N, B); layer
l >= 1 gives G^l (N, N) and then b^l (N, 1), both standard normal, in the run dtype (a float32
G^l by `box_muller_float32`, every other draw by `Generator.standard_normal`). Gaussian
init: W^l = sqrt(sigma_w2 / N) G^l; orthogonal init: Q R = G^l (LAPACK QR), Q's columns times
sign(diag R), W^l = sqrt(sigma_w2) Q. b^l = sigma_b b-draw. Products are computed as
z^l = c (G^l a) + b^l and (W^l)^T delta = c ((G^l)^T delta) with c the scale above, each
product in blocks of `PRODUCT_COLUMNS` columns, one single-threaded BLAS call per block, the
blocks spread over as many of actcli's threads as BLAS had (`_Products`): the same floats on
any number of threads.

Memory: a network never holds all its weights. The backward pass needs phi'(z^l) (width x batch
per layer, stored in the run dtype) and W^l, which is regenerated from its layer's seed; up to
`weight_cache_bytes` of generated G^l are kept from the forward pass instead (saving the second
draw), so peak memory is (L - 1) N B itemsize + the cache + O(N^2 + N B). Wide layers draw the
next `AHEAD` matrices in background threads while the current one is used (`drawn_ahead`).

The backward signal is rescaled by exact powers of two whenever its largest entry leaves
[2^-32, 2^32], with the exponent kept aside: the measured factors stay exact (scaling by 2^k
commutes with every rounding) where the unscaled gradient of a float32 network would underflow
to 0 or overflow; `NonFinite` records the layer where that would have happened.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from actcli.activation import Activation

SATURATED_BELOW = 1e-3
_RESCALE_EXPONENT = 32
_LOG10_2 = math.log10(2.0)
_BACKGROUND_WIDTH = 256
AHEAD = 3
_Draw = tuple[np.ndarray, np.ndarray | None]


@dataclass(frozen=True)
class NonFinite:
    """Where a real network first leaves the dtype's range: `what` is overflow (inf), nan, or
    underflow (every entry below the smallest normal number), in the forward or backward pass;
    `seeds` counts the networks it happened in."""

    layer: int
    what: str
    direction: str
    seeds: int = 1

    def to_json(self) -> dict[str, Any]:
        return {"layer": self.layer, "what": self.what, "pass": self.direction, "seeds": self.seeds}

    def order(self) -> tuple[int, int]:
        """The order a network meets events in: forward bottom-up, then backward top-down."""
        return (0, self.layer) if self.direction == "forward" else (1, -self.layer)


@dataclass(frozen=True)
class MonteCarlo:
    """Per-network (rows) and per-layer (columns, layer 1..L) measurements."""

    log10_factor: np.ndarray
    z_mean: np.ndarray
    z_variance: np.ndarray
    dead_fraction: np.ndarray
    saturated_fraction: np.ndarray
    non_finite: NonFinite | None


_PER_ROW = ("log10_factor", "z_mean", "z_variance", "dead_fraction", "saturated_fraction")


def drawn_ahead(width: int) -> int:
    """How many weight matrices a run holds besides the current one (drawn in the background)."""
    return AHEAD if width >= _BACKGROUND_WIDTH else 0


def layer_generator(seed: int, network: int, layer: int) -> np.random.Generator:
    """The generator of one layer of one network (see the module docstring)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, network, layer)))


def layer_weights(
    seed: int, network: int, layer: int, width: int, dtype: np.dtype, orthogonal: bool
) -> np.ndarray:
    """G^l, or the sign-fixed orthogonal factor Q of it: W^l up to the scalar scale."""
    return _draw_layer(seed, network, layer, width, dtype, orthogonal, bias=False)[0]


FINE_TAIL = 2.0**-10  # float32 uniforms below it are drawn again in float64


def box_muller_float32(generator: np.random.Generator, count: int) -> np.ndarray:
    """`count` standard normal float32 values by the Box-Muller transform, as PyTorch's CPU
    randn draws them: ~3 ms per 2^20 values where NumPy's float32 ziggurat takes ~9 ms, most of
    a float32 network's time besides its products.

    From 24-bit uniforms alone the radius sqrt(-2 ln u) would stop at 5.77 (u >= 2^-24) and be
    coarse near it; a u below 2^-10 is replaced by a float64 uniform on (0, 2^-10] (the same
    conditional law), so the tails are right out to |z| = 9.3 (probability 1e-20 beyond).
    """
    half = (count + 1) // 2
    uniforms = generator.random(2 * half, dtype=np.float32)
    u, angle = uniforms[:half], uniforms[half:]
    np.subtract(np.float32(1.0), u, out=u)  # (0, 1]
    radius = np.log(u)
    fine = np.flatnonzero(u < FINE_TAIL)
    if fine.size:
        redrawn = (1.0 - generator.random(fine.size)) * FINE_TAIL
        radius[fine] = np.log(redrawn)
    np.multiply(radius, np.float32(-2.0), out=radius)
    np.sqrt(radius, out=radius)
    np.multiply(angle, np.float32(2.0 * math.pi), out=angle)
    np.cos(angle, out=u)
    np.sin(angle, out=angle)
    np.multiply(u, radius, out=u)
    np.multiply(angle, radius, out=angle)
    return uniforms[:count]


def _draw_layer(
    seed: int,
    network: int,
    layer: int,
    width: int,
    dtype: np.dtype,
    orthogonal: bool,
    bias: bool = False,
) -> _Draw:
    generator = layer_generator(seed, network, layer)
    if dtype == np.float32:
        weights = box_muller_float32(generator, width * width).reshape(width, width)
    else:
        weights = generator.standard_normal((width, width), dtype=dtype)
    offsets = generator.standard_normal((width, 1), dtype=dtype) if bias else None
    if orthogonal:
        q, r = np.linalg.qr(weights)
        signs = np.sign(np.diagonal(r))
        signs[signs == 0] = 1
        q *= signs
        weights = q
    return weights, offsets


def simulate(
    activation: Activation,
    *,
    depth: int,
    width: int,
    batch: int,
    seed: int,
    seeds: int,
    sigma_w2: float,
    sigma_b2: float,
    orthogonal: bool,
    dtype: str,
    input_variance: float,
    weight_cache_bytes: int,
    top_gradient: str = "normal",
    progress: Callable[[int], None] | None = None,
    first_network: int = 0,
) -> MonteCarlo:
    """Run `seeds` networks of `depth` layers, numbers `first_network` onwards (each network
    draws from its own seeds, so a run split into parts and `combine`d is the same run);
    `progress(units)` is called after each layer step (2L - 1 per network). `top_gradient`:
    delta^L is a random N(0, I) matrix ("normal") or all ones ("ones", the gradient of the sum
    of the outputs); drawn either way, so the weights' random streams do not depend on it."""
    kind = np.dtype(dtype)
    phi, dphi = activation.function(0), activation.function(1)
    scale = kind.type(math.sqrt(sigma_w2) if orthogonal else math.sqrt(sigma_w2 / width))
    bias_scale = kind.type(math.sqrt(sigma_b2))
    cached_layers = min(depth - 1, weight_cache_bytes // (width * width * kind.itemsize))
    derivatives = np.empty((depth - 1, width, batch), dtype=kind)
    shape = (seeds, depth)
    log10_factor = np.zeros(shape)
    z_mean, z_variance = np.zeros(shape), np.zeros(shape)
    dead, saturated = np.zeros(shape), np.zeros(shape)
    events: list[NonFinite] = []
    z = np.empty((width, batch), dtype=kind)
    top_slope = np.empty_like(z)
    wide = np.empty(z.size)  # z in float64, for its moments

    draw = partial(
        _draw_layer, seed, width=width, dtype=kind, orthogonal=orthogonal, bias=bool(sigma_b2)
    )
    threads = blas_threads()  # before BLAS is held to one thread for the run
    with (
        threadpool_limits(1, user_api="blas"),
        _Products(threads) as product,
        _Drawer(background=drawn_ahead(width) > 0) as drawer,
    ):
        for row, network in enumerate(range(first_network, first_network + seeds)):
            start = layer_generator(seed, network, 0)
            a = start.standard_normal((width, batch), dtype=kind)
            a *= kind.type(math.sqrt(input_variance))
            top = start.standard_normal((width, batch), dtype=kind)
            if top_gradient == "ones":
                top[...] = 1
            cache: dict[int, np.ndarray] = {}
            event: NonFinite | None = None
            drawn = drawer.ahead(partial(draw, network, layer) for layer in range(1, depth + 1))
            with np.errstate(all="ignore"):
                for layer, (weights, offsets) in enumerate(drawn, start=1):
                    product(weights, a, z)
                    z *= scale
                    if offsets is not None:
                        offsets *= bias_scale
                        z += offsets
                    if 2 <= layer <= cached_layers + 1:
                        cache[layer] = weights
                    del weights
                    column = layer - 1
                    z_mean[row, column], z_variance[row, column] = _moments(z, wide)
                    slope = derivatives[column] if layer < depth else top_slope
                    _evaluate(dphi, z, slope)
                    dead[row, column] = np.count_nonzero(slope == 0) / slope.size
                    saturated[row, column] = (
                        np.count_nonzero(np.abs(slope) < SATURATED_BELOW) / slope.size
                    )
                    if layer < depth:
                        _evaluate(phi, z, a)  # a^(l-1) is spent
                    if event is None:
                        event = _forward_event(
                            z,
                            a if layer < depth else None,
                            z_mean[row, column],
                            z_variance[row, column],
                            layer,
                            kind,
                        )
                    if progress:
                        progress(1)
                regenerate = partial(
                    _draw_layer, seed, network, width=width, dtype=kind, orthogonal=orthogonal
                )
                log10_factor[row], backward_event = _backward(
                    derivatives, top, cache, drawer, product, regenerate, scale, progress
                )
            event = event or backward_event
            if event is not None:
                events.append(event)
    return MonteCarlo(log10_factor, z_mean, z_variance, dead, saturated, _first_event(events))


def _evaluate(function: Callable[..., np.ndarray], z: np.ndarray, out: np.ndarray) -> None:
    """out = function(z) in z's dtype. The kernel (`actcli.kernels`) writes into out itself,
    a block at a time so that its temporaries stay in cache (relu's phi is one
    numpy.maximum(z, 0, out=...))."""
    function(z, dtype=z.dtype, out=out)


def _forward_event(
    z: np.ndarray,
    a: np.ndarray | None,
    mean: float,
    variance: float,
    layer: int,
    kind: np.dtype,
) -> NonFinite | None:
    """An overflow, nan or underflow among the pre-activations or activations of one layer.

    Called on the first layer whose values go wrong, so its input was finite: non-finite z
    is an overflow of the matrix product (a nan there is inf - inf); a nan from phi of finite z
    is the activation's own (say log of a negative number).
    """
    tiny = np.finfo(kind).tiny
    if not (math.isfinite(mean) and math.isfinite(variance)):
        if not np.isfinite(z).all():
            return NonFinite(layer, "overflow", "forward")
    elif variance < tiny and float(np.max(np.abs(z))) < tiny:
        return NonFinite(layer, "underflow", "forward")
    if a is not None and not np.isfinite(a).all():
        return NonFinite(layer, "nan" if np.isnan(a).any() else "overflow", "forward")
    return None


def _backward(
    derivatives: np.ndarray,
    top: np.ndarray,
    cache: dict[int, np.ndarray],
    drawer: _Drawer,
    product: _Products,
    regenerate: Callable[[int], _Draw],
    scale: np.floating,
    progress: Callable[[int], None] | None,
) -> tuple[np.ndarray, NonFinite | None]:
    """log10 ||delta^l|| / ||delta^L|| for l = 1..L, and the first range event going down."""
    depth = len(derivatives) + 1
    finfo = np.finfo(top.dtype)
    highest, lowest = math.log2(float(finfo.max)), math.log2(float(finfo.tiny))
    logs = np.zeros(depth)
    top_log = math.log10(_norm(top))
    delta = top
    exponent = 0
    event = None
    # the cache holds the bottom layers, so the rest are drawn in the order they are needed
    drawn = drawer.ahead(
        partial(regenerate, layer) for layer in range(depth, 1, -1) if layer not in cache
    )
    for layer in range(depth, 1, -1):
        weights = cache.pop(layer) if layer in cache else next(drawn)[0]
        delta = product(weights.T, delta, np.empty_like(delta))
        del weights
        delta *= scale
        delta *= derivatives[layer - 2]
        if progress:
            progress(1)
        highest_entry, lowest_entry = float(np.max(delta)), float(np.min(delta))
        peak = highest_entry if math.isnan(highest_entry) else max(highest_entry, -lowest_entry)
        if not math.isfinite(peak) or peak == 0:
            if not math.isfinite(peak) and event is None:
                event = NonFinite(layer - 1, "nan" if math.isnan(peak) else "overflow", "backward")
            logs[: layer - 1] = math.nan if not math.isfinite(peak) else -math.inf
            if progress:
                progress(layer - 2)
            break
        true_log2 = math.log2(peak) + exponent
        if event is None and not lowest <= true_log2 <= highest:
            event = NonFinite(
                layer - 1, "underflow" if true_log2 < lowest else "overflow", "backward"
            )
        shift = math.frexp(peak)[1]
        if abs(shift) > _RESCALE_EXPONENT:
            np.ldexp(delta, -shift, out=delta)
            exponent += shift
        logs[layer - 2] = math.log10(_norm(delta)) + exponent * _LOG10_2 - top_log
    return logs, event


def blas_threads() -> int:
    """The threads NumPy's BLAS would use (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, the cores)."""
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts, default=1)


class _Products:
    """out = matrix @ block with BLAS held to one thread, in blocks of PRODUCT_COLUMNS columns
    spread over `threads` of ours. OpenBLAS's own threads spin between calls and fought the
    threads drawing the next weights (two BLAS threads ran no faster than one). The blocks are
    the same whatever the thread count, so a run gives the same floats on one thread, two, or
    a Dask worker: a column's sum can depend on how many columns share its call (OpenBLAS's
    AVX2 sgemm rounds column 100 of 128 differently from column 57 of 43), never on which
    thread makes the call."""

    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._executor = ThreadPoolExecutor(threads - 1) if threads > 1 else None

    def __enter__(self) -> _Products:
        return self

    def __exit__(self, *_: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)

    def __call__(self, matrix: np.ndarray, block: np.ndarray, out: np.ndarray) -> np.ndarray:
        columns = block.shape[1]
        if columns <= PRODUCT_COLUMNS:
            return np.matmul(matrix, block, out=out)
        parts = [slice(low, low + PRODUCT_COLUMNS) for low in range(0, columns, PRODUCT_COLUMNS)]
        errors = np.geterr()  # floating-point error handling is per thread: take the caller's
        shares = min(self._threads, len(parts))
        others = [
            self._executor.submit(_matmuls, matrix, block, out, parts[k::shares], errors)
            for k in range(1, shares)
            if self._executor is not None
        ]
        _matmuls(matrix, block, out, parts[::shares], errors)
        for future in others:
            future.result()
        return out


# columns per BLAS call: a whole product in such calls took 0-7% longer than in one (float32
# and float64, 256 and 1024 rows, one thread); 64 took up to 22% longer
PRODUCT_COLUMNS = 128


def _matmuls(
    matrix: np.ndarray, block: np.ndarray, out: np.ndarray, parts: list[slice], errors: dict
) -> None:
    with np.errstate(**errors):
        for part in parts:
            np.matmul(matrix, block[:, part], out=out[:, part])


class _Drawer:
    """Draws layers ahead: `AHEAD` background threads generate the next G^l (NumPy's generators
    release the GIL while filling arrays, BLAS during products) while this layer's product and
    activation run, which hides most of the draws, the largest cost of a layer. Every layer has
    its own generator, so the draws are the same either way; below `_BACKGROUND_WIDTH` a
    thread costs more than it saves, and each draw runs when it is needed."""

    def __init__(self, background: bool) -> None:
        self._executor = ThreadPoolExecutor(AHEAD) if background else None

    def __enter__(self) -> _Drawer:
        return self

    def __exit__(self, *_: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)

    def ahead(self, draws: Iterable[Callable[[], _Draw]]) -> Iterator[_Draw]:
        """The draws' results in order, with up to `AHEAD` of the following ones running."""
        if self._executor is None:
            yield from (draw() for draw in draws)
            return
        pending: deque[Future[_Draw]] = deque()
        for draw in draws:
            pending.append(self._executor.submit(draw))
            if len(pending) > AHEAD:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _moments(values: np.ndarray, wide: np.ndarray) -> tuple[float, float]:
    """Mean and variance of `values` in float64 (two passes, as numpy.var), using the float64
    buffer `wide` of the same size: a third of numpy.mean + numpy.var's time on float32."""
    np.copyto(wide, values.reshape(-1))
    mean = float(np.sum(wide)) / wide.size
    wide -= mean
    return mean, float(np.dot(wide, wide)) / wide.size


def _norm(values: np.ndarray) -> float:
    flat = values.astype(np.float64).ravel()
    return math.sqrt(float(np.dot(flat, flat)))


def combine(parts: Sequence[MonteCarlo]) -> MonteCarlo:
    """One run from its parts (consecutive networks, in order): rows stacked, and the first
    non-finite event of all, counting every network that had one."""
    events = [part.non_finite for part in parts if part.non_finite is not None]
    first = min(events, key=NonFinite.order) if events else None
    rows = {name: np.concatenate([getattr(part, name) for part in parts]) for name in _PER_ROW}
    return MonteCarlo(
        **rows,
        non_finite=None if first is None else replace(first, seeds=sum(e.seeds for e in events)),
    )


def _first_event(events: list[NonFinite]) -> NonFinite | None:
    if not events:
        return None
    first = min(events, key=NonFinite.order)
    return NonFinite(first.layer, first.what, first.direction, seeds=len(events))
