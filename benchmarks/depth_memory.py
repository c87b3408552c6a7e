"""Peak memory and time of `simulate_depth` at depth 1000, width 1024, batch 128, float32.

All the weights would take 4.2 GB; the Monte Carlo stores only phi'(z^l) (0.52 GB) and
regenerates each layer's weights from its seed in the backward pass (keeping up to 512 MiB of
them from the forward pass). Target: peak RSS (interpreter, NumPy and SymPy included) under
1.5 GB. Usage: python benchmarks/depth_memory.py [--activation NAME] [--depth L]
"""

from __future__ import annotations

import argparse
import resource
import time


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="tanh")
    parser.add_argument("--depth", type=int, default=1000)
    args = parser.parse_args()
    from actcli.api import load_activation
    from actcli.propagation import simulate_depth

    activation = load_activation(args.activation)
    activation.function(0), activation.function(1)
    before = rss_mb()
    started = time.perf_counter()
    result = simulate_depth(
        [activation],
        mode="montecarlo",
        depth=args.depth,
        width=1024,
        batch=128,
        seeds=1,
        dtype="float32",
    )
    seconds = time.perf_counter() - started
    run = result.runs[0]
    peak = rss_mb()
    print(f"{args.activation}, depth {args.depth}, width 1024, batch 128, float32, 1 network")
    print(f"peak RSS {peak:7.0f} MB (before the run {before:.0f} MB; target < 1500 MB)")
    print(
        f"estimate {run.estimate.memory_bytes / 1e6:7.0f} MB of arrays, "
        f"{run.estimate.seconds:.1f} s; took {seconds:.1f} s"
    )
    print(f"total factor {run.total_factor:.4g} ({run.verdict})")


if __name__ == "__main__":
    main()
