"""Worst error in ULP of f, f', f'' for every built-in scalar activation, against mpmath.

The grid is 400 points spread log-uniformly over |x| in [1e-8, 1000] on both sides, plus 0 and
points 1e-9 either side of every breakpoint; points where the derivative does not exist are
skipped. The reference is a 50-digit mpmath evaluation of the definition.
Usage: python benchmarks/accuracy.py [--points N] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import sympy

from actcli.activation import bind
from actcli.compiler import reference_function
from actcli.expr import X
from actcli.pieces import to_piecewise
from actcli.registry import Registry


def ulp_error(got: float, true: float) -> float:
    """|got - true| in units of the last place of the true value (0 when both are equal)."""
    if got == true:
        return 0.0
    if not (math.isfinite(got) and math.isfinite(true)):
        return math.inf
    return abs(got - true) / math.ulp(true if true != 0 else 5e-324)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    magnitudes = np.logspace(-8, 3, args.points)
    grid = np.concatenate([-magnitudes[::-1], [0.0], magnitudes])
    print(f"{'activation':14s} {'f':>8s} {'f_prime':>8s} {'f_second':>8s}  (worst ULP; worst x)")
    for spec in sorted(Registry.default(), key=lambda s: s.name):
        if spec.kind != "scalar" or (args.only and spec.name not in args.only):
            continue
        activation = bind(spec)
        near = [b + d for b, _ in activation.breakpoints() for d in (-1e-9, 1e-9)]
        xs = np.unique(np.concatenate([grid, near]))
        cells, where = [], []
        for order in range(3):
            kinks = {k.x for k in activation.kinks(order)} if order else set()
            reference = reference_function(
                sympy.diff(to_piecewise(activation.expression), X, order)
            )
            got = activation.function(order)(xs)
            errors = [
                (ulp_error(float(y), float(reference(x))), x)
                for x, y in zip(xs.tolist(), got.tolist(), strict=True)
                if x not in kinks and abs(float(reference(x))) > 1e-300
            ]
            worst = max(errors, default=(0.0, 0.0))
            cells.append(f"{worst[0]:8.1f}")
            where.append(f"{worst[1]:.3g}")
        print(f"{spec.name:14s} {' '.join(cells)}  ({', '.join(where)})")


if __name__ == "__main__":
    main()
