"""`actcli eval gelu -` on 10^6 numbers from stdin (target: under 3 s on the dev machine).

Usage: python benchmarks/eval_throughput.py [--count N] [--activation NAME] [--order K]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile

import numpy as np
from _timing import best_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10**6)
    parser.add_argument("--activation", default="gelu")
    parser.add_argument("--order", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    actcli = shutil.which("actcli") or f"{sys.exec_prefix}/bin/actcli"
    numbers = np.random.default_rng(0).normal(scale=10.0, size=args.count)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as data:
        data.write("\n".join(map(repr, numbers.tolist())))
        data.flush()
        command = [actcli, "eval", args.activation, "--order", str(args.order), "-"]
        seconds = best_time(command, args.repeats, stdin_path=data.name)
    rate = args.count / seconds
    print(
        f"actcli eval {args.activation} --order {args.order} on {args.count} numbers: "
        f"{seconds:.2f} s ({rate / 1e6:.2f} M numbers/s; target < 3 s for 10^6)"
    )


if __name__ == "__main__":
    main()
