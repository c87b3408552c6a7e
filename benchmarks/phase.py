"""`actcli phase` on 10 activations x a 50 x 50 grid, one process, and the per-point path.

The vectorised diagram (`actcli.phase`: every grid point of an activation in one
`settle_many`, the critical line of all rows in one `critical_line`) against the per-point path
it replaced: `fixed_point` iterating the scalar variance map at each point (plain steps, then
the factor-4 scan and Brent), on a small grid because it is slow, side by side in seconds per
point. With --before PATH (a checkout of an earlier actcli, e.g. `git archive a6e0050`) the
same small diagram is also timed with that code, in a subprocess. Target (issue 14): 10
activations x 50 x 50 in <= 10 s on the 2-core machine.
Usage: python benchmarks/phase.py [--repeats N] [--small N] [--before PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

NAMES = (
    "relu",
    "tanh",
    "gelu",
    "silu",
    "selu",
    "elu",
    "softplus",
    "mish",
    "sigmoid",
    "leaky_relu",
)
SIGMA_W2, SIGMA_B2 = (0.5, 4.0), (0.0, 0.5)


def per_point_seconds(size: int) -> float:
    """The per-point path on a size x size grid of every activation: seconds per point."""
    import numpy as np

    from actcli.api import load_activation
    from actcli.propagation.meanfield import GaussianMoments, fixed_point

    points = 0
    started = time.perf_counter()
    for name in NAMES:
        moments = GaussianMoments(load_activation(name))
        for bias in np.linspace(*SIGMA_B2, size).tolist():
            for weight in np.linspace(*SIGMA_W2, size).tolist():
                star = fixed_point(
                    lambda q, w=weight, b=bias, m=moments: m.variance_map(w, b, q), weight + bias
                )
                if star.status != "no_convergence":
                    moments.chi(weight, star.value)
                points += 1
    return (time.perf_counter() - started) / points


def diagram_seconds(size: int, repeats: int) -> tuple[float, float, float]:
    """`actcli.phase` on a size x size grid of every activation: (first run, best of repeats,
    the processor time of that best run: on a shared machine the wall time also counts waits
    for a core)."""
    import actcli

    times = []
    for _ in range(repeats):
        started, processor = time.perf_counter(), time.process_time()
        actcli.phase(list(NAMES), sigma_w2=(*SIGMA_W2, size), sigma_b2=(*SIGMA_B2, size))
        times.append((time.perf_counter() - started, time.process_time() - processor))
    return times[0][0], *min(times)


def before_seconds(path: str, size: int) -> float:
    """`actcli.phase` on the size x size grid with the actcli at `path` (a subprocess)."""
    code = (
        "import time, actcli\n"
        f"names, w, b = {list(NAMES)!r}, {(*SIGMA_W2, size)!r}, {(*SIGMA_B2, size)!r}\n"
        "actcli.phase(names, sigma_w2=w[:2] + (2,), sigma_b2=b[:2] + (2,))\n"
        "started = time.perf_counter()\n"
        "actcli.phase(names, sigma_w2=w, sigma_b2=b)\n"
        "print(time.perf_counter() - started)\n"
    )
    environment = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run(  # run in `path`: `python -c` puts the working directory first
        [sys.executable, "-c", code],
        cwd=path,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--small", type=int, default=6, help="grid side for the per-point path")
    parser.add_argument("--before", help="a checkout of earlier actcli code to time as well")
    args = parser.parse_args()
    import actcli

    actcli.phase(list(NAMES), sigma_w2=(*SIGMA_W2, 2), sigma_b2=(*SIGMA_B2, 2))  # compile f, f'
    first, best, processor = diagram_seconds(50, args.repeats)
    _, small_best, _ = diagram_seconds(args.small, args.repeats)
    old = per_point_seconds(args.small)
    earlier = before_seconds(args.before, args.small) if args.before else None
    points, small_points = len(NAMES) * 50 * 50, len(NAMES) * args.small**2
    print(f"{len(NAMES)} activations: {', '.join(NAMES)}")
    print(
        f"vectorised, 50 x 50 grid ({points} points, critical line included): best of "
        f"{args.repeats} {best:.2f} s (processor {processor:.2f} s; first run {first:.2f} s), "
        f"{best / points * 1e3:.3f} ms a point; target <= 10 s"
    )
    print(
        f"vectorised, {args.small} x {args.small} grid ({small_points} points, critical line "
        f"included): {small_best:.2f} s, {small_best / small_points * 1e3:.2f} ms a point"
    )
    print(
        f"per-point path (fixed_point at each point, no critical line), {args.small} x "
        f"{args.small} grid: {old * 1e3:.2f} ms a point; at that rate the 50 x 50 grid would "
        f"take {old * points:.0f} s ({old * points / best:.0f}x the vectorised run)"
    )
    if earlier is not None:
        print(
            f"--before {args.before}: actcli.phase, {args.small} x {args.small} grid: "
            f"{earlier:.2f} s, {earlier / small_points * 1e3:.2f} ms a point "
            f"({earlier / small_best:.0f}x this code on the same grid)"
        )


if __name__ == "__main__":
    main()
