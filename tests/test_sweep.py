"""Sweeps over independent jobs (`actcli.sweep`): in process, on `--workers N` local processes
and on a Dask cluster (`--scheduler`), the same numbers bit for bit; workers that never outlive
the command (Ctrl-C, SIGTERM, the watchdog's time limit); and one-line refusals of bad input.

The reference for every parallel run is the same computation in one process (a second way of
running it), and for a depth grid the single runs it is made of.
"""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import numpy as np
import pytest

import actcli
from actcli import sweep
from actcli.errors import ResourceLimitError, UsageError
from actcli.propagation import simulate as simulate_module
from actcli.propagation.phase import _row_blocks

ROOT = Path(__file__).resolve().parents[1]
GRID = {"sigma_w2": (0.5, 3.0, 4), "sigma_b2": (0.0, 0.2, 3)}
PHASE_ARGS = ("phase", "tanh", "relu", "--sigma-w2", "0.5:3:4", "--sigma-b2", "0:0.2:3")
DEPTH_ARGS = ("--batch", "4", "--seeds", "2", "--format", "json")
LONG_PHASE = ("phase", "tanh", "relu", "gelu", "silu", "elu", "--sigma-w2", "1:4:200", "--sigma-b2",
              "0:0.3:200")  # fmt: skip


@pytest.fixture(scope="module")
def in_process() -> actcli.api.PhaseResult:
    return actcli.phase(["tanh", "relu"], **GRID)


