"""Microseconds per `actcli.evaluate` call on 10 values, after the first (target: <= 50 us).

The first call compiles (or reads the disk cache); later ones find the compiled function in
memory. Measured for a name (`actcli.evaluate("gelu", x)`, resolved again each call) and for a
bound activation (`actcli.load_activation`), f and f'; beside them the compiled function alone
(the generated NumPy code and actcli's kernels: what is left is the call's own overhead). Best
of 5 rounds of N calls.
Usage: python benchmarks/evaluate_loop.py [--calls N] [--activation NAME ...]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

import numpy as np

import actcli
from actcli.numeric import function_from_source

TARGET_US = 50.0


def per_call_us(call: Callable[[], object], calls: int) -> float:
    """The best of 5 rounds, in microseconds per call."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--activation", nargs="+", default=["relu", "gelu", "elu", "mish"])
    args = parser.parse_args()
    x = np.linspace(-3.0, 3.0, 10)
    for name in args.activation:
        bound = actcli.load_activation(name)
        for order in (0, 1):
            kernel = function_from_source(bound.numeric_code(order))
            alone = per_call_us(partial(kernel, x), args.calls)
            for label, target in [("name", name), ("bound", bound)]:
                start = time.perf_counter()
                actcli.evaluate(target, x, order)
                first = (time.perf_counter() - start) * 1e3
                us = per_call_us(partial(actcli.evaluate, target, x, order), args.calls)
                verdict = "ok" if us <= TARGET_US else "OVER"
                print(
                    f"{name:6s} order {order} {label:5s}  first {first:8.1f} ms  "
                    f"then {us:6.1f} us/call (compiled function alone {alone:5.1f} us; "
                    f"target <= {TARGET_US:.0f} us: {verdict})"
                )


if __name__ == "__main__":
    main()
