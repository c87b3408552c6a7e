"""Output under hostile conditions: every byte written or an error, never a silent loss.

`-o` writes regular files only (a symlink is written through, devices, FIFOs and folders are
refused); a full disk, a file size limit or an I/O error exits 3 with one line; a reader that
leaves exits 141 silently; SIGTERM and SIGHUP remove temporary files and exit 128 + n; Python
warnings never reach stderr; messages quoting input stay short.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from actcli.errors import ResourceLimitError, UsageError
from actcli.files import atomic_write

ROOT = Path(__file__).resolve().parent.parent
TABLE = ["table", "tanh", "--points", "4001"]  # 131 kB of CSV in about 2 s
TABLE_BYTES = 130_000  # at least this much


def actcli(*args: str, cwd: Path, unbuffered: bool = False, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([sys.executable, "-m", "actcli", *args], cwd=cwd, env=env, **kwargs)


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, bytes, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out or b"", err.decode()


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith("actcli: note:")]
    errors = [line for line in lines if line.startswith("actcli: error:")]
    assert len(errors) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    return errors[0]


# -- library: atomic_writer ---------------------------------------------------------------------


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "table.csv"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    atomic_write(link, b"new\n")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path / "real")) == ["table.csv"]
    assert sorted(os.listdir(tmp_path)) == ["link.csv", "real"]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "made.csv")
    atomic_write(link, b"1\n")
    assert link.is_symlink() and (tmp_path / "made.csv").read_bytes() == b"1\n"


def test_a_symlink_loop_is_refused(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(UsageError, match="cannot write"):
        atomic_write(tmp_path / "a", b"1\n")


def _bind_socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))  # the socket file stays after close


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: os.mkfifo(p), "a FIFO"),
        (lambda p: _bind_socket(p), "a socket"),
        (lambda p: p.mkdir(), "a folder"),
    ],
)
def test_special_files_and_folders_are_refused_and_left_alone(tmp_path, make, kind):
    path = tmp_path / "out.csv"
    make(path)
    before = path.lstat()
    with pytest.raises(UsageError, match=kind):
        atomic_write(path, b"1\n")
    after = path.lstat()
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert os.listdir(tmp_path) == ["out.csv"]


def char_device(folder: Path, name: str, minor: int) -> Path:
    """A character device node of the test's own (1, 3 is null, 1, 7 is full): a regression that
    replaced the node it writes to must not destroy the system's /dev/null or /dev/full."""
    path = folder / name
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    return path


def test_devices_are_refused_also_through_a_symlink(tmp_path):
    full, null = char_device(tmp_path, "full", 7), char_device(tmp_path, "null", 3)
    link = tmp_path / "null.csv"
    link.symlink_to(null)
    for path in (full, null, link):
        with pytest.raises(UsageError, match="character device"):
            atomic_write(path, b"1\n")
    assert stat.S_ISCHR(full.stat().st_mode) and stat.S_ISCHR(null.stat().st_mode)
    assert sorted(os.listdir(tmp_path)) == ["full", "null", "null.csv"]


