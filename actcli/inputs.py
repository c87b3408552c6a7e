"""Numbers read from stdin or arguments: one value per token, or one vector per line.

Forgiving about layout: `#` comments (whole lines and trailing), blank lines, a header row of
names (`x,f,df`, as `actcli table --format csv` writes it) and CSV/TSV rows, of which one column
is read (`--column N|NAME`; by default the one named `x`). Every bad token is still named with
its line, so a pipeline that feeds a typo fails with a message that points at it, never with a
traceback.
"""

from __future__ import annotations

import numpy as np

from actcli.errors import InputError, UsageError


def parse_numbers(
    text: str, *, vector: bool, source: str = "stdin", column: str | None = None
) -> np.ndarray:
    """Numbers separated by whitespace (and commas, for vectors: one vector per line).

    `#` starts a comment; blank lines are skipped; on stdin a first line of two or more names
    (or of one, with `column`) is a header. Rows with commas (or a header, or `column`) are a
    table: one number per row is read, from `column` (1-based index or header name), else from
    the column named `x`, else from the only column. Empty input gives an empty array. A
    leading byte order mark is ignored.

    Raises:
        InputError: naming the line and the token that is not a number.
        UsageError: `column` names no column, or a table has several and none was chosen.
    """
    text = text.removeprefix("\ufeff")  # a byte order mark, as some editors save UTF-8
    if not vector and column is None and "#" not in text and "," not in text:
        try:  # the fast path for plain numbers (a million values)
            if "_" not in text:  # NumPy and float() read 1_000 as 1000; a typo is likelier
                return np.array(text.split(), dtype=np.float64)
        except ValueError:
            pass  # a header row, or a bad token the slow path names
    # numbered by "\n" as wc, sed and editors count; split further where str.splitlines
    # would (\r, \f, \x1c, U+2028), so what is read stays as it was
    lines = [
        (n, _uncommented(row))
        for n, line in enumerate(text.split("\n"), start=1)
        for row in line.splitlines()
    ]
    lines = [(n, line) for n, line in lines if line.strip()]
    header = None
    if lines and source != "argument" and _is_header(lines[0][1], column is not None):
        header = [name.lower() for name in _fields(lines[0][1])]
        lines = lines[1:]
    if vector:
        if column is not None:
            raise UsageError("--column reads one number per row: a vector activation reads rows")
        return _vectors(lines, source)
    if column is None and header is None and not any("," in line for _, line in lines):
        tokens = [(n, token) for n, line in lines for token in line.split()]
        return np.array([_number(token, _where(source, n)) for n, token in tokens], dtype=float)
    index = _column_index(column, header, lines, source)
    values = []
    for number, line in lines:
        fields = _fields(line)
        if index >= len(fields):
            raise InputError(
                f"{_where(source, number)}: {len(fields)} column(s), no column {index + 1}"
            )
        values.append(_number(fields[index], _where(source, number)))
    return np.array(values, dtype=np.float64)


def _uncommented(line: str) -> str:
    return line.split("#", 1)[0]


def _fields(line: str) -> list[str]:
    """A row's fields: comma-separated when it has a comma, else whitespace-separated."""
    if "," in line:
        return [field.strip() for field in line.split(",")]
    return line.split()


def _is_number(token: str) -> bool:
    try:
        _float(token)
    except ValueError:
        return False
    return True


def _is_header(line: str, named_column: bool) -> bool:
    """Names only (no number among them): two or more, or one when a column is chosen (a lone
    word in front of numbers is likelier a typo)."""
    fields = _fields(line)
    enough = len(fields) >= 2 or named_column
    return enough and all(field and not _is_number(field) for field in fields)


def _column_index(
    column: str | None, header: list[str] | None, lines: list[tuple[int, str]], source: str
) -> int:
    """The 0-based column to read."""
    if column is None:
        if header is not None and "x" in header:
            return header.index("x")
        widths = {len(_fields(line)) for _, line in lines}
        if widths <= {1}:
            return 0
        shown = ", ".join(header) if header else f"{max(widths)} columns"
        raise UsageError(f"{source}: a table ({shown}): choose its column with --column N|NAME")
    chosen = column.strip()
    if chosen.isdigit():
        if int(chosen) < 1:
            raise UsageError(f"--column {column!r}: columns count from 1")
        return int(chosen) - 1
    if header is None:
        raise UsageError(f"--column {column!r}: {source} has no header row to name it in")
    if chosen.lower() not in header:
        raise UsageError(f"--column {column!r}: not in the header ({', '.join(header)})")
    return header.index(chosen.lower())


def _vectors(lines: list[tuple[int, str]], source: str) -> np.ndarray:
    rows = []
    for number, line in lines:
        tokens = line.replace(",", " ").split()
        rows.append([_number(token, f"{source} line {number}") for token in tokens])
    if not rows:
        return np.empty((0, 0))
    if len({len(row) for row in rows}) != 1:
        raise InputError(f"{source}: vectors of different lengths (one vector per line)")
    return np.array(rows, dtype=np.float64)


def _where(source: str, number: int) -> str:
    return f"{source} {'' if source == 'argument' else 'line '}{number}"


def _number(token: str, where: str) -> float:
    try:
        return _float(token)
    except ValueError:
        shown = token if len(token) <= 40 else token[:37] + "..."
        raise InputError(f"{where}: {shown!r} is not a number") from None


def _float(token: str) -> float:
    if "_" in token:
        raise ValueError(token)
    return float(token)
