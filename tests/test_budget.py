"""`actcli.budget`: limits count this process's CPU time, and nest."""

from __future__ import annotations

import signal
import time

import pytest

from actcli.budget import Budget, Timeout, alarm, bounded, clock


def _spin(seconds: float) -> None:
    """Spend `seconds` of CPU time."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_limit_counts_cpu_time_not_the_wall_clock():
    """Sleeping (as a process waits while others hold the cores) spends no budget; computing
    does: a verdict must not change with the load of the machine."""
    with alarm(0.2):
        time.sleep(0.4)
    with pytest.raises(Timeout), alarm(0.2):
        _spin(5.0)
    assert bounded(lambda: _spin(5.0), 0.2, Budget(10.0)) is None
    budget = Budget(0.3)
    time.sleep(0.4)
    assert budget.left() > 0.25


def test_an_inner_limit_restores_the_outer_with_the_time_it_had_left():
    """A caller's own CPU-time alarm and handler survive a limit inside it, with the time
    they had left; and an inner limit never outlasts the outer one."""
    fired = []

    def handler(*args: object) -> None:
        fired.append(1)

    previous = signal.signal(signal.SIGPROF, handler)
    try:
        signal.setitimer(signal.ITIMER_PROF, 30.0)
        start = clock()
        with alarm(0.1):
            _spin(0.05)
        left, _ = signal.getitimer(signal.ITIMER_PROF)
        assert 30.0 - (clock() - start) - 0.05 <= left < 30.0
        assert signal.getsignal(signal.SIGPROF) is handler and not fired
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    with pytest.raises(Timeout), alarm(0.1), alarm(60.0):
        _spin(5.0)
