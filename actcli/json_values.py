"""Numbers as JSON values: the output contract writes non-finite floats as strings.

A leaf module: every result's `to_json` uses it, so it imports nothing of actcli's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def json_number(value: float) -> float | str:
    """A float for JSON: non-finite values as the strings "inf", "-inf", "nan"."""
    value = float(value)
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def json_optional(value: float | None) -> float | str | None:
    """`json_number`, with None kept as null."""
    return None if value is None else json_number(value)


def json_numbers(values: Iterable[float]) -> list[float | str]:
    """A list of floats for JSON."""
    return [json_number(v) for v in values]


def json_array(array: Any) -> list[Any]:
    """A NumPy array (any number of dimensions) as nested lists of JSON numbers."""
    if array.ndim == 1:
        return json_numbers(array.tolist())
    return [json_array(row) for row in array]
