"""Best-of-N wall time of a command (subprocess), shared by the benchmark scripts."""

from __future__ import annotations

import subprocess
import time


def best_time(command: list[str], repeats: int, stdin_path: str | None = None) -> float:
    """The fastest of `repeats` runs, in seconds; stdout is discarded."""
    best = float("inf")
    for _ in range(repeats):
        with open(stdin_path or "/dev/null", "rb") as stdin:
            start = time.perf_counter()
            subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, check=True)
            best = min(best, time.perf_counter() - start)
    return best
