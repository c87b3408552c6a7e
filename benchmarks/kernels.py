"""ns per element of f and f' for every built-in scalar activation: actcli, PyTorch, NumPy/SciPy.

actcli is `activation.function(k)` on a prepared float64 array; torch (one thread, when it is
importable; it is not a dependency) is torch.nn.functional's forward and, for f', torch's own
backward kernel given a gradient of ones (or the formula from the output where that backward
takes the output, as for sigmoid and tanh); the one-liner is the plain NumPy/SciPy expression a
user would write (below). Inputs: standard normal, float64, default 10^6 values; each figure is
the best of --repeats runs. Targets (issue 15): actcli at most 2x torch and at most 1.5x the
one-liner; misses are flagged. Usage: python benchmarks/kernels.py [--size N] [--repeats R]
[--only NAME ...]
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable

os.environ.setdefault("OMP_NUM_THREADS", "1")  # torch's and BLAS's pools: one thread
import numpy as np  # noqa: E402
import scipy.special as sp  # noqa: E402

from actcli.api import load_activation  # noqa: E402
from actcli.registry import Registry  # noqa: E402

TORCH_TARGET, ONE_LINER_TARGET = 2.0, 1.5
SQRT2, SQRT2PI = math.sqrt(2.0), math.sqrt(2.0 * math.pi)
C_TANH = math.sqrt(2.0 / math.pi)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
RRELU_SLOPE = (1 / 8 + 1 / 3) / 2


def _gelu_tanh_prime(x: np.ndarray) -> np.ndarray:
    t = np.tanh(C_TANH * (x + 0.044715 * x * x * x))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C_TANH * (1 + 3 * 0.044715 * x * x)


def _mish_prime(x: np.ndarray) -> np.ndarray:
    t = np.tanh(np.logaddexp(0, x))
    return t + x * sp.expit(x) * (1 - t * t)


def _silu_prime(x: np.ndarray) -> np.ndarray:
    s = sp.expit(x)
    return s * (1 + x * (1 - s))


def _sigmoid_prime(x: np.ndarray) -> np.ndarray:
    s = sp.expit(x)
    return s * (1 - s)


def _leaky(slope: float) -> tuple[Callable, Callable]:
    return (lambda x: np.where(x > 0, x, slope * x)), (lambda x: np.where(x > 0, 1.0, slope))


# name -> (f, f'), what a user writes with NumPy and SciPy
ONE_LINERS: dict[str, tuple[Callable, Callable]] = {
    "binary_step": (lambda x: np.heaviside(x, 1.0), np.zeros_like),
    "celu": (lambda x: np.where(x > 0, x, np.expm1(x)), lambda x: np.where(x > 0, 1.0, np.exp(x))),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(x)), lambda x: np.where(x > 0, 1.0, np.exp(x))),
    "gelu": (
        lambda x: 0.5 * x * sp.erfc(-x / SQRT2),
        lambda x: 0.5 * sp.erfc(-x / SQRT2) + x * np.exp(-0.5 * x * x) / SQRT2PI,
    ),
    "gelu_tanh": (
        lambda x: 0.5 * x * (1 + np.tanh(C_TANH * (x + 0.044715 * x * x * x))),
        _gelu_tanh_prime,
    ),
    "hard_sigmoid": (
        lambda x: np.clip(x / 6 + 0.5, 0, 1),
        lambda x: np.where(np.abs(x) < 3, 1 / 6, 0.0),
    ),
    "hardshrink": (
        lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
        lambda x: (np.abs(x) > 0.5).astype(np.float64),
    ),
    "hardswish": (
        lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
        lambda x: np.where(x < -3, 0.0, np.where(x > 3, 1.0, x / 3 + 0.5)),
    ),
    "hardtanh": (lambda x: np.clip(x, -1, 1), lambda x: (np.abs(x) < 1).astype(np.float64)),
    "identity": (np.copy, np.ones_like),
    "leaky_relu": _leaky(0.01),
    "logsigmoid": (lambda x: -np.logaddexp(0, -x), lambda x: sp.expit(-x)),
    "mish": (lambda x: x * np.tanh(np.logaddexp(0, x)), _mish_prime),
    "prelu": _leaky(0.25),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(np.float64)),
    "relu6": (lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)).astype(np.float64)),
    "rrelu": _leaky(RRELU_SLOPE),
    "selu": (
        lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
        lambda x: SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(x)),
    ),
    "sigmoid": (sp.expit, _sigmoid_prime),
    "silu": (lambda x: x * sp.expit(x), _silu_prime),
    "softplus": (lambda x: np.logaddexp(0, x), sp.expit),
    "softshrink": (
        lambda x: x - np.clip(x, -0.5, 0.5),
        lambda x: (np.abs(x) > 0.5).astype(np.float64),
    ),
    "softsign": (lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "tanhshrink": (lambda x: x - np.tanh(x), lambda x: np.tanh(x) ** 2),
    "threshold": (lambda x: np.where(x > 0, x, 0.0), lambda x: (x > 0).astype(np.float64)),
}


def torch_pairs(torch) -> dict[str, tuple[Callable, Callable]]:
    """name -> (f, f') in torch: F's forward, and torch's backward kernels with a gradient of
    ones (built once per size, outside the timing)."""
    F, aten = torch.nn.functional, torch.ops.aten
    ones: dict[tuple, object] = {}

    def one(x):
        return ones.setdefault(tuple(x.shape), torch.ones_like(x))

    def leaky(slope):
        return (
            lambda x: F.leaky_relu(x, slope),
            lambda x: aten.leaky_relu_backward(one(x), x, slope, False),
        )

    def elu(alpha, scale):
        return (
            lambda x: F.elu(x, alpha) * scale if scale != 1 else F.elu(x, alpha),
            lambda x: aten.elu_backward(one(x), alpha, scale, 1.0, False, x),
        )

    def sigmoid_prime(x):
        s = torch.sigmoid(x)
        return aten.sigmoid_backward(one(x), s)

    def tanh_prime(x):
        return aten.tanh_backward(one(x), torch.tanh(x))

    return {
        "binary_step": (
            lambda x: torch.heaviside(x, torch.ones((), dtype=x.dtype)),
            torch.zeros_like,
        ),
        "celu": elu(1.0, 1.0),
        "elu": elu(1.0, 1.0),
        "gelu": (F.gelu, lambda x: aten.gelu_backward(one(x), x)),
        "gelu_tanh": (
            lambda x: F.gelu(x, approximate="tanh"),
            lambda x: aten.gelu_backward(one(x), x, approximate="tanh"),
        ),
        "hard_sigmoid": (F.hardsigmoid, lambda x: aten.hardsigmoid_backward(one(x), x)),
        "hardshrink": (F.hardshrink, lambda x: aten.hardshrink_backward(one(x), x, 0.5)),
        "hardswish": (F.hardswish, lambda x: aten.hardswish_backward(one(x), x)),
        "hardtanh": (F.hardtanh, lambda x: aten.hardtanh_backward(one(x), x, -1.0, 1.0)),
        "identity": (torch.clone, torch.ones_like),
        "leaky_relu": leaky(0.01),
        "logsigmoid": (
            F.logsigmoid,
            lambda x: torch.sigmoid(-x),
        ),
        "mish": (F.mish, lambda x: aten.mish_backward(one(x), x)),
        "prelu": leaky(0.25),
        "relu": (F.relu, lambda x: aten.threshold_backward(one(x), x, 0.0)),
        "relu6": (F.relu6, lambda x: aten.hardtanh_backward(one(x), x, 0.0, 6.0)),
        "rrelu": leaky(RRELU_SLOPE),
        "selu": elu(SELU_ALPHA, SELU_SCALE),
        "sigmoid": (torch.sigmoid, sigmoid_prime),
        "silu": (F.silu, lambda x: aten.silu_backward(one(x), x)),
        "softplus": (F.softplus, lambda x: aten.softplus_backward(one(x), x, 1.0, 20.0)),
        "softshrink": (F.softshrink, lambda x: aten.softshrink_backward(one(x), x, 0.5)),
        "softsign": (F.softsign, lambda x: 1 / (1 + x.abs()) ** 2),
        "tanh": (torch.tanh, tanh_prime),
        "tanhshrink": (F.tanhshrink, lambda x: torch.tanh(x) ** 2),
        "threshold": (
            lambda x: F.threshold(x, 0.0, 0.0),
            lambda x: aten.threshold_backward(one(x), x, 0.0),
        ),
    }


def best_ns(function: Callable, x: object, size: int, repeats: int) -> float:
    function(x)  # warm up (first-call allocations, lazy imports)
    fastest = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        function(x)
        fastest = min(fastest, time.perf_counter() - started)
    return fastest / size * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10**6)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
        pairs = torch_pairs(torch)
        print(f"torch {torch.__version__}, one thread")
    except ImportError:
        torch, pairs = None, {}
        print("torch is not installed: no torch column (pip install torch to compare)")
    x = np.random.default_rng(0).standard_normal(args.size)
    tensor = torch.from_numpy(x) if torch is not None else None
    print(f"float64, {args.size} standard normal values, ns per element, best of {args.repeats}")
    print(
        f"{'activation':13s} k {'actcli':>7s} {'torch':>7s} {'numpy':>7s} "
        f"{'/torch':>7s} {'/numpy':>7s}  kernel"
    )
    misses = 0
    specs = sorted(Registry.default(), key=lambda s: s.name)
    for spec in specs:
        if spec.kind != "scalar" or (args.only and spec.name not in args.only):
            continue
        activation = load_activation(spec.name)
        for order in (0, 1):
            kernel = activation.function(order)
            ours = best_ns(kernel, x, args.size, args.repeats)
            plain = best_ns(ONE_LINERS[spec.name][order], x, args.size, args.repeats)
            theirs = (
                best_ns(pairs[spec.name][order], tensor, args.size, args.repeats)
                if spec.name in pairs
                else math.nan
            )
            flags = []
            if ours > TORCH_TARGET * theirs:
                flags.append(f"> {TORCH_TARGET:g}x torch")
            if ours > ONE_LINER_TARGET * plain:
                flags.append(f"> {ONE_LINER_TARGET:g}x numpy")
            misses += bool(flags)
            print(
                f"{spec.name:13s} {order} {ours:7.2f} {theirs:7.2f} {plain:7.2f} "
                f"{ours / theirs:7.2f} {ours / plain:7.2f}  "
                f"{getattr(kernel, 'strategy', '-'):9s} {'; '.join(flags)}"
            )
    print(f"{misses} of the rows miss a target")


if __name__ == "__main__":
    main()
