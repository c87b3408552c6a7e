"""Best-of-N wall time of a command (subprocess), shared by the benchmark scripts."""

from __future__ import annotations

import resource
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


def best_times(command: list[str], repeats: int) -> tuple[float, float]:
    """The fastest wall time and the smallest CPU time (user + system, the command and its
    children) of `repeats` runs, in seconds: on a shared machine the CPU time is the steadier."""
    wall = cpu = float("inf")
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        wall = min(wall, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        cpu = min(cpu, used)
    return wall, cpu