@pytest.fixture(scope="module")
def cluster():
    """A local Dask cluster of two worker processes, shared by the module's tests."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    ) as local:
        yield local.scheduler_address


def assert_same(found: actcli.api.PhaseResult, expected: actcli.api.PhaseResult) -> None:
    for got, want in zip(found.diagrams, expected.diagrams, strict=True):
        assert got.activation == want.activation
        for name in ("sigma_w2", "sigma_b2", "q_star", "chi_1", "depth_scale"):
            assert np.array_equal(getattr(got, name), getattr(want, name), equal_nan=True), name
        assert got.phase == want.phase
        assert got.critical_line == want.critical_line


def without_estimates(document: dict) -> dict:
    """A simulate-depth JSON document without the machine-dependent time/memory estimates."""
    for run in document["runs"]:
        run.pop("estimate")
    return document


# -- the same numbers, however the work is run -------------------------------------------------


def test_the_in_process_reference_is_right_where_it_is_known(in_process):
    """ReLU at sigma_b2 = 0 (by hand): E[relu'(z)^2] = 1/2, so chi_1 = sigma_w2 / 2, and the
    edge of chaos is sigma_w2 = 2."""
    relu = in_process.diagrams[1]
    assert np.allclose(relu.chi_1[0], relu.sigma_w2 / 2, rtol=1e-10, atol=0)
    assert relu.critical_line[0].sigma_w2 == pytest.approx(2.0, rel=1e-9)


@pytest.mark.slow
def test_phase_on_two_workers_equals_one_process(in_process):
    """Two workers get the rows one at a time (2 activations x 3 rows = 6 jobs), yet the
    stitched diagrams are the in-process ones bit for bit."""
    jobs = _row_blocks([None, None], np.array([1.0]), np.linspace(*GRID["sigma_b2"]), 2, False)
    assert len(jobs) == 6
    assert_same(actcli.phase(["tanh", "relu"], workers=2, **GRID), in_process)


def test_phase_on_a_dask_cluster_equals_one_process(cluster, in_process, run_actcli):
    code, out, err = run_actcli(*PHASE_ARGS, "--scheduler", cluster, "--format", "json")
    assert code == 0, err
    assert json.loads(out) == json.loads(json.dumps(in_process.to_json()))
    assert_same(actcli.phase(["tanh", "relu"], scheduler=cluster, **GRID), in_process)


def test_a_depth_grid_on_a_dask_cluster_equals_one_process(cluster):
    """Networks and theory as Dask jobs (pickled with their activation): the same runs."""
    options = {"depth": [4, 6], "width": 8, "batch": 4, "seeds": 2}
    here = actcli.simulate_depth(["relu", "tanh"], **options).to_json()
    there = actcli.simulate_depth(["relu", "tanh"], scheduler=cluster, **options).to_json()
    assert without_estimates(there) == without_estimates(here)


def test_the_figure_of_a_grid_names_depth_and_width_in_each_curve():
    from actcli.propagation.figure import depth_figure

    result = actcli.simulate_depth("tanh", mode="meanfield", depth=[4, 9], width=8)
    axes = depth_figure(result).axes[0]
    labels = [line.get_label() for line in axes.get_lines() if "tanh" in line.get_label()]
    assert labels == ["tanh (L = 4, N = 8, xavier)", "tanh (L = 9, N = 8, xavier)"]
    assert axes.get_xlim() == (1.0, 9.0) and "L =" not in axes.get_title()


@pytest.mark.slow
def test_depth_grid_runs_equal_the_single_runs(run_actcli):
    """`--depth 4,6 --width 8,16`: each run of the grid is the single run at its depth and
    width (Monte Carlo, mean field and chain), in order depth, width, activation, ranked within
    each (depth, width); on two workers too."""
    code, out, err = run_actcli(
        "simulate-depth", "relu", "tanh", "--depth", "4,6", "--width", "8,16", *DEPTH_ARGS
    )
    assert code == 0, err
    grid = without_estimates(json.loads(out))
    labels = [(run["depth"], run["width"], run["activation"]) for run in grid["runs"]]
    assert labels == [(d, w, a) for d in (4, 6) for w in (8, 16) for a in ("relu", "tanh")]
    for depth in (4, 6):
        for width in (8, 16):
            code, out, err = run_actcli(
                "simulate-depth", "relu", "tanh", "--depth", str(depth), "--width", str(width),
                *DEPTH_ARGS,
            )  # fmt: skip
            assert code == 0, err
            single = without_estimates(json.loads(out))["runs"]
            assert [r for r in grid["runs"] if (r["depth"], r["width"]) == (depth, width)] == single
    code, out, err = run_actcli(
        "simulate-depth", "relu", "tanh", "--depth", "4,6", "--width", "8,16", *DEPTH_ARGS,
        "--workers", "2",
    )  # fmt: skip
    assert code == 0, err
    assert without_estimates(json.loads(out)) == grid


@pytest.mark.slow
def test_networks_run_apart_keep_the_first_overflow_and_count_every_network():
    """ReLU at sigma_w2 = 10^4 grows by sqrt(5000) ~ 71 a layer (by hand: E[relu(z)^2] = 1/2),
    past float32's 3.4e38 after about 20 layers: each network overflows; run one network per
    job, the combined run reports the same first event, counted over all three networks."""
    options = {"depth": 30, "width": 8, "batch": 4, "seeds": 3, "sigma_w2": 1e4}
    one = actcli.simulate_depth(["relu"], mode="montecarlo", **options).runs[0]
    split = actcli.simulate_depth(["relu"], mode="montecarlo", workers=2, **options).runs[0]
    assert one.non_finite is not None and one.non_finite.what == "overflow"
    assert 15 <= one.non_finite.layer <= 25 and one.non_finite.seeds == 3
    assert split.non_finite == one.non_finite
    assert np.array_equal(split.montecarlo.z_variance, one.montecarlo.z_variance, equal_nan=True)


def test_a_depth_grid_in_tsv_has_one_row_per_run_led_by_depth_and_width(run_actcli):
    code, out, err = run_actcli(
        "simulate-depth", "relu", "--depth", "4,6", "--width", "8", "--batch", "4", "--seeds",
        "1", "--mode", "montecarlo", "--format", "tsv",
    )  # fmt: skip
    assert code == 0, err
    rows = [line.split("\t") for line in out.splitlines()]
    assert rows[0][:4] == ["depth", "width", "rank", "activation"]
    assert [row[:4] for row in rows[1:]] == [["4", "8", "1", "relu"], ["6", "8", "1", "relu"]]


def test_a_single_depth_keeps_the_columns_it_always_had(run_actcli):
    code, out, _ = run_actcli(
        "simulate-depth", "relu", "--depth", "4", "--width", "8", "--batch", "4", "--seeds",
        "1", "--mode", "montecarlo", "--format", "tsv",
    )  # fmt: skip
    assert code == 0
    assert out.splitlines()[0].split("\t")[:2] == ["rank", "activation"]


# -- the executor itself ----------------------------------------------------------------------


def slow_square(job: tuple[int, float], tick) -> int:
    """A job that takes `job[1]` seconds (so later jobs may finish first) and returns job[0]^2."""
    time.sleep(job[1])
    return job[0] ** 2


def fails_on_three(job: int, tick) -> int:
    if job == 3:
        raise ResourceLimitError("job 3 is too big")
    time.sleep(0.2)
    return job


def marks_when_done(job: tuple[str, float], tick) -> None:
    """Fails at once for no path; else sleeps, then writes its file."""
    path, seconds = job
    if not path:
        raise ResourceLimitError("this job fails")
    time.sleep(seconds)
    Path(path).write_text("finished")


@pytest.mark.slow
def test_a_failure_kills_the_jobs_still_running(tmp_path):
    """The other worker's job is killed, not waited for: it never gets to write its file."""
    marker = tmp_path / "finished"
    with pytest.raises(ResourceLimitError, match="this job fails"):
        sweep.run_jobs(marks_when_done, [(str(marker), 3.0), ("", 0.0)], workers=2)
    time.sleep(4)
    assert not marker.exists()


@pytest.mark.slow
def test_results_come_back_in_job_order_and_progress_reaches_the_total():
    jobs = [(1, 0.6), (2, 0.0), (3, 0.3), (4, 0.0)]
    seen: list[tuple[int, int]] = []
    before = set(multiprocessing.active_children())  # a Dask cluster's, if it runs
    found = sweep.run_jobs(
        slow_square, jobs, workers=2, units=[1, 2, 3, 4], progress=lambda *p: seen.append(p)
    )
    assert found == [1, 4, 9, 16]
    assert seen[-1] == (10, 10) and all(b == 10 for _, b in seen)
    assert [a for a, _ in seen] == sorted(a for a, _ in seen)
    assert set(multiprocessing.active_children()) <= before


def test_one_worker_runs_in_this_process_with_progress_inside_jobs():
    seen: list[tuple[int, int]] = []

    def ticking(job: int, tick) -> int:
        for _ in range(job):
            tick(1)
        return os.getpid()

    found = sweep.run_jobs(ticking, [2, 3], units=[2, 3], progress=lambda *p: seen.append(p))
    assert found == [os.getpid(), os.getpid()]
    assert seen == [(1, 5), (2, 5), (2, 5), (3, 5), (4, 5), (5, 5), (5, 5)]


@pytest.mark.slow
def test_a_failing_job_stops_the_workers_and_raises_its_error():
    before = set(multiprocessing.active_children())
    with pytest.raises(ResourceLimitError, match="job 3 is too big"):
        sweep.run_jobs(fails_on_three, [1, 2, 3, 4, 5, 6], workers=2)
    assert set(multiprocessing.active_children()) <= before


def test_the_default_worker_count_is_the_cores_for_long_work_only(monkeypatch):
    monkeypatch.setattr(sweep, "cores", lambda: 8)
    assert sweep.worker_count(None, 0.5, 100) == 1
    assert sweep.worker_count(None, sweep.PARALLEL_ABOVE_SECONDS, 100) == 8
    assert sweep.worker_count(None, 1e6, 3) == 3  # never more than the jobs
    assert sweep.worker_count(5, 0.0, 100) == 5


def test_the_default_worker_count_gives_way_to_memory(monkeypatch):
    """Two networks at once do not fit under --max-memory, one does: the default runs one at a
    time; asking for two workers is refused, naming the option to lower."""
    activations = [actcli.load_activation("relu")]
    options = {"depth": 40, "width": 256, "batch": 64, "seeds": 2, "mode": "montecarlo"}
    itemsize = 4
    one_network = (40 - 1) * 256 * 64 * itemsize + 256 * 256 * itemsize * 4
    limit = int(one_network * 1.6)
    used: list[int] = []
    real_run_jobs = simulate_module.run_jobs

    def spy(*args, **kwargs):
        used.append(kwargs["workers"])
        return real_run_jobs(*args, **kwargs)

    monkeypatch.setattr(sweep, "cores", lambda: 2)
    monkeypatch.setattr(sweep, "PARALLEL_ABOVE_SECONDS", 0.0)
    monkeypatch.setattr(simulate_module, "run_jobs", spy)
    simulate_module.simulate_depth(activations, max_memory=limit, workers=None, **options)
    assert used == [1]
    with pytest.raises(ResourceLimitError, match=r"x 2 workers at once.*lower --workers"):
        simulate_module.simulate_depth(activations, max_memory=limit, workers=2, **options)


# -- bad input: one line, exit 2 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((*PHASE_ARGS, "--workers", "0"), "--workers 0: must be from 1 to 1024"),
        ((*PHASE_ARGS, "--workers", "-3"), "--workers -3: must be from 1 to 1024"),
        ((*PHASE_ARGS, "--workers", "2", "--scheduler", "tcp://h:1"), "not both"),
        (("simulate-depth", "relu", "--depth", "10,,x"), "--depth '10,,x': expected whole"),
        (("simulate-depth", "relu", "--width", "8,0"), "--width 0: must be at least 1"),
        (("simulate-depth", "relu", "--depth", "10,10"), "--depth 10,10: a value is given twice"),
    ],
)
def test_bad_sweep_options_are_one_line_and_exit_2(run_actcli, argv, message):
    code, out, err = run_actcli(*argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err, err


def test_an_unreachable_scheduler_is_one_line_and_exit_2(run_actcli, monkeypatch):
    monkeypatch.setattr(sweep, "CONNECT_SECONDS", 1.0)
    code, out, err = run_actcli(*PHASE_ARGS, "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1, err
    assert "--scheduler tcp://127.0.0.1:9: cannot reach a Dask scheduler" in err


def test_the_scheduler_comes_from_the_environment_unless_workers_are_given(run_actcli, monkeypatch):
    monkeypatch.setattr(sweep, "CONNECT_SECONDS", 1.0)
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:9")
    code, _, err = run_actcli(*PHASE_ARGS)
    assert code == 2 and "--scheduler tcp://127.0.0.1:9: cannot reach" in err
    code, out, err = run_actcli(*PHASE_ARGS, "--workers", "1", "--format", "tsv")
    assert code == 0 and out, err


def test_without_dask_the_scheduler_option_says_how_to_install_it(run_actcli, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails
    code, _, err = run_actcli(*PHASE_ARGS, "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and len(err.splitlines()) == 1
    assert 'pip install "actcli[dask]"' in err


def test_the_api_checks_the_worker_count():
    with pytest.raises(UsageError, match="--workers 0"):
        actcli.phase("relu", workers=0, **GRID)


# -- no worker outlives the command -----------------------------------------------------------


def session_processes(session: int) -> list[str]:
    """The live processes of a session (by /proc/PID/stat), zombies left out."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(entry.name)
    return found


def start_long_phase(*extra: str, terminal: int | None = None) -> subprocess.Popen:
    """The console script on a long phase diagram with two workers, in a session of its own
    (with `terminal`, a pseudo-terminal's follower, as its controlling terminal and stdin);
    returns once its workers are running."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "actcli", *LONG_PHASE, "--workers", "2", *extra],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
        preexec_fn=None if terminal is None else lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    deadline = time.monotonic() + 60
    # the supervisor, the command, two workers and multiprocessing's resource tracker
    while len(session_processes(process.pid)) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    return process


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    ("how", "code", "message"),
    [
        ("Ctrl-C", 130, "actcli: interrupted"),  # from the terminal, to the whole group
        ("SIGINT", 130, "actcli: interrupted"),
        ("SIGTERM", 143, "actcli: terminated (SIGTERM)"),
    ],
)
@pytest.mark.slow
def test_an_interrupt_stops_every_worker(how, code, message):
    leader, follower = os.openpty() if how == "Ctrl-C" else (None, None)
    process = start_long_phase("--timeout", "0", terminal=follower)
    try:
        if leader is not None:
            os.write(leader, b"\x03")
        else:
            process.send_signal(getattr(signal, how))
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for descriptor in (leader, follower):
            if descriptor is not None:
                os.close(descriptor)
    assert process.returncode == code, err
    assert err.decode().splitlines() == [message]
    assert_no_process_left(process.pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.slow
def test_the_watchdog_time_limit_stops_every_worker():
    """The watchdog kills the command with SIGKILL (no cleanup runs there): the workers die
    with it, and nothing but the watchdog's one line reaches stderr."""
    process = start_long_phase("--timeout", "6")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 3
    lines = err.decode().splitlines()
    assert len(lines) == 1 and "stopped after the 6 s time limit" in lines[0], lines
    assert_no_process_left(process.pid)


def assert_no_process_left(session: int) -> None:
    """Nothing of the session survives (a worker killed with its parent is reaped by init,
    which takes a moment)."""
    deadline = time.monotonic() + 5
    while session_processes(session) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert session_processes(session) == []
