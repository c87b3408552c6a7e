"""Special files and sizes (issue 12): a spec file's type and size are checked before it is
read, so /dev/zero, a FIFO or a 3 GB file on ACTCLI_SPEC_PATH give one clear line and exit 2
at once; `~nouser` on the spec path is a clear error; messages quote at most ~200 characters
of what the user typed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actcli.errors import MAX_QUOTED
from actcli.spec import MAX_SPEC_BYTES

ROOT = Path(__file__).resolve().parent.parent
THREE_GB = 3 * 1024**3


def actcli(*argv: str, env: dict[str, str] | None = None, timeout: float = 60):
    """The CLI in a subprocess, with a timeout: a FIFO that blocked would hang in-process."""
    environment = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT), **(env or {})}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "actcli", *argv],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(size)  # no data blocks written: a 3 GB file that costs nothing
    return path


def test_dev_zero_is_not_a_regular_file(run_actcli) -> None:
    code, out, err = run_actcli("validate", "/dev/zero")
    assert code == 2
    assert err.strip() == "/dev/zero: not a regular file"


@pytest.mark.parametrize("command", [["validate"], ["eval"], ["show"]])
def test_fifo_spec_file_does_not_block(command: list[str], tmp_path: Path) -> None:
    fifo = tmp_path / "act.yaml"
    os.mkfifo(fifo)  # no writer will ever come: reading it would block forever
    argv = [*command, str(fifo), *(["1"] if command == ["eval"] else [])]
    code, out, err, seconds = actcli(*argv)
    assert code == 2, err
    assert err.strip().endswith(f"{fifo}: not a regular file"), err
    assert "Traceback" not in err
    assert seconds < 30


def test_directory_named_like_a_spec_file(run_actcli, tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    code, out, err = run_actcli("validate", "dir.yaml")
    assert (code, err.strip()) == (2, "dir.yaml: not a regular file")


def test_huge_spec_file_is_refused_without_reading_it(run_actcli, tmp_path: Path) -> None:
    big = sparse(tmp_path / "big.yaml", THREE_GB)
    started = time.monotonic()
    code, out, err = run_actcli("validate", str(big))
    assert time.monotonic() - started < 10
    assert code == 2
    assert err.strip() == f"{big}: is {THREE_GB} bytes; spec files are limited to {MAX_SPEC_BYTES}"


def test_huge_spec_file_on_the_spec_path(
    run_actcli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tmp_path / "specs"
    user.mkdir()
    big = sparse(user / "big.yaml", THREE_GB)
    monkeypatch.setenv("ACTCLI_SPEC_PATH", str(user))
    started = time.monotonic()
    for argv in (["list"], ["eval", "relu", "1"]):  # skipped, with one warning line
        code, out, err = run_actcli(*argv)
        assert code == 0 and out
        assert err.startswith(f"actcli: warning: {big}: is {THREE_GB} bytes; spec files are")
        assert err.endswith("; skipped\n") and len(err.splitlines()) == 1
    code, out, err = run_actcli("eval", "big", "1")  # naming it is the error
    assert code == 2 and err.splitlines()[-1].startswith(f"{big}: is {THREE_GB} bytes")
    assert time.monotonic() - started < 20


def test_just_over_the_limit_and_at_it(run_actcli, tmp_path: Path) -> None:
    good = (ROOT / "tests" / "data" / "good_specs" / "scaled_clamp.yaml").read_bytes()
    at_limit = tmp_path / "at.yaml"
    at_limit.write_bytes(good + b"#" * (MAX_SPEC_BYTES - len(good) - 1) + b"\n")
    assert os.path.getsize(at_limit) == MAX_SPEC_BYTES
    assert run_actcli("validate", str(at_limit))[0] == 0
    over = tmp_path / "over.yaml"
    over.write_bytes(at_limit.read_bytes() + b"\n")
    code, out, err = run_actcli("validate", str(over))
    assert code == 2 and "spec files are limited to" in err


def test_fifo_on_the_spec_path_is_skipped(tmp_path: Path) -> None:
    user = tmp_path / "specs"
    user.mkdir()
    os.mkfifo(user / "fifo.yaml")
    shutil.copy(ROOT / "tests" / "data" / "good_specs" / "scaled_clamp.yaml", user)
    code, out, err, seconds = actcli("list", env={"ACTCLI_SPEC_PATH": str(user)})
    assert code == 0, err
    assert "scaled_clamp" in out
    assert seconds < 30


@pytest.mark.parametrize("entry", ["~nouser_actcli_12/specs", "~nouser_actcli_12"])
def test_unknown_user_in_spec_path(entry: str, run_actcli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTCLI_SPEC_PATH", entry)
    code, out, err = run_actcli("list")
    assert code == 2
    assert err.strip() == (
        f"ACTCLI_SPEC_PATH: {entry!r}: cannot expand '~' (no such user, or no home directory)"
    )


def test_long_spec_path_entry_is_clipped(run_actcli, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = "/nowhere/" + "d" * 3000
    monkeypatch.setenv("ACTCLI_SPEC_PATH", entry)
    code, out, err = run_actcli("list")
    assert code == 2
    assert "not a directory" in err and "…" in err
    assert len(err) < MAX_QUOTED + 100


def test_long_name_is_clipped_in_the_message(run_actcli) -> None:
    code, out, err = run_actcli("eval", "q" * 100_000, "1")
    assert code == 2
    assert err.startswith("actcli: error: unknown activation 'qqq")
    assert "…" in err and len(err) < MAX_QUOTED + 100


def test_long_spec_file_name_is_clipped_in_the_message(run_actcli) -> None:
    code, out, err = run_actcli("eval", "m" * 10_000 + ".yaml", "1")
    assert code == 2 and "not found" in err and len(err) < MAX_QUOTED + 100


def test_long_value_in_a_spec_is_clipped(run_actcli, tmp_path: Path) -> None:
    text = (ROOT / "specs" / "relu.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("kind: scalar", "kind: " + "m" * 50_000, 1))
    code, out, err = run_actcli("validate", str(bad))
    assert code == 2
    assert "kind: 'mmm" in err and "…" in err
    assert max(len(line) for line in err.splitlines()) < len(str(bad)) + MAX_QUOTED + 100


def test_long_expression_is_clipped_in_the_message(run_actcli) -> None:
    expression = "x + " * 900 + "@"
    code, out, err = run_actcli("eval", "--expr", expression, "1")
    assert code == 2
    assert len(err) < MAX_QUOTED + 200, err


@pytest.mark.parametrize("character", ["\x1b", "\x07", "\x9b", "\x00"])
def test_a_control_character_in_a_spec_text_is_refused_with_its_line(
    tmp_path, run_actcli, character: str
) -> None:
    """An ESC in a title reached the terminal from `show` and `list` (and validated): a
    text of a spec may hold line breaks and tabs, no other control character."""
    path = tmp_path / "control.yaml"
    escaped = f"\\x{ord(character):02x}"
    path.write_text(
        f'name: control\ntitle: "a{escaped}[31mred"\nkind: scalar\n'
        'references: [hand]\ndefinition: "x"\n'
    )
    code, out, err = run_actcli("validate", str(path))
    assert code == 2 and character not in err
    assert err.strip() == (
        f"{path}:2: title: contains the control character U+{ord(character):04X}"
    )


def test_a_spec_path_entry_is_quoted_in_its_error(run_actcli, monkeypatch) -> None:
    """An entry with an ESC (a terminal's title sequence) was echoed raw."""
    monkeypatch.setenv("ACTCLI_SPEC_PATH", "\x1b]0;pwned\x07")
    code, _, err = run_actcli("list")
    assert code == 2 and "\x1b" not in err and "\\x1b]0;pwned\\x07" in err
