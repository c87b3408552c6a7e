"""Standard streams that are closed or fail: never a traceback, never exit 70.

A closed stdout is a failed write (exit 3); a closed stdin that a command reads is bad input
(exit 2); a closed, full or abandoned stderr loses the diagnostics and nothing else. These run
the console script's real entry point under `sh`, which closes the descriptors before Python
starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from actcli.errors import EXIT_RESOURCE, EXIT_USAGE

ROOT = Path(__file__).resolve().parent.parent


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.pop("ACTCLI_TIMEOUT", None)
    return env


def shell(redirect: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m actcli ARGS REDIRECT` under sh, e.g. REDIRECT `>&-` to close stdout."""
    return subprocess.run(
        ["sh", "-c", f'"$0" -m actcli "$@" {redirect}', sys.executable, *args],
        capture_output=True,
        text=True,
        env=environment(),
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


def test_a_closed_stderr_keeps_the_exit_code():
    done = shell("2>&- <&-", "eval", "relu")
    assert (done.returncode, done.stdout) == (EXIT_USAGE, "")


BAD_SPEC = "name: bad\nfoo: 1\n"  # four fields missing, one unknown: five lines on stderr


def test_a_note_that_cannot_be_written_changes_nothing():
    """eval's note about the kink, on a full stderr, was exit 70."""
    done = shell("2>/dev/full", "eval", "relu", "--order", "1", "--", "0")
    assert (done.returncode, done.stdout) == (0, "nan\n")


def test_spec_problems_that_cannot_be_written_keep_exit_2(tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD_SPEC)
    done = shell("2>/dev/full", "validate", str(tmp_path / "bad.yaml"))
    assert done.returncode == EXIT_USAGE


def test_a_refusal_in_the_parent_on_a_full_stderr_keeps_exit_2():
    done = shell("2>/dev/full", "--timeout", "soon", "list")
    assert done.returncode == EXIT_USAGE


def test_a_stderr_whose_reader_left_keeps_the_exit_code(tmp_path):
    """`actcli validate bad.yaml 2>&1 | true` was exit 1, from EPIPE on stderr."""
    (tmp_path / "bad.yaml").write_text(BAD_SPEC)
    read, write = os.pipe()
    os.close(read)  # the reader is gone before actcli starts: every write is EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "actcli", "validate", str(tmp_path / "bad.yaml")],
            stdout=write,
            stderr=write,
            env=environment(),
            timeout=60,
        )
    finally:
        os.close(write)
    assert done.returncode == EXIT_USAGE
