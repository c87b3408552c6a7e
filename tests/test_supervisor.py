"""The console script's watchdog: a wall-clock limit that stops even a step stuck in C code,
an address-space cap, signals passed on to the command, and the limits' parsing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actcli import supervisor
from actcli.errors import EXIT_RESOURCE, UsageError

ROOT = Path(__file__).resolve().parents[1]
# 10 abs terms (1024 combinations of branches, at the refusal limit): their smoothness takes
# far longer than the limits here
MANY_KINKS = "+".join(f"abs(x-{i})" for i in range(1, 11))


def actcli(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    environment = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT), **(env or {})}
    environment.pop("ACTCLI_TIMEOUT", None)
    return subprocess.Popen(
        [sys.executable, "-m", "actcli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("args", "rest", "seconds"),
    [
        (["eval", "relu", "1"], ["eval", "relu", "1"], supervisor.DEFAULT_TIMEOUT),
        (["--timeout", "5", "eval", "relu"], ["eval", "relu"], 5.0),
        (["eval", "relu", "--timeout=0.5"], ["eval", "relu"], 0.5),
        (["eval", "--timeout", "0", "relu"], ["eval", "relu"], None),
        (["eval", "--timeout", "none"], ["eval"], None),
        # after `--` it is data, not an option
        (["eval", "relu", "--", "--timeout", "3"], ["eval", "relu", "--", "--timeout", "3"], 60.0),
    ],
)
def test_timeout_option_is_taken_out_of_the_arguments(args, rest, seconds, monkeypatch):
    monkeypatch.delenv("ACTCLI_TIMEOUT", raising=False)
    assert supervisor.split_timeout(args) == (rest, seconds)


@pytest.mark.parametrize("bad", ["-1", "abc", "nan", "inf", ""])
def test_a_timeout_that_is_not_a_number_of_seconds_is_a_usage_error(bad, monkeypatch):
    monkeypatch.delenv("ACTCLI_TIMEOUT", raising=False)
    with pytest.raises(UsageError, match="--timeout"):
        supervisor.split_timeout(["eval", "relu", "--timeout", bad])
    with pytest.raises(UsageError, match="needs a value"):
        supervisor.split_timeout(["eval", "--timeout"])


def test_the_environment_sets_the_default_timeout(monkeypatch):
    monkeypatch.setenv("ACTCLI_TIMEOUT", "7")
    assert supervisor.split_timeout(["list"]) == (["list"], 7.0)
    assert supervisor.split_timeout(["list", "--timeout", "2"]) == (["list"], 2.0)
    monkeypatch.setenv("ACTCLI_TIMEOUT", "soon")
    with pytest.raises(UsageError, match="ACTCLI_TIMEOUT"):
        supervisor.split_timeout(["list"])


@pytest.mark.parametrize(("text", "size"), [("512M", 512 << 20), ("8G", 8 << 30), ("", 4 << 30)])
def test_memory_cap_from_the_environment(text, size, monkeypatch):
    monkeypatch.setenv("ACTCLI_MAX_MEMORY", text)
    assert supervisor.max_memory() == size


@pytest.mark.parametrize("bad", ["lots", "10M", "-1G", "0", "255M", "inf", "99999999999T"])
def test_a_memory_cap_that_is_no_size_or_too_small_is_refused(bad, monkeypatch):
    monkeypatch.setenv("ACTCLI_MAX_MEMORY", bad)
    with pytest.raises(UsageError, match="ACTCLI_MAX_MEMORY"):
        supervisor.max_memory()


def test_a_bad_memory_cap_is_refused_before_the_fork(monkeypatch):
    """It was raised in the child, where it became a traceback and exit 1."""
    monkeypatch.setenv("ACTCLI_MAX_MEMORY", "garbage")
    with pytest.raises(UsageError, match="'garbage' is not a size"):
        supervisor.supervise(lambda: 0, 30.0)
    process = actcli("list", env={"ACTCLI_MAX_MEMORY": "99999999999T"})
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2 and out == ""
    assert err == (
        "actcli: error: ACTCLI_MAX_MEMORY: '99999999999T' is above the largest cap, 8388607T\n"
    )


@pytest.mark.slow
def test_a_command_past_its_time_is_stopped_with_exit_3_naming_its_step():
    start = time.monotonic()
    process = actcli("--timeout", "3", "smoothness", "--expr", MANY_KINKS)
    out, err = process.communicate(timeout=60)
    elapsed = time.monotonic() - start
    assert process.returncode == EXIT_RESOURCE, err
    assert out == ""
    assert "stopped after the 3 s time limit while finding the smoothness class of expr" in err
    assert "--timeout" in err and "Traceback" not in err
    assert elapsed < 20  # start-up plus 2 s, on a loaded machine


def test_a_step_that_never_returns_to_python_is_still_stopped():
    """A single C-level big-integer power holds the GIL: SIGALRM could not interrupt it."""

    def stuck() -> int:
        (10**10) ** (10**8)  # minutes of C code
        return 0

    start = time.monotonic()
    with supervisor.step("raising a big integer to a big power"):
        code = supervisor.supervise(stuck, 1.0)
    assert code == EXIT_RESOURCE
    assert time.monotonic() - start < 10


def test_the_child_runs_with_the_address_space_cap(monkeypatch):
    monkeypatch.setenv("ACTCLI_MAX_MEMORY", "1G")

    def allocate() -> int:
        try:
            bytearray(3 << 30)
        except MemoryError:
            return 42
        return 0

    assert supervisor.supervise(allocate, 30.0) == 42


def test_exit_codes_pass_through_and_no_limit_means_none():
    assert supervisor.supervise(lambda: 0, None) == 0
    assert supervisor.supervise(lambda: 2, 30.0) == 2
    assert supervisor.supervise(lambda: sys.exit(5), 30.0) == 5


def test_a_timeout_past_the_platform_clock_still_supervises(monkeypatch):
    """1e20 s overflowed time_t in the wait for signals: a traceback, the child left running."""
    monkeypatch.setenv("ACTCLI_TIMEOUT", "1e20")
    _, seconds = supervisor.split_timeout(["list"])
    assert supervisor.supervise(lambda: time.sleep(0.3) or 7, seconds) == 7


def test_a_failing_watchdog_kills_its_child(monkeypatch):
    forked: list[int] = []
    fork = os.fork

    def recording_fork() -> int:
        pid = fork()
        forked.append(pid)
        return pid

    def broken(*args: object) -> None:
        raise RuntimeError("watchdog broke")

    monkeypatch.setattr(os, "fork", recording_fork)
    monkeypatch.setattr(signal, "sigtimedwait", broken)
    with pytest.raises(RuntimeError, match="watchdog broke"):
        supervisor.supervise(lambda: time.sleep(60) or 0, 30.0)
    with pytest.raises(ChildProcessError):  # killed and reaped already
        os.waitpid(forked[0], os.WNOHANG)


@pytest.mark.slow
def test_sigterm_reaches_the_command():
    process = actcli("--timeout", "60", "smoothness", "--expr", MANY_KINKS)
    time.sleep(2.0)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 128 + signal.SIGTERM, err


def test_out_of_memory_in_a_command_is_exit_3_with_a_message(run_actcli, monkeypatch):
    from actcli import api

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(api, "derive", exhausted)
    code, out, err = run_actcli("derive", "relu")
    assert code == EXIT_RESOURCE and out == ""
    assert err == "actcli: error: out of memory\n"  # in process: no cap to name


def test_out_of_memory_names_the_cap_the_child_ran_under(capfd, monkeypatch):
    """It named the 4 GiB default whatever ACTCLI_MAX_MEMORY was."""
    from actcli import api
    from actcli.cli import main

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(api, "derive", exhausted)
    monkeypatch.setenv("ACTCLI_MAX_MEMORY", "300M")
    capfd.readouterr()
    assert supervisor.supervise(lambda: main(["derive", "relu"]), 30.0) == EXIT_RESOURCE
    assert capfd.readouterr().err == (
        "actcli: error: out of memory; the address space is capped at 300M, "
        "raise it with ACTCLI_MAX_MEMORY (e.g. 600M)\n"
    )


def test_in_process_main_accepts_the_timeout_option(run_actcli):
    code, out, _ = run_actcli("eval", "relu", "2", "--timeout", "30")
    assert code == 0 and float(out) == 2.0
    code, _, err = run_actcli("eval", "relu", "2", "--timeout", "soon")
    assert code == 2 and "--timeout" in err


@pytest.mark.parametrize("command", ["eval", "derive", "smoothness", "properties"])
def test_kinks_whose_folding_is_exponential_are_refused_before_any_work(command, run_actcli):
    """100 abs terms fold into up to 2**100 pieces: refused at once (exit 3), not after minutes."""
    expression = "+".join(f"abs(x-{i})" for i in range(1, 101))
    start = time.monotonic()
    code, out, err = run_actcli(
        command, "--expr", expression, *(["0.5"] if command == "eval" else [])
    )
    assert code == EXIT_RESOURCE and out == ""
    assert "100 max/min/abs/sign/heaviside/piecewise terms" in err
    assert time.monotonic() - start < 10


def test_many_kinks_of_one_piecewise_are_not_a_combination(run_actcli, tmp_path):
    """One piecewise of 40 pieces is 40 pieces, not 2**40: a staircase, evaluated and derived."""
    pieces = "".join(f'    - {{when: "x < {i}", value: "{i}"}}\n' for i in range(1, 40))
    (tmp_path / "stairs.yaml").write_text(
        "name: stairs\ntitle: a staircase\nkind: scalar\ndefinition:\n  piecewise:\n"
        f'{pieces}    - {{otherwise: "40"}}\nreferences: ["a test"]\n'
    )
    code, out, err = run_actcli("eval", "stairs.yaml", "2.5", "-7", "39.5", "99")
    assert code == 0, err
    assert [float(v) for v in out.split()] == [3.0, 1.0, 40.0, 40.0]


@pytest.mark.slow
def test_a_derivative_too_large_to_print_is_refused_before_tidying(run_actcli):
    """55 nested sin: f' has 55 chained factors, f'' tens of thousands of operations."""
    nested = "sin(" * 55 + "x" + ")" * 55
    start = time.monotonic()
    code, out, err = run_actcli("derive", "--expr", nested, "--order", "3")
    assert code == EXIT_RESOURCE and out == ""
    assert "the order-2 derivative of expr has" in err and "eval --order 3" in err
    assert time.monotonic() - start < 30


def test_a_claim_on_abs_of_the_output_is_decided_not_a_crash(run_actcli):
    """softsign' = 1/(1 + |x|)**2 = (1 - |y|)**2 with y = x/(1 + |x|) (by hand: 1 - |y| =
    1/(1 + |x|)); a wrong power is refuted with a witness."""
    claim = "derivative_in_terms_of_output=(1 - abs(y))**2"
    code, out, err = run_actcli("check", "softsign", "--claim", claim)
    assert code == 0 and "holds" in out, err
    code, out, err = run_actcli("check", "softsign", "--claim", claim.replace("**2", "**3"))
    assert code == 1 and "refuted" in out and "counterexample" in out


@pytest.mark.slow
def test_a_table_whose_bounding_derivative_is_too_large_is_refused(run_actcli):
    nested = "sin(" * 55 + "x" + ")" * 55
    code, out, err = run_actcli("table", "--expr", nested, "--points", "1000")
    assert code == EXIT_RESOURCE and out == ""
    assert "the error bound needs f^(2) of expr" in err and "89,156 operations" in err
