"""Run a list of independent jobs in process, on local worker processes, or on a Dask cluster.

A phase diagram is many independent fixed-point problems and a depth sweep many independent
networks: `run_jobs(function, jobs, ...)` runs `function(job, tick)` for each job and returns
the results in job order, whichever ran first. Three ways, one answer (bit for bit: every job
is a pure function of its picklable description, rebuilt the same way in a worker):

- `workers=1`: in this process, one job after the other, no pool at all; `tick(units)` reports
  progress inside a job.
- `workers=N`: N local processes, started with `spawn` (a fresh interpreter, not `fork`: the
  parent may run BLAS or background threads, and a forked copy of a process with threads can
  deadlock). Workers are never left behind: Ctrl-C, SIGTERM or an error stops them (SIGKILL)
  before the exception goes on; on Linux each worker also dies with its parent
  (PR_SET_PDEATHSIG), which covers the watchdog's SIGKILL at `--timeout`, where no cleanup code
  runs. SIGINT is ignored in the workers (they are started while this process ignores it, and
  an ignored signal stays ignored across exec), so a terminal's Ctrl-C, which reaches the
  whole process group, interrupts the parent alone: one message, no traceback from every
  worker. The workers take this process's warning filters.
- `scheduler=ADDRESS`: a Dask distributed cluster (`pip install "actcli[dask]"`; imported here
  and only on this path). The workers need actcli installed; jobs are sent pickled, with the
  activation's spec inside, so a spec file need not exist on the workers. An interrupt cancels
  the jobs on the cluster. In a worker `tick` is None (progress counts finished jobs).

"Bit for bit" assumes the same machine (the same NumPy and BLAS). A multi-threaded BLAS
rounds a float32 matrix product differently with another number of threads; the Monte Carlo
holds BLAS to one thread and splits each product's columns over its own threads
(`montecarlo._Products`), so its numbers do not depend on the threads a worker has (Dask
starts its workers with one). The phase diagram's quadratures multiply no matrices
(tests/test_sweep.py compares both on a Dask LocalCluster).

Where no worker count is given, `worker_count` picks the machine's cores for work estimated
above `PARALLEL_ABOVE_SECONDS` and one process below it: starting a worker costs about a second
(importing NumPy, SciPy and SymPy), more than a small grid takes.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from actcli.errors import ActcliError, ResourceLimitError, UsageError
from actcli.options import check_workers

PARALLEL_ABOVE_SECONDS = 10.0
CONNECT_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

Job = TypeVar("Job")
Result = TypeVar("Result")
Tick = Callable[[int], None]
Progress = Callable[[int, int], None]


def cores() -> int:
    """The CPUs this process may run on (`os.process_cpu_count` where Python has it)."""
    counted = getattr(os, "process_cpu_count", None)
    if counted is not None:
        return counted() or 1
    with contextlib.suppress(AttributeError, OSError):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def worker_count(workers: int | None, serial_seconds: float, jobs: int) -> int:
    """How many local processes to use for `jobs` jobs estimated to take `serial_seconds` in
    one process: `workers` if given, else the cores when the work is long enough to repay
    starting them; never more than the jobs."""
    check_workers(workers)
    if workers is None:
        workers = cores() if serial_seconds >= PARALLEL_ABOVE_SECONDS else 1
    return max(1, min(workers, jobs))


def run_jobs(
    function: Callable[[Job, Tick | None], Result],
    jobs: Sequence[Job],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    units: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> list[Result]:
    """[function(job, tick) for job in jobs], run as the module docstring says. `units[i]` is
    job i's share of the work (1 each by default); `progress(done, total)` counts units.

    Raises:
        UsageError: Dask is not installed or its scheduler cannot be reached.
        ResourceLimitError: a worker process died (killed by a signal: out of memory?).
        whatever a job raised, the first one to fail.
    """
    weights = list(units) if units is not None else [1] * len(jobs)
    counter = _Counter(weights, progress)
    if scheduler is not None:
        return _on_dask(function, jobs, scheduler, counter)
    check_workers(workers)
    if workers == 1 or len(jobs) <= 1:
        results = []
        for index, job in enumerate(jobs):
            results.append(function(job, counter.tick))
            counter.finished(index)
        return results
    return _on_processes(function, jobs, min(workers, len(jobs)), counter)


class _Counter:
    """Progress in units: ticks inside the running job, and whole jobs as they finish."""

    def __init__(self, units: list[int], progress: Progress | None) -> None:
        self.units = units
        self.total = sum(units)
        self.done = 0
        self.running = 0
        self.progress = progress

    def tick(self, units: int) -> None:
        self.running += units
        self._report(self.done + self.running)

    def finished(self, index: int) -> None:
        self.done += self.units[index]
        self.running = 0
        self._report(self.done)

    def _report(self, done: int) -> None:
        if self.progress:
            self.progress(min(done, self.total), self.total)


# -- local processes ---------------------------------------------------------------------------


def _on_processes(
    function: Callable[[Job, Tick | None], Result],
    jobs: Sequence[Job],
    workers: int,
    counter: _Counter,
) -> list[Result]:
    context = multiprocessing.get_context("spawn")
    others = set(multiprocessing.active_children())  # not ours to stop
    pool = None
    futures: dict[Any, int] = {}
    try:
        # both inherited by the processes started in here
        with _sigint_ignored(), _environment(_worker_environment()):
            pool = ProcessPoolExecutor(
                workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(os.getpid(), warnings.filters),
            )
            futures = {pool.submit(function, job, None): i for i, job in enumerate(jobs)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=futures.__getitem__):
                future.result()  # a job's exception, raised here
                counter.finished(futures[future])
        results = [future.result() for future in futures]
    except BaseException as exc:
        if pool is not None:
            with _blocked(signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C waits for this
                _kill(pool, others)
        if isinstance(exc, BrokenProcessPool):
            raise ResourceLimitError(
                "a worker process died (killed by a signal; out of memory?); try fewer --workers"
            ) from None
        raise
    pool.shutdown(wait=True)
    return results


def _kill(pool: ProcessPoolExecutor, others: set[multiprocessing.process.BaseProcess]) -> None:
    """Stop every worker now (SIGKILL: a job deep in C code would not notice SIGTERM) and
    wait for them, so that none outlives the command. The pool's workers are the children
    started since it was made (the executor has no public handle on them before 3.14)."""
    processes = [child for child in multiprocessing.active_children() if child not in others]
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.join()


def _start_worker(parent: int, filters: list[Any]) -> None:
    """In each worker: die with the parent (Linux), and leave at once if it is gone already;
    treat warnings as the parent does (the command line shows them only with --debug)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
    warnings.filters[:] = filters


