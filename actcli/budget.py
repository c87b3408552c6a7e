"""Bounded SymPy calls: `sympy.solve`, `limit` and `simplify` have no time limit of their own
and can run for minutes on a small expression, so each call here is cut off and gives None.

A call is bounded by a time limit (SIGPROF, main thread only, nested correctly inside any alarm
already set) and by the `Budget` left for a whole analysis; off the main thread there is no
timer and the caller's operation-count bounds must do. Callers fall back to a numeric method when
a bounded call gives None, so what hits a bound depends on the machine's speed.

Every limit here counts this process's CPU time (`clock`), not the wall clock: on a loaded
machine (a test suite on every core, `check --all` beside a build) a wall-clock limit cut
SymPy's limit of gelu_tanh at -oo short and turned a proof into a numeric verdict. The command's
own `--timeout` (`actcli.supervisor`) is wall-clock time.
"""

from __future__ import annotations

import gc
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Timeout(BaseException):
    """Raised by the alarm inside a bounded SymPy call (BaseException: SymPy's `except
    Exception` clauses must not swallow it)."""


def clock() -> float:
    """CPU seconds of this process (all its threads): the clock of every limit here."""
    return time.process_time()


class Budget:
    """The SymPy time left for one analysis (one activation, say), shared by its calls."""

    def __init__(self, seconds: float) -> None:
        self.deadline = clock() + seconds

    def left(self) -> float:
        """CPU seconds until the deadline (negative once it has passed)."""
        return self.deadline - clock()


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """Raise Timeout after `seconds` of CPU time (main thread only; a no-op elsewhere),
    restoring any alarm and handler that were there before, with the time they had left."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise Timeout

    start = clock()
    previous_handler = signal.signal(signal.SIGPROF, expire)
    if previous_handler is None:  # installed outside Python: the default is the closest
        previous_handler = signal.SIG_DFL
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_PROF, 0)
    if previous_delay:
        seconds = min(seconds, previous_delay)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous_handler)
        if previous_delay:
            remaining = previous_delay - (clock() - start)
            signal.setitimer(signal.ITIMER_PROF, max(remaining, 1e-3), previous_interval)


def bounded(call: Callable[[], Any], seconds: float, budget: Budget) -> Any:
    """call() within min(seconds, budget left), or None when it fails or runs out of time.
    Off the main thread there is no timer: the operation-count bounds must do."""
    seconds = min(seconds, budget.left())
    if seconds <= 0.01:
        return None
    collecting = gc.isenabled()
    gc.disable()  # the alarm must not fire inside a gc callback, where nothing can catch it
    try:
        with alarm(seconds):
            return call()
    except Timeout:
        return None
    except (NotImplementedError, ValueError, TypeError, ArithmeticError, RecursionError):
        return None
    except Exception:  # SymPy raises many kinds; none of them may end the analysis
        return None
    finally:
        if collecting:
            gc.enable()
