"""Numbers read from stdin or arguments: one value per token, or one vector per line.

Every bad token is named with its line, so a pipeline that feeds a typo fails with a message
that points at it, never with a traceback.
"""

from __future__ import annotations

import numpy as np

from actcli.errors import InputError


def parse_numbers(text: str, *, vector: bool, source: str = "stdin") -> np.ndarray:
    """Numbers separated by whitespace (and commas, for vectors: one vector per line).

    Raises:
        InputError: naming the line and the token that is not a number.
    """
    if not vector:
        if "_" in text:  # NumPy and float() read 1_000 as 1000; a typo is likelier
            _raise_bad_token(text, source, vector)
        try:
            return np.array(text.split(), dtype=np.float64)
        except ValueError:
            _raise_bad_token(text, source, vector)
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        tokens = line.replace(",", " ").split()
        if not tokens:
            continue
        try:
            rows.append([_float(token) for token in tokens])
        except ValueError:
            _raise_bad_token(line, f"{source} line {number}", vector)
    if not rows:
        return np.empty((0, 0))
    if len({len(row) for row in rows}) != 1:
        raise InputError(f"{source}: vectors of different lengths (one vector per line)")
    return np.array(rows, dtype=np.float64)


def _float(token: str) -> float:
    if "_" in token:
        raise ValueError(token)
    return float(token)


def _raise_bad_token(text: str, source: str, vector: bool) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        for token in line.replace(",", " ").split() if vector else line.split():
            try:
                _float(token)
            except ValueError:
                where = (
                    source
                    if vector
                    else f"{source} {'' if source == 'argument' else 'line '}{number}"
                )
                shown = token if len(token) <= 40 else token[:37] + "..."
                raise InputError(f"{where}: {shown!r} is not a number") from None
    raise InputError(f"{source}: not a list of numbers")