def _worker_environment() -> dict[str, str]:
    """What the started processes find in their environment besides the parent's: no warnings
    from multiprocessing's resource tracker (after the watchdog kills the command it would
    report the pool's semaphores as leaked; the workers take the parent's filters instead).
    BLAS threads are left as they are (the Monte Carlo's products split their columns over as
    many threads as BLAS was given)."""
    return {"PYTHONWARNINGS": "ignore"}


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` set, for the block."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while workers are started, so that they ignore it for good (an ignored
    signal stays ignored across exec, and Python then installs no KeyboardInterrupt handler);
    a Ctrl-C meanwhile is held back and arrives after the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with _blocked(signal.SIGINT):
        handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, handler)


@contextlib.contextmanager
def _blocked(*signals: signal.Signals) -> Iterator[None]:
    """Hold `signals` back in this thread for the block (they arrive after it)."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# -- Dask ----------------------------------------------------------------------------------------


def _on_dask(
    function: Callable[[Job, Tick | None], Result],
    jobs: Sequence[Job],
    address: str,
    counter: _Counter,
) -> list[Result]:
    try:
        from dask.distributed import Client, as_completed  # deferred: the optional extra
    except ImportError:
        raise UsageError(
            f'--scheduler {address}: Dask is not installed; pip install "actcli[dask]"'
        ) from None
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except Exception as exc:  # refused, timed out, a malformed address: one line
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise UsageError(
            f"--scheduler {address}: cannot reach a Dask scheduler ({reason})"
        ) from None
    futures: list[Any] = []
    try:
        futures = client.map(function, jobs, [None] * len(jobs), pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        for future in as_completed(futures, loop=client.loop):
            future.result()  # a job's exception, raised here
            counter.finished(index[future.key])
        return client.gather(futures)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            client.cancel(futures)
        if isinstance(exc, Exception) and not isinstance(exc, ActcliError | MemoryError):
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())
            raise UsageError(
                f"--scheduler {address}: the cluster could not run the jobs ({reason}); its "
                "scheduler and workers need this version of actcli and its packages"
            ) from exc
        raise
    finally:
        with contextlib.suppress(Exception):
            client.close()
