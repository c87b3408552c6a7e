"""The console script's watchdog: a wall-clock and memory budget that holds even where SymPy,
mpmath or a big-integer product runs in C for minutes without letting a signal through.

`actcli ...` forks; the child runs the command with its address space capped (soft limit,
4 GiB or $ACTCLI_MAX_MEMORY) and the parent waits for it until the `--timeout` (default 60 s,
$ACTCLI_TIMEOUT; 0 for none) and then kills it: exit 3, with the step it was in. SIGTERM
and SIGHUP are passed on. The child names its steps with `step("...")`; they go to a small
shared page that the parent reads.
In-process calls (`actcli.cli.main`, the library) are not supervised: there is no fork, and
`step` costs a dictionary lookup.
"""

from __future__ import annotations

import contextlib
import math
import mmap
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from actcli.errors import EXIT_RESOURCE, UsageError

try:
    import resource
except ImportError:  # pragma: no cover - Windows: no address-space limit, no fork
    resource = None  # type: ignore[assignment]

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_MEMORY = 4 << 30
MIN_MAX_MEMORY = 256 << 20
LARGEST_MAX_MEMORY = (1 << 63) - (1 << 40)  # whole terabytes that setrlimit's C long holds
BOARD_BYTES = 512
KILLED_BY_SIGNAL = 128
SI_KERNEL = 0x80  # siginfo si_code of a signal the kernel sent (a terminal's Ctrl-C)
WAIT_SLICE = 3600.0  # seconds of one wait for a signal; the deadline is checked after each
WATCHED = {
    getattr(signal, n) for n in ("SIGCHLD", "SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)
}

_board: list[mmap.mmap] = []  # the shared page, in a supervised child only
_steps: list[str] = []
_listeners: list[Callable[[int, int, str], None]] = []


def split_timeout(args: list[str]) -> tuple[list[str], float | None]:
    """`--timeout SECONDS` (or `--timeout=SECONDS`, anywhere before `--`) taken out of the
    arguments, else $ACTCLI_TIMEOUT, else the default; None for no limit (0 or "none")."""
    rest: list[str] = []
    text = os.environ.get("ACTCLI_TIMEOUT", "").strip() or None
    source = "ACTCLI_TIMEOUT"
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        if arg == "--timeout" or arg.startswith("--timeout="):
            if "=" in arg:
                text = arg.partition("=")[2]
            elif index + 1 < len(args):
                index += 1
                text = args[index]
            else:
                raise UsageError("--timeout needs a value: seconds, or 0 for no limit")
            source = "--timeout"
        else:
            rest.append(arg)
        index += 1
    return rest, _seconds(text, source)


def _seconds(text: str | None, source: str) -> float | None:
    if text is None:
        return DEFAULT_TIMEOUT
    if text.strip().lower() in ("0", "none", "off"):
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(f"{source}: {text[:40]!r} is not a number of seconds (0 for no limit)")
    return seconds


def max_memory() -> int:
    """The child's address-space cap in bytes: $ACTCLI_MAX_MEMORY (e.g. 8G), else 4 GiB.

    Raises:
        UsageError: not a size, below 256M, or above what setrlimit takes (8388607T).
    """
    raw = os.environ.get("ACTCLI_MAX_MEMORY", "").strip()
    text = raw.upper()
    if not text:
        return DEFAULT_MAX_MEMORY
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    scale = units.get(text[-1:], 1)
    try:
        value = float(text[:-1] if text[-1:] in units else text) * scale
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise UsageError(f"ACTCLI_MAX_MEMORY: {raw[:40]!r} is not a size like 4G")
    if value < MIN_MAX_MEMORY:
        raise UsageError(f"ACTCLI_MAX_MEMORY: {raw[:40]!r} is below 256M")
    if value > LARGEST_MAX_MEMORY:
        raise UsageError(
            f"ACTCLI_MAX_MEMORY: {raw[:40]!r} is above the largest cap, {LARGEST_MAX_MEMORY >> 40}T"
        )
    return int(value)


def allow_memory(size: int) -> None:
    """Raise the supervised child's address-space cap to hold `size` bytes of data (a command
    whose own --max-memory asks for more than the default); a no-op elsewhere."""
    if not _board or resource is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = size + (1 << 30)
    if soft != resource.RLIM_INFINITY and wanted > soft:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def memory_cap() -> int | None:
    """The address-space cap the supervised child runs under ($ACTCLI_MAX_MEMORY, or what
    `allow_memory` raised it to), for an out-of-memory message; None in process."""
    if not _board or resource is None:
        return None
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    return None if soft == resource.RLIM_INFINITY else soft


@contextmanager
def step(name: str) -> Iterator[None]:
    """Name what the command is doing, for the message if the watchdog stops it."""
    _steps.append(name)
    _show()
    try:
        yield
    finally:
        _steps.pop()
        _show()


def progress(done: int, total: int, what: str) -> None:
    """Report that `done` of `total` units of `what` are finished (the CLI shows it on a
    terminal's stderr; nothing happens without a listener, as in the library)."""
    if _listeners:
        _listeners[-1](done, total, what)


@contextmanager
def progress_listener(listener: Callable[[int, int, str], None]) -> Iterator[None]:
    """Send `progress` reports to `listener(done, total, what)` for the time of the block."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.pop()


def current_step() -> str:
    """The innermost step named so far ("" before the first)."""
    return _steps[-1] if _steps else ""


def _show() -> None:
    if _board:
        data = current_step().encode("utf-8", "replace")[: BOARD_BYTES - 1]
        _board[0][:] = data + b"\0" * (BOARD_BYTES - len(data))


def supervise(command: Callable[[], int], timeout: float | None, name: str = "") -> int:
    """command() in a forked child, killed after `timeout` seconds (exit 3, with the step it
    was in, else `name`); the child's exit code otherwise. Without fork (Windows), command()
    in process.

    Raises:
        UsageError: $ACTCLI_MAX_MEMORY is no valid cap (before anything is forked).
    """
    if not hasattr(os, "fork") or not hasattr(signal, "sigtimedwait"):  # Windows, macOS
        return command()
    limit = max_memory()  # a bad $ACTCLI_MAX_MEMORY is refused here, before the fork
    board = mmap.mmap(-1, BOARD_BYTES)
    sys.stdout.flush()
    sys.stderr.flush()
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)  # received in _wait only
    pid = os.fork()
    if pid == 0:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        _run_child(command, board, limit)
    try:
        status = _wait(pid, timeout)
    except BaseException:  # the watchdog itself failed: the child must not run on unwatched
        with contextlib.suppress(OSError):
            _kill(pid)
        raise
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    if status is None:
        doing = board[:].split(b"\0", 1)[0].decode("utf-8", "replace") or name
        where = f" while {doing}" if doing else ""
        say(
            f"actcli: error: stopped after the {timeout:g} s time limit{where}; "
            "raise it with --timeout SECONDS (0 for no limit)"
        )
        return EXIT_RESOURCE
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGKILL:
            say("actcli: error: killed (SIGKILL; out of memory?)")
        return KILLED_BY_SIGNAL + number
    return os.waitstatus_to_exitcode(status)


def say(line: str) -> None:
    """One line on stderr, where a stderr that cannot be written (`2>/dev/full`, its reader
    gone) loses it and changes nothing else: the exit code stays the command's."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr)


def _run_child(command: Callable[[], int], board: mmap.mmap, memory: int) -> None:
    """Run the command and leave with its code, never returning into the parent's code."""
    code = 1
    try:
        _board.append(board)
        _cap_memory(memory)
        code = command()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # --debug re-raises: show the traceback as Python would
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def _cap_memory(limit: int) -> None:
    if resource is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _wait(pid: int, timeout: float | None) -> int | None:
    """The child's wait status, or None after killing it at the deadline. SIGTERM and SIGHUP
    are passed on to the child; SIGINT too when it was sent to this process alone (a terminal's
    Ctrl-C, from the kernel, reaches the child itself: passing it on would deliver it twice)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            _kill(pid)
            return None
        # an hour at most at a time: a limit of 1e20 s is past what time_t holds
        received = signal.sigtimedwait(
            WATCHED, WAIT_SLICE if left is None else min(left, WAIT_SLICE)
        )
        if received is None or received.si_signo == signal.SIGCHLD:
            continue
        if received.si_signo != signal.SIGINT or received.si_code != SI_KERNEL:
            os.kill(pid, received.si_signo)


def _kill(pid: int) -> None:
    """Kill the child and reap it."""
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
