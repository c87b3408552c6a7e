"""`actcli phase` on a few activations with --workers 1 against --workers 2 (or N), side by side.

Whole commands (start-up and the workers' start included), run alternately so that a busy
machine slows both alike; best of --repeats each, with the CPU time the command and its
workers used (what starting the workers costs, however busy the machine), and the two JSON
outputs compared (they must be identical: the diagram does not depend on how it was cut).
Usage:
python benchmarks/phase_workers.py [--workers N] [--repeats R] [--sigma-w2 LO:HI:N]
[--sigma-b2 LO:HI:N] [ACTIVATION ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(command: list[str]) -> tuple[float, float, bytes]:
    """Wall time and CPU time (user + system, every process of it) of one run, and its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, check=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("activations", nargs="*", default=["tanh", "relu", "gelu"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--sigma-w2", default="1:4:16")
    parser.add_argument("--sigma-b2", default="0:0.3:8")
    args = parser.parse_args()
    base = [sys.executable, "-m", "actcli", "--timeout", "0", "phase", *args.activations]
    base += ["--sigma-w2", args.sigma_w2, "--sigma-b2", args.sigma_b2, "--format", "json"]
    counts: dict[int, list[tuple[float, float]]] = {1: [], args.workers: []}
    outputs = {}
    for _ in range(args.repeats):
        for workers in counts:
            wall, cpu, out = run([*base, "--workers", str(workers)])
            counts[workers].append((wall, cpu))
            outputs.setdefault(workers, out)
    grid = [int(axis.split(":")[2]) for axis in (args.sigma_w2, args.sigma_b2)]
    points = len(args.activations) * grid[0] * grid[1]
    print(
        f"actcli phase {' '.join(args.activations)}: {points} grid points, "
        f"best of {args.repeats} ({os.cpu_count()} CPUs)"
    )
    one = min(counts[1])[0]
    for workers, times in counts.items():
        best, cpu = min(times)
        print(
            f"  --workers {workers}: {best:6.2f} s wall, {cpu:6.2f} s CPU "
            f"({1000 * best / points:.1f} ms a point, speed-up {one / best:.2f}x)"
        )
    same = outputs[1] == outputs[args.workers]
    print(f"  identical JSON output: {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
