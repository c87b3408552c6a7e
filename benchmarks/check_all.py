"""`actcli check --all`: the time to prove or refute every built-in claim (target: under 30 s).

Usage: python benchmarks/check_all.py [--repeats N]
"""

from __future__ import annotations

import argparse
import shutil
import sys

from _timing import best_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    actcli = shutil.which("actcli") or f"{sys.exec_prefix}/bin/actcli"
    seconds = best_time([actcli, "check", "--all"], args.repeats)
    print(f"actcli check --all: {seconds:.1f} s (target < 30 s)")


if __name__ == "__main__":
    main()
