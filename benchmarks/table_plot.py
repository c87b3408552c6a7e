"""`actcli table` and `actcli plot`: a 4096-entry certified lookup table and a 3-panel PNG.

Times the whole command (start-up, SymPy, certification or drawing, writing the file), best of
N runs, with the compile cache warm (one untimed run first) and, separately, cold (a fresh
ACTCLI_CACHE_DIR per run).

Usage: python benchmarks/table_plot.py [--repeats N] [--activation NAME]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time


def timed(command: list[str], repeats: int, cold: bool) -> float:
    """Best wall time of `repeats` runs; cold runs each get an empty cache directory."""
    best = float("inf")
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ)
            if cold:
                env["ACTCLI_CACHE_DIR"] = cache
            start = time.perf_counter()
            subprocess.run(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
            )
            best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--activation", default="gelu")
    args = parser.parse_args()
    actcli = shutil.which("actcli") or f"{sys.exec_prefix}/bin/actcli"
    with tempfile.TemporaryDirectory() as folder:
        table = [actcli, "table", args.activation, "--range", "-8", "8", "--points", "4096"]
        table += ["--format", "c", "-o", f"{folder}/lut.h"]
        fitted = [actcli, "table", args.activation, "--range", "-8", "8", "--max-error", "1e-6"]
        fitted += ["--format", "json", "-o", f"{folder}/lut.json"]
        plot = [actcli, "plot", args.activation, "--order", "0,1,2", "-o", f"{folder}/f.png"]
        jobs = [
            ("table, 4096 entries, certified (C header)", table),
            ("table, smallest N with certified error <= 1e-6 (json)", fitted),
            ("plot, 3 panels (PNG, 150 dpi)", plot),
        ]
        for label, command in jobs:
            subprocess.run(command, capture_output=True, check=True)  # warm the cache
            warm = timed(command, args.repeats, cold=False)
            cold = timed(command, args.repeats, cold=True)
            print(f"{args.activation} {label}: {warm:.2f} s warm cache, {cold:.2f} s cold")


if __name__ == "__main__":
    main()
