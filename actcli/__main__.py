"""`python -m actcli` and the `actcli` console script.

The CLI module is imported inside the try, so Ctrl-C while typer is still loading exits 130
quietly like Ctrl-C at any other moment. The command then runs under `actcli.supervisor`'s
watchdog (a forked child with a time and memory budget).
"""

from __future__ import annotations

import sys


def run() -> None:
    try:
        from actcli.cli import main  # deferred: Ctrl-C while typer loads exits 130 too
        from actcli.errors import ActcliError  # deferred: as the CLI
        from actcli.supervisor import split_timeout, supervise  # deferred: as the CLI
    except KeyboardInterrupt:
        print("actcli: interrupted", file=sys.stderr)
        sys.exit(130)
    try:
        args, timeout = split_timeout(sys.argv[1:])
    except ActcliError as exc:
        print(f"actcli: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    command = next((a for a in args if not a.startswith("-")), "")
    sys.exit(supervise(lambda: main(args), timeout, f"running actcli {command}".strip()))


if __name__ == "__main__":
    run()
