"""Start-up: `actcli --help`, `list`, `list --format json` and `eval relu 1` against the floor.

The floor is `python -c "import typer, rich, yaml"`, what any typer + rich + PyYAML tool pays
before doing anything. Each command runs as the console script runs it (`actcli.__main__.run`,
the actcli importable here: set PYTHONPATH to test a checkout), with warm caches (a private
ACTCLI_CACHE_DIR filled by one run of each command first) and PYTHONDONTWRITEBYTECODE unset
(with it set, every start recompiles the modules whose .pyc is stale). Output goes to a pipe,
except for `--help (terminal)`, whose stdout is a pseudo-terminal (typer's rich panels). The
runs are interleaved, floor and commands in turn, so load on the machine hits them alike; each
figure is the best of N. `--before PATH` also runs every command from an earlier checkout (its
root, holding actcli/ and specs/), in the same rounds.
Usage: python benchmarks/startup.py [--repeats N] [--before PATH]
"""

from __future__ import annotations

import argparse
import os
import pty
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import actcli

FLOOR = [sys.executable, "-c", "import typer, rich, yaml"]
ACTCLI = [sys.executable, "-c", "import sys; from actcli.__main__ import run; sys.exit(run())"]
TARGETS = [  # label, arguments, on a terminal, at most this many times the floor
    ("--help", ["--help"], False, 2.0),
    ("--help (terminal)", ["--help"], True, 2.0),
    ("list", ["list"], False, 1.3),
    ("list --format json", ["list", "--format", "json"], False, 1.3),
    ("eval relu 1", ["eval", "relu", "1"], False, 1.5),
]


def _seconds(command: list[str], env: dict[str, str], cwd: str, terminal: bool) -> float:
    start = time.perf_counter()
    if not terminal:
        subprocess.run(command, stdout=subprocess.DEVNULL, env=env, cwd=cwd, check=True)
        return time.perf_counter() - start
    reader, writer = pty.openpty()
    with subprocess.Popen(command, stdout=writer, env=env, cwd=cwd) as process:
        os.close(writer)
        try:
            while os.read(reader, 65536):  # the terminal's side reads all it is sent
                pass
        except OSError:  # EIO: the command closed its end
            pass
        os.close(reader)
        if process.wait():
            raise subprocess.CalledProcessError(process.returncode, command)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--before", type=Path, help="an earlier checkout's root, run alike")
    args = parser.parse_args()
    here = Path(actcli.__file__).resolve().parent.parent
    checkouts = [("", here)] + ([("before: ", args.before.resolve())] if args.before else [])
    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(ACTCLI_CACHE_DIR=cache, NO_COLOR="1", COLUMNS="100")
        runs = [("floor", FLOOR, env, False)]
        for prefix, root in checkouts:  # run from the cache folder: `python -c` puts the
            own = dict(env, PYTHONPATH=str(root))  # current folder first on sys.path
            runs += [(prefix + label, ACTCLI + argv, own, tty) for label, argv, tty, _ in TARGETS]
        best = dict.fromkeys((label for label, *_ in runs), float("inf"))
        for _, command, own, terminal in runs:  # warm: .pyc files, the registry and compile caches
            _seconds(command, own, cache, terminal)
        for _ in range(args.repeats):
            for label, command, own, terminal in runs:
                best[label] = min(best[label], _seconds(command, own, cache, terminal))
    floor = best["floor"]
    print(f"{'floor (import typer, rich, yaml)':42s} {floor * 1000:7.1f} ms")
    for prefix, _ in checkouts:
        for label, _, _, target in TARGETS:
            ratio = best[prefix + label] / floor
            verdict = f"target <= {target:.1f}x  " + ("ok" if ratio <= target else "OVER")
            name = f"{prefix}actcli {label}"
            print(f"{name:42s} {best[prefix + label] * 1000:7.1f} ms  {ratio:4.2f}x  {verdict}")


if __name__ == "__main__":
    main()
