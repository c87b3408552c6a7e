"""Running actcli's CLI in-process and reading its JSON, for the corpus and generative tests.

`run_cli(argv)` calls `actcli.cli.main` with stdout and stderr captured, under a SIGALRM
timeout (a hang fails the test instead of freezing CI; actcli's own alarms nest inside it), and
with warnings shown the way the installed command shows them (pytest's `filterwarnings =
error` would otherwise turn a stray RuntimeWarning inside actcli into an internal error that
the real command never has).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import signal
import threading
import warnings
from dataclasses import dataclass
from typing import Any

from mpmath import mp, mpf

from corpus.jets import MAX_FLOAT

ALLOWED_EXIT = {0, 1, 2, 3}


class CommandTimeout(BaseException):
    """A command ran past its time limit (BaseException: actcli's `except Exception` must not
    turn it into exit 70)."""


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    code: int
    out: str
    err: str
    warned: tuple[str, ...] = ()

    def describe(self) -> str:
        shown = " ".join(repr(a) if " " in a or not a else a for a in self.argv)
        text = f"`actcli {shown}` exited {self.code}"
        if self.err.strip():
            text += f"; stderr: {self.err.strip()[:600]}"
        if self.warned:
            text += f"; warnings: {'; '.join(self.warned)[:300]}"
        return text

    def json(self) -> Any:
        try:
            return json.loads(self.out)
        except ValueError as exc:
            raise AssertionError(
                f"{self.describe()}: stdout is not JSON ({exc}): {self.out[:300]!r}"
            ) from None


def run_cli(argv: list[str], timeout: float = 120.0) -> Result:
    """`actcli ARGV` in this process: (exit code, stdout, stderr), or CommandTimeout."""
    from actcli.cli import main

    out, err = io.StringIO(), io.StringIO()
    use_alarm = threading.current_thread() is threading.main_thread()

    def expire(signum: int, frame: Any) -> None:
        raise CommandTimeout(f"`actcli {' '.join(argv)}` ran past {timeout:g} s")

    previous = signal.signal(signal.SIGALRM, expire) if use_alarm else None
    if use_alarm:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with (
            warnings.catch_warnings(record=True) as caught,
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            warnings.simplefilter("always")
            code = main(list(argv))
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    warned = tuple(f"{w.category.__name__}: {w.message}" for w in caught)
    return Result(tuple(argv), code, out.getvalue(), err.getvalue(), warned)


# -- numbers in actcli's JSON


def number(value: Any) -> float:
    """A JSON number of actcli's: a number, or the strings "inf", "-inf", "nan"."""
    if isinstance(value, bool) or value is None:
        raise AssertionError(f"expected a number, got {value!r}")
    if isinstance(value, str):
        if value not in ("inf", "-inf", "nan"):
            raise AssertionError(f"expected a number or 'inf'/'-inf'/'nan', got {value!r}")
        return float(value)
    return float(value)


def mismatch(got: Any, want: mpf, rel: float = 1e-13, absolute: float = 1e-300) -> str | None:
    """None when actcli's float `got` is `want` (an mpf) to `rel` relative or `absolute`;
    else why not. nan must be nan; beyond the largest float the answer is +-inf."""
    try:
        g = number(got)
    except AssertionError as exc:
        return str(exc)
    if mp.isnan(want):
        return None if math.isnan(g) else f"expected nan, got {got!r}"
    if mp.isinf(want) or abs(want) > MAX_FLOAT * (1 + mpf(rel)):
        sign = 1 if want > 0 else -1
        return (
            None if g == sign * math.inf else f"expected {sign * math.inf} (overflow), got {got!r}"
        )
    if math.isnan(g) or math.isinf(g):
        if abs(want) > MAX_FLOAT * (1 - mpf(rel)) and g == math.copysign(math.inf, want):
            return None
        return f"expected {mp.nstr(want, 17)}, got {got!r}"
    error = abs(mpf(g) - want)
    if error <= absolute or error <= rel * abs(want):
        return None
    relative = error / abs(want) if want != 0 else mp.inf
    return (
        f"expected {mp.nstr(want, 17)}, got {g!r} "
        f"(relative error {mp.nstr(relative, 3)}, allowed {rel:g})"
    )


def fmt(x: float) -> str:
    """A float for the command line: repr (round-trips exactly)."""
    return repr(float(x))
