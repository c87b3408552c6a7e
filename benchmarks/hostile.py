"""Hostile inputs through the `actcli` console script: each case's exit code, wall time and
peak memory (its process and the supervised child), against the issue-12 target of every
answer or refusal within 60 s and 1 GB, and never exit 70.

Usage: python benchmarks/hostile.py [--timeout S] [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIGNS = "+".join(f"sign(x-{i})" for i in range(1, 51))
ABS = "+".join(f"abs(x-{i})" for i in range(1, 101))
NESTED = "sin(" * 55 + "x" + ")" * 55
STAIRS = "".join(f'    - {{when: "x < {i}", value: "{i % 7}*x"}}\n' for i in range(800))
SPEC = (
    "name: stairs\ntitle: 800 pieces\nkind: scalar\ndefinition:\n  piecewise:\n"
    f'{STAIRS}    - {{otherwise: "x"}}\nreferences: ["hostile"]\n'
)

CASES: list[list[str]] = [
    *(
        [command, "--expr", expression, *extra]
        for expression in (SIGNS, ABS, NESTED, "sin(1e8*x)", "exp(exp(exp(x)))", "x**1000")
        for command, extra in (
            ("eval", ["--order", "2", "--", "0.5", "1e8"]),
            ("derive", ["--order", "3"]),
            ("smoothness", []),
            ("properties", []),
            ("table", ["--points", "1000"]),
        )
    ),
    ["smoothness", "--expr", "x*sin(1/x)"],
    ["properties", "--expr", "10**400*x"],
    ["properties", "--expr", "(x+1)**1000"],
    ["simulate-depth", "--expr", "sin(1/x)", "--depth", "20"],
    ["check", "relu", "--claim", "derivative=exp(exp(exp(x)))"],
    ["check", "relu", "--claim", "smoothness=C1000"],
    ["eval", "relu", "--order", "1000000", "1"],
    ["derive", "relu", "--order", "1000000", "--format", "python"],
    ["validate", "/dev/zero"],
    ["eval", "stairs.yaml", "0.5"],
    ["smoothness", "stairs.yaml"],
    ["properties", "stairs.yaml"],
    # far points of claims with a tolerance (check's +-60 ... +-1e300) on a function that
    # outgrows mpmath there: each side stops at its first slow point, all share 4 s
    ["check", "far.yaml"],
    # tail series in exp(-|x|) on both sides, for f, f' and f'' (SymPy's slowest found)
    ["eval", "--expr", "x*tanh(softplus(x))/softplus(x)", "--order", "2", "--", "-1000", "1000"],
]
FAR_SPEC = (
    "name: far\ntitle: exp(exp(x)) with claims checked far out\nkind: scalar\n"
    'references: [hand]\ndefinition: "exp(exp(x))"\nclaims:\n  derivative:\n'
    '    expression: "exp(x + exp(x))*(1 + 1e-12)"\n    tolerance: 1e-9\n'
    "  derivatives:\n    2:\n"
    '      expression: "exp(x + exp(x))*(1 + exp(x))"\n      tolerance: 1e-9\n'
    'variants:\n  v:\n    expression: "exp(exp(x))*(1 + 1e-6*tanh(x))"\n    tolerance: 1e-3\n'
)


def run(args: list[str], timeout: float, folder: str) -> tuple[int, float, float]:
    """(exit code, seconds, peak resident MB of the process tree)."""
    actcli = shutil.which("actcli") or f"{sys.exec_prefix}/bin/actcli"
    start = time.monotonic()
    process = subprocess.Popen(
        [actcli, "--timeout", str(timeout), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=folder,
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, time.monotonic() - start, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--only", default="")
    options = parser.parse_args()
    worst_time, worst_memory, internal = 0.0, 0.0, 0
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "stairs.yaml").write_text(SPEC)
        Path(folder, "far.yaml").write_text(FAR_SPEC)
        cases = [c for c in CASES if options.only in " ".join(c)]
        for args in cases:
            code, seconds, megabytes = run(args, options.timeout, folder)
            shown = " ".join(args)
            print(f"exit {code:3d} {seconds:6.1f} s {megabytes:7.0f} MB  {shown[:90]}", flush=True)
            worst_time, worst_memory = max(worst_time, seconds), max(worst_memory, megabytes)
            internal += code == 70
    print(
        f"{len(cases)} cases: worst {worst_time:.1f} s, {worst_memory:.0f} MB; "
        f"{internal} exit 70 (target: <= 60 s, <= 1024 MB, none)"
    )


if __name__ == "__main__":
    main()
