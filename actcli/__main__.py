"""`python -m actcli` and the `actcli` console script.

The CLI module is imported inside the try, so Ctrl-C while typer is still loading exits 130
quietly like Ctrl-C at any other moment.
"""

from __future__ import annotations

import sys


def run() -> None:
    try:
        from actcli.cli import main  # deferred: Ctrl-C while typer loads exits 130 too
    except KeyboardInterrupt:
        print("actcli: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(main())


if __name__ == "__main__":
    run()
