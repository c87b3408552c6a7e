"""Standard streams that are closed or fail: never a traceback, never exit 70.

A closed stdout is a failed write (exit 3); a closed stdin that a command reads is bad input
(exit 2); a closed stderr loses the diagnostics and nothing else. These run the console
script's real entry point under `sh`, which closes the descriptors before Python starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from actcli.errors import EXIT_RESOURCE, EXIT_USAGE

ROOT = Path(__file__).resolve().parent.parent


def shell(redirect: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m actcli ARGS REDIRECT` under sh, e.g. REDIRECT `>&-` to close stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.pop("ACTCLI_TIMEOUT", None)
    return subprocess.run(
        ["sh", "-c", f'"$0" -m actcli "$@" {redirect}', sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_closed_stdout_is_a_failed_write():
    """It was an AttributeError traceback ('NoneType' object has no attribute 'flush')."""
    done = shell(">&-", "list")
    assert done.returncode == EXIT_RESOURCE
    assert done.stderr == "actcli: error: writing stdout: Bad file descriptor\n"


def test_a_closed_stdin_is_bad_input():
    """It was exit 70: 'NoneType' object has no attribute 'read'."""
    done = shell("<&-", "eval", "relu")
    assert done.returncode == EXIT_USAGE and done.stdout == ""
    assert done.stderr == (
        "actcli: error: cannot read stdin (Bad file descriptor): "
        "give the numbers as arguments or on stdin\n"
    )


def test_a_closed_stderr_leaves_the_result_alone():
    done = shell("2>&-", "eval", "relu", "1")
    assert (done.returncode, done.stdout) == (0, "1.0\n")
    done = shell("2>&- <&-", "eval", "relu")
    assert (done.returncode, done.stdout) == (EXIT_USAGE, "")
