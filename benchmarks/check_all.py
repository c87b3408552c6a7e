"""`actcli check --all`: the time to prove or refute every built-in claim (target: under 8 s).

Usage: python benchmarks/check_all.py [--repeats N]
"""

from __future__ import annotations

import argparse
import shutil
import sys

from _timing import best_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    actcli = shutil.which("actcli") or f"{sys.exec_prefix}/bin/actcli"
    wall, cpu = best_times([actcli, "check", "--all"], args.repeats)
    print(f"actcli check --all: {wall:.1f} s (CPU {cpu:.1f} s; target < 8 s)")


if __name__ == "__main__":
    main()
