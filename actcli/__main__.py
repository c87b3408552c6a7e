"""`python -m actcli` and the `actcli` console script.

The command runs under `actcli.supervisor`'s watchdog (a forked child with a time and memory
budget), and the fork comes first: the child imports the CLI and runs the command, the parent
holds only the supervisor. Forking after the imports cost ~4 ms more of every command (`list`,
`eval`, `--help`): the parent, which the shell waits for, then tore down typer's, rich's and
actcli's heap at exit. The CLI module is imported inside the try, so Ctrl-C while typer is
still loading exits 130 quietly like Ctrl-C at any other moment.

The cyclic garbage collector is off while the modules load (they allocate much and free
nothing, yet each collection walks the whole growing heap), and what they built is then frozen
out of later collections: together ~15 ms of `actcli list` (reading the registry cache builds
~10^4 objects, whose collections otherwise walk typer's, rich's and actcli's modules too).

OpenBLAS starts a thread per core when NumPy is imported, ~60 ms of every command that imports
NumPy on the 2-core development VM (`python -c "import numpy"`: 150-200 ms against 85-115 ms
with OPENBLAS_NUM_THREADS=1), for matrix products only simulate-depth's Monte Carlo makes: every
other command starts with one BLAS thread unless OPENBLAS_NUM_THREADS is set.

Help is click's, not typer's rich formatter (`rich_markup_mode=None` in `actcli.cli`), which
imports rich.markdown, markdown_it and rich.traceback, ~35-50 ms of `actcli --help`: in a pipe
click's plain text, on a terminal click's sections drawn as panels with rich's console, panel
and table (`cli._PanelFormatter`, `render.help_panels`): 147 -> 110 ms, the floor 66 ms.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys

from actcli.errors import EXIT_INTERRUPTED, ActcliError
from actcli.supervisor import say, split_timeout, supervise


def run() -> None:
    _hold_closed_streams()
    if not blas_bound(sys.argv[1:]):
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        args, timeout = split_timeout(sys.argv[1:])
        command = next((a for a in args if not a.startswith("-")), "")
        code = supervise(lambda: _command(args), timeout, f"running actcli {command}".strip())
    except ActcliError as exc:  # a bad limit, refused before the fork: only the parent is here
        say(f"actcli: error: {exc}")
        sys.exit(exc.exit_code)
    sys.exit(code)


def _hold_closed_streams() -> None:
    """Put /dev/null, opened the wrong way round, on a standard stream that was closed
    (`actcli list >&-`, `<&-`), where Python had set sys.stdout (...) to None: writing it fails
    with EBADF (a failed write of stdout, exit 3; a diagnostic lost, as stderr was closed),
    reading it too (stdin that cannot be read, exit 2), as on the closed descriptor, but no
    file actcli opens later can take its number and receive what is meant for the stream."""
    for name, mode, flags in (
        ("stdin", "r", os.O_WRONLY),
        ("stdout", "w", os.O_RDONLY),
        ("stderr", "w", os.O_RDONLY),
    ):
        if getattr(sys, name) is None:
            with contextlib.suppress(OSError):  # the lowest free descriptor: the stream's own
                setattr(sys, name, open(os.open(os.devnull, flags), mode, encoding="utf-8"))


def blas_bound(args: list[str]) -> bool:
    """Whether the command line may run large matrix products (a Monte Carlo simulation)."""
    return "simulate-depth" in args


def _command(args: list[str]) -> int:
    """The CLI run on `args`, in the supervised child."""
    gc.disable()
    try:
        from actcli.cli import main  # deferred: Ctrl-C while typer loads exits 130 too
    except KeyboardInterrupt:
        say("actcli: interrupted")
        return EXIT_INTERRUPTED
    finally:
        gc.freeze()
        gc.enable()
    return main(args)


if __name__ == "__main__":
    run()
