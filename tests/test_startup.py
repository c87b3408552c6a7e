"""Fast paths stay light: `--help`, `--version` and `list` must not import the heavy libraries.

Each check runs in a fresh interpreter, so that modules imported by other tests do not count.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("sympy", "scipy", "matplotlib")

PROBE = textwrap.dedent(
    """
    import io, json, sys
    from actcli.cli import main

    argv = json.loads(sys.argv[1])
    captured = io.StringIO()
    real_stdout, sys.stdout = sys.stdout, captured
    try:
        code = main(argv)
    finally:
        sys.stdout = real_stdout
    loaded = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[2])))
    print(json.dumps({"code": code, "loaded": loaded, "out": captured.getvalue()}))
    """
)


def _probe(argv: list[str]) -> dict:
    import json

    env = dict(os.environ, NO_COLOR="1", COLUMNS="120")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["list"],
        ["list", "--format", "json"],
        ["list", "--format", "csv"],
        ["list", "--tag", "relu-like"],
        ["eval", "--help"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_fast_paths_do_not_import_heavy_libraries(argv: list[str]) -> None:
    result = _probe(argv)
    assert result["code"] == 0
    assert result["out"].strip(), "the command printed nothing"
    assert result["loaded"] == [], f"actcli {' '.join(argv)} imported {result['loaded']}"


def test_import_actcli_is_light() -> None:
    code = (
        "import sys, actcli; "
        f"heavy = {{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}; "
        "assert not heavy, heavy; "
        "assert 'typer' not in sys.modules and 'rich' not in sys.modules"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_real_entry_point_help_is_light() -> None:
    """`python -m actcli --help` through runpy, as a user runs it."""
    code = (
        "import runpy, sys; sys.argv = ['actcli', '--help']\n"
        "try:\n"
        "    runpy.run_module('actcli', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"heavy = {{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}\n"
        "assert not heavy, heavy\n"
    )
    env = dict(os.environ, NO_COLOR="1", COLUMNS="120")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout
