"""One exception hierarchy for actcli.

`actcli.cli.main` is the only place that turns these into a one-line message on stderr and an
exit code; library users catch `ActcliError` (or a subclass, which also subclasses the matching
built-in so that ``except ValueError`` keeps working).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_RESOURCE = 3
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70  # a bug in actcli (BSD sysexits EX_SOFTWARE)


class ActcliError(Exception):
    """Base class of every error actcli raises on purpose."""

    exit_code = EXIT_USAGE


class UsageError(ActcliError, ValueError):
    """A command was called with options or arguments that do not make sense together."""


class ExpressionError(ActcliError, ValueError):
    """An expression string is outside the grammar or its size limits.

    `column` is 1-based and refers to the expression text; the spec loader adds file and line.
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        if self.column is None:
            return self.message
        return f"{self.message} at column {self.column}"


class SpecError(ActcliError, ValueError):
    """One or more problems in spec files; each problem is one `file:line: field: what` line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class SpecPathWarning(UserWarning):
    """A user spec on ACTCLI_SPEC_PATH could not be read and was skipped (the CLI prints it as
    `actcli: warning: FILE:LINE: problem; skipped`)."""


class UnknownActivationError(ActcliError, LookupError):
    """A name that is neither a built-in, an alias, a user spec, nor a spec file."""


class InputError(ActcliError, ValueError):
    """Bad data on stdin or in a data file (not a spec)."""


class AnalysisError(ActcliError, ArithmeticError):
    """A mathematical analysis could not be carried out (not the user's fault, or not provable)."""


class ResourceLimitError(ActcliError, RuntimeError):
    """A time or memory limit was hit."""

    exit_code = EXIT_RESOURCE


class OutputClosed(ActcliError):
    """stdout was closed by its reader (`| head`): not an error, but nothing more can be written."""


MAX_QUOTED = 200  # characters of user input an error message shows


def clipped(text: str, limit: int = MAX_QUOTED) -> str:
    """`text` as it is, or its first `limit` characters and '…' (a message quotes at most that
    much of what the user typed: a 1 MB argument must not become a 1 MB error line)."""
    return text if len(text) <= limit else text[:limit] + "…"


def quoted(value: object, limit: int = MAX_QUOTED) -> str:
    """repr(value), cut like `clipped`."""
    return clipped(repr(value), limit)