@pytest.mark.parametrize("name", ["", "folder/", "missing/t.csv", "file.txt/t.csv"])
def test_names_that_are_no_file_are_usage_errors(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(UsageError) as caught:
        atomic_write(name, b"1\n")
    if name:
        assert name.split("/")[0] in str(caught.value)
    assert sorted(os.listdir(tmp_path)) == ["file.txt", "folder"]
    assert os.listdir(tmp_path / "folder") == []


def test_permission_denied_is_a_usage_error(tmp_path, monkeypatch):
    """Permission errors are the user's to fix (exit 2). Root may write anywhere, so as root
    the refusal comes from a stand-in for the temporary file's creation."""
    if os.geteuid() == 0:

        def refused(*args, **kwargs):
            raise PermissionError(13, "Permission denied", str(kwargs.get("dir", "")))

        monkeypatch.setattr(tempfile, "NamedTemporaryFile", refused)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    read_only = tmp_path / "read_only.csv"
    read_only.write_text("keep\n")
    read_only.chmod(0o444)
    try:
        for path in (locked / "t.csv", read_only):
            with pytest.raises(UsageError, match="Permission denied"):
                atomic_write(path, b"1\n")
        assert read_only.read_text() == "keep\n"
    finally:
        locked.chmod(0o700)


def test_a_failed_write_is_a_resource_error_and_leaves_nothing(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    (tmp_path / "t.csv").write_bytes(b"old\n")
    with pytest.raises(ResourceLimitError, match=r"t\.csv: No space left on device"):
        atomic_write(tmp_path / "t.csv", b"new\n")
    assert os.listdir(tmp_path) == ["t.csv"]
    assert (tmp_path / "t.csv").read_bytes() == b"old\n"


# -- -o on the command line ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["table", "relu", "--points", "5", "-o", "t.png"], ".csv, .tsv, .json, .npy, .h, .hex"),
        (["table", "relu", "--points", "5", "-o", "t.pdf"], ".csv, .tsv, .json, .npy, .h, .hex"),
        (["table", "relu", "--points", "5", "-o", "t.json", "--format", "csv"], "--format"),
        (["plot", "relu", "-o", "f.csv"], ".png, .svg or .pdf"),
        (["table", "relu", "--points", "5", "-o", "full"], "character device"),
        (["plot", "relu", "-o", "null"], "character device"),
        (["table", "relu", "--points", "5", "-o", "folder"], "folder"),
        (["table", "relu", "--points", "5", "-o", "folder/"], "folder"),
        (["table", "relu", "--points", "5", "-o", ""], "empty"),
        (["plot", "relu", "-o", "folder"], "folder"),
        (["table", "relu", "--points", "5", "-o", "missing/t.csv"], "missing"),
        (["simulate-depth", "relu", "--depth", "2", "--plot", "folder/"], "folder"),
    ],
)
def test_output_names_the_command_cannot_write_exit_2(run_actcli, tmp_path, argv, expected):
    (tmp_path / "folder").mkdir()
    made = ["folder"]
    if expected == "character device":
        made += [char_device(tmp_path, argv[-1], 7 if argv[-1] == "full" else 3).name]
    code, out, err = run_actcli(*argv)
    assert code == 2, err
    assert expected in one_error_line(err)
    assert out == ""
    assert sorted(os.listdir(tmp_path)) == sorted(made)
    assert os.listdir(tmp_path / "folder") == []


def test_table_output_without_extension_takes_the_format_option(run_actcli, tmp_path):
    code, _, err = run_actcli("table", "relu", "--points", "3", "-o", "lut", "--format", "json")
    assert code == 0, err
    assert (tmp_path / "lut").read_text().lstrip().startswith("{")


