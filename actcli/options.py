"""Command-line option values parsed into Python values, with one-line errors that name the
option: `--param NAME=VALUE`, sizes (`2G`), orders (`0,1,2`), sweeps, verdict lists, numbers.

Light and free of mathematics; the CLI and the facade share it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from actcli.errors import UsageError

VERDICTS = ("vanishing", "exploding", "stable")


def parse_param_options(options: Sequence[str]) -> dict[str, str]:
    """`--param NAME=VALUE` options into a mapping (a repeated name is an error)."""
    found: dict[str, str] = {}
    for option in options:
        name, sep, value = option.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise UsageError(f"--param {option!r}: expected NAME=VALUE, e.g. --param alpha=0.5")
        if name in found:
            raise UsageError(f"--param {name}: given twice")
        found[name] = value
    return found


def parse_bytes(text: str, option: str = "--max-memory") -> int:
    """A size like 2G, 512M, 1.5GB, 800MiB or a plain number of bytes (powers of 1024)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)(i?b)?\s*", text, flags=re.I)
    if not match:
        raise UsageError(f"{option} {text!r}: expected a size such as 2G, 512M or 1073741824")
    number, unit = float(match.group(1)), match.group(2).lower()
    size = number * 1024 ** " kmgt".index(unit or " ")
    if size < 1:
        raise UsageError(f"{option} {text!r}: must be at least one byte")
    return int(size)


def parse_orders(text: str) -> tuple[int, ...]:
    """`--order 0,1,2` as a tuple of distinct non-negative orders."""
    try:
        orders = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--order {text!r}: expected orders like 0,1,2") from None
    if any(order < 0 for order in orders) or len(set(orders)) != len(orders):
        raise UsageError(f"--order {text!r}: orders must be distinct and 0 or more")
    return orders


def parse_sweep(text: str) -> tuple[str, list[str]]:
    """`--sweep NAME=V1,V2,...` as the parameter name and its values (as written)."""
    name, sep, values = text.partition("=")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not sep or not name.strip() or not items:
        raise UsageError(f"--sweep {text!r}: expected NAME=V1,V2,..., e.g. --sweep alpha=0.5,1,2")
    return name.strip(), items


def parse_verdicts(text: str | None) -> set[str]:
    """--fail-on vanishing,exploding as a set of verdicts."""
    if text is None:
        return set()
    chosen = {part.strip() for part in text.split(",") if part.strip()}
    unknown = chosen - set(VERDICTS)
    if unknown or not chosen:
        raise UsageError(f"--fail-on {text!r}: use vanishing, exploding or stable, comma-separated")
    return chosen


def number_format(fixed_point: str | None, dtype: str | None) -> str:
    """--fixed-point and --dtype as one number format: Qm.n, Qm.n:intK, intK or floatK."""
    if fixed_point is None:
        return dtype or "float64"
    if dtype is None:
        return fixed_point
    if not dtype.startswith("int"):
        raise UsageError(f"--fixed-point {fixed_point} stores integers: --dtype {dtype} is not one")
    return f"{fixed_point}:{dtype}"


def format_name(text: str | None) -> str | None:
    """--format as written, lowercase (`--format JSON` is json)."""
    return None if text is None else text.strip().lower()


def is_number(word: str) -> bool:
    """A token that `float` reads (the CLI shields negative numbers from the option parser)."""
    try:
        float(word)
    except ValueError:
        return False
    return True
