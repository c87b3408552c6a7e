"""Start-up: `actcli --help`, `list`, `list --format json` and `eval relu 1` against the floor.

The floor is `python -c "import typer, rich, yaml"`, what any typer + rich + PyYAML tool pays
before doing anything. Each command runs as the console script runs it (`actcli.__main__.run`,
the actcli importable here: set PYTHONPATH to test a checkout), with warm caches (a private
ACTCLI_CACHE_DIR filled by one run of each command first) and PYTHONDONTWRITEBYTECODE unset
(with it set, every start recompiles the modules whose .pyc is stale). The runs are
interleaved, floor and commands in turn, so load on the machine hits them alike; each figure is
the best of N. Usage: python benchmarks/startup.py [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

FLOOR = [sys.executable, "-c", "import typer, rich, yaml"]
ACTCLI = [sys.executable, "-c", "import sys; from actcli.__main__ import run; sys.exit(run())"]
TARGETS = [  # label, arguments, at most this many times the floor (None: report only)
    ("--help", ["--help"], 2.0),
    ("list", ["list"], 1.3),
    ("list --format json", ["list", "--format", "json"], 1.3),
    ("eval relu 1", ["eval", "relu", "1"], 1.5),
]


def _seconds(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(ACTCLI_CACHE_DIR=cache, NO_COLOR="1", COLUMNS="100")
        commands = [("floor", FLOOR)] + [(label, ACTCLI + argv) for label, argv, _ in TARGETS]
        best = dict.fromkeys((label for label, _ in commands), float("inf"))
        for _, command in commands:  # warm: .pyc files, the registry and compile caches
            _seconds(command, env)
        for _ in range(args.repeats):
            for label, command in commands:
                best[label] = min(best[label], _seconds(command, env))
    floor = best["floor"]
    print(f"{'floor (import typer, rich, yaml)':34s} {floor * 1000:7.1f} ms")
    for label, _, target in TARGETS:
        ratio = best[label] / floor
        verdict = "" if target is None else f"target <= {target:.1f}x"
        if target is not None:
            verdict += "  ok" if ratio <= target else "  OVER"
        print(f"{'actcli ' + label:34s} {best[label] * 1000:7.1f} ms  {ratio:4.2f}x  {verdict}")


if __name__ == "__main__":
    main()