def test_table_through_a_symlink_replaces_the_target(run_actcli, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.csv").write_text("old\n")
    (tmp_path / "t.csv").symlink_to(tmp_path / "data" / "t.csv")
    code, _, err = run_actcli("table", "relu", "--points", "3", "-o", "t.csv")
    assert code == 0, err
    assert (tmp_path / "t.csv").is_symlink()
    assert (tmp_path / "data" / "t.csv").read_text().startswith("x,f\n")
    assert os.listdir(tmp_path / "data") == ["t.csv"]


# -- stdout: every byte, or an error --------------------------------------------------------------


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return apply


@pytest.mark.parametrize("unbuffered", [False, True])
@pytest.mark.slow
def test_a_file_size_limit_on_stdout_exits_3(tmp_path, unbuffered):
    with open(tmp_path / "t.csv", "wb") as stdout:
        process = actcli(
            *TABLE,
            cwd=tmp_path,
            unbuffered=unbuffered,
            stdout=stdout,
            preexec_fn=_limit_file_size(20_000),
        )
        code, _, err = finish(process)
    assert code == 3, err
    assert one_error_line(err) == "actcli: error: writing stdout: File too large"


@pytest.mark.parametrize("unbuffered", [False, True])
def test_text_output_under_a_file_size_limit_exits_3(tmp_path, unbuffered):
    numbers = "\n".join(str(k) for k in range(20_000)).encode()
    with open(tmp_path / "y.txt", "wb") as stdout:
        process = actcli(
            "eval",
            "relu",
            "-",
            cwd=tmp_path,
            unbuffered=unbuffered,
            stdin=subprocess.PIPE,
            stdout=stdout,
            preexec_fn=_limit_file_size(10_000),
        )
        code, _, err = finish_with_input(process, numbers)
    assert code == 3, err
    assert "File too large" in one_error_line(err)


def finish_with_input(process: subprocess.Popen, data: bytes) -> tuple[int, bytes, str]:
    out, err = process.communicate(data, timeout=120)
    return process.returncode, out or b"", err.decode()


@pytest.mark.parametrize("unbuffered", [False, True])
def test_a_full_disk_on_stdout_exits_3(tmp_path, unbuffered):
    try:
        full = char_device(tmp_path, "full", 7)
    except pytest.skip.Exception:
        full = Path("/dev/full")  # opened without O_CREAT or O_TRUNC: a regular file is refused
    if not stat.S_ISCHR(full.stat().st_mode):
        pytest.skip(f"{full} is not a device")
    with open(os.open(full, os.O_WRONLY), "wb") as stdout:
        code, _, err = finish(actcli(*TABLE, cwd=tmp_path, unbuffered=unbuffered, stdout=stdout))
    assert code == 3, err
    assert one_error_line(err) == "actcli: error: writing stdout: No space left on device"


@pytest.mark.parametrize("unbuffered", [False, True])
@pytest.mark.slow
def test_all_bytes_arrive_through_a_pipe(tmp_path, unbuffered):
    code, out, err = finish(actcli(*TABLE, cwd=tmp_path, unbuffered=unbuffered))
    assert code == 0, err
    assert len(out) > TABLE_BYTES
    rows = out.decode().splitlines()
    assert rows[0] == "x,f" and len(rows) == 4002
    assert rows[-1].startswith("8.0,")


@pytest.mark.parametrize("unbuffered", [False, True])
@pytest.mark.slow
def test_a_reader_that_leaves_gives_141_silently(tmp_path, unbuffered):
    process = actcli(*TABLE, cwd=tmp_path, unbuffered=unbuffered)
    assert process.stdout.read(10) == b"x,f\n-8.0,-"
    process.stdout.close()
    code = process.wait(timeout=120)
    err = process.stderr.read().decode()
    process.stderr.close()
    assert code == 141, err
    assert "error" not in err and "Traceback" not in err and "Exception" not in err


# -- signals ------------------------------------------------------------------------------------


def _terminate_while_writing(tmp_path: Path, signum: int) -> tuple[int, str]:
    """Run `table -o t.csv` with fsync held up, so the temporary file exists when `signum`
    arrives (the table itself is written in a fraction of a second). The child starts with
    the signal's default disposition: under nohup (a CI runner started with it) SIGHUP is
    inherited ignored, and actcli rightly keeps it ignored (test_an_ignored_sighup_stays_ignored),
    so the child would sit out the held-up fsync."""
    script = (
        "import os, sys, time\n"
        "os.fsync = lambda fd: time.sleep(60)\n"
        "from actcli.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", script, *TABLE, "-o", "t.csv"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signum, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not any(name.endswith(".tmp") for name in os.listdir(tmp_path)):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    return process.returncode, err.decode()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.slow
def test_a_signal_while_writing_removes_the_temporary_file(tmp_path, signum):
    code, err = _terminate_while_writing(tmp_path, signum)
    assert code == 128 + signum, err
    assert os.listdir(tmp_path) == []
    assert "Traceback" not in err


# a table that takes 12 s on a fast 2-core VM (200,001 points took 1.7 s there, under the
# tests' 2 s of sleeping: the command ended before its signal came)
LONG_TABLE = ("table", "tanh", "--points", "2000001", "--max-points", "4000000")
LONG_TABLE += ("--max-output-size", "1G", "-o", "t.csv")


def test_sigterm_during_the_computation_exits_143_and_writes_nothing(tmp_path):
    process = actcli(*LONG_TABLE, cwd=tmp_path)
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    code, _, err = finish(process)
    assert code == 143, err
    assert os.listdir(tmp_path) == []
    assert err.strip() == "actcli: terminated (SIGTERM)"


@pytest.mark.slow
def test_an_ignored_sighup_stays_ignored(tmp_path):
    process = actcli(
        *LONG_TABLE,
        cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),  # as nohup does
    )
    time.sleep(1.5)
    process.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    code, _, err = finish(process)
    assert code == 143, err
    assert os.listdir(tmp_path) == []


def test_the_signal_handlers_are_restored_after_main(run_actcli):
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    assert run_actcli("eval", "relu", "1")[0] == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before


# -- stderr: no raw warnings, short messages ------------------------------------------------------


@pytest.mark.slow
def test_numpy_warnings_do_not_reach_stderr(tmp_path):
    # a range near float64's limit overflows in matplotlib's tick code, which warns about it
    argv = ["plot", "relu", "--range", "-1e307", "1e307", "-o", "f.png"]
    code, _, err = finish(actcli(*argv, cwd=tmp_path))
    assert code == 0, err
    assert "Warning" not in err
    assert err.startswith("actcli: wrote f.png")
    code, _, err = finish(actcli("--debug", *argv, cwd=tmp_path))  # shown when debugging
    assert code == 0 and "RuntimeWarning" in err


def test_long_input_in_messages_is_cut(run_actcli):
    name = "a" * 100_000
    code, out, err = run_actcli("eval", name, "1")
    assert code == 2
    assert len(err) <= 302 and ("..." in err or "…" in err)
    code, out, err = run_actcli("eval", "relu", "--" + name)
    assert code == 2
    assert len(err) <= 302 and err.rstrip().endswith("...")
