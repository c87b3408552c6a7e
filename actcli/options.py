"""Command-line option values parsed into Python values, with one-line errors that name the
option: `--param NAME=VALUE`, sizes (`2G`), orders (`0,1,2`), sweeps, verdict lists, numbers.

Light and free of mathematics; the CLI and the facade share it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence

from actcli.errors import UsageError

VERDICTS = ("vanishing", "exploding", "stable")
# The highest derivative order any command computes from an expression: `eval --order`,
# `derive --order` (text, latex, json, python and c alike) and `check`'s derivatives.K claims.
MAX_DERIVATIVE_ORDER = 10
# Figures (`plot`): curves overlaid (activations x --sweep values), --title length, --dpi, and
# the pixels of a PNG (width x dpi x height x dpi; 100 million is a 400 MB image in memory).
MAX_SERIES = 50
MAX_TITLE_CHARS = 200
MAX_DPI = 1200
MAX_PIXELS = 100_000_000
# Lookup tables (`table`): the default --max-points (a 2^18-entry table takes about 12 s and
# 100 MB to certify; a 2^20-entry one 45 s) and the most --max-points may be raised to.
TABLE_MAX_POINTS = 1 << 18
TABLE_POINTS_LIMIT = 1 << 24
# ... and the largest output it writes unless --max-output-size raises it (estimated up front).
TABLE_MAX_OUTPUT = "64M"
# Phase diagrams (`phase`): points per axis of the sigma_w2 x sigma_b2 grid (each point is a
# fixed-point iteration of Gaussian quadratures, about 25 ms).
MAX_GRID_POINTS = 200
# Worker processes (`--workers`), and where Dask's scheduler address may come from.
MAX_WORKERS = 1024
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
# Depth sweeps (`simulate-depth --depth 10,50,100 --width 256,1024`): values per list.
MAX_LIST_VALUES = 100


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


def format_bytes(size: int) -> str:
    """A size as parse_bytes reads it back, rounded up: 64M, 1.5G, 900K."""
    for unit, scale in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if size >= scale:
            value = math.ceil(size / scale * 10) / 10
            return f"{value:g}{unit}"
    return str(size)


def parse_orders(text: str) -> tuple[int, ...]:
    """`--order 0,1,2` as a tuple of distinct non-negative orders."""
    try:
        orders = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--order {text!r}: expected orders like 0,1,2") from None
    if any(order < 0 for order in orders) or len(set(orders)) != len(orders):
        raise UsageError(f"--order {text!r}: orders must be distinct and 0 or more")
    return orders


def check_order(order: int, least: int = 0, what: str | None = None) -> int:
    """A derivative order between `least` and MAX_DERIVATIVE_ORDER, else a UsageError naming
    the option (`what`, default `--order N`) and the limit; checked before anything is built."""
    if not least <= order <= MAX_DERIVATIVE_ORDER:
        what = what or f"--order {order}"
        raise UsageError(f"{what}: must be between {least} and {MAX_DERIVATIVE_ORDER}")
    return order


def parse_sweep(text: str) -> tuple[str, list[str]]:
    """`--sweep NAME=V1,V2,...` as the parameter name and its values (as written)."""
    name, sep, values = text.partition("=")
    items = [v.strip() for v in values.split(",")]
    if not sep or not name.strip() or not all(items):  # alpha=1,,2 dropped its empty value
        raise UsageError(
            f"--sweep {text[:80]!r}: expected NAME=V1,V2,..., e.g. --sweep alpha=0.5,1,2"
        )
    repeated = next((v for i, v in enumerate(items) if v in items[:i]), None)
    if repeated is not None:  # alpha=1,1 drew one curve twice
        raise UsageError(f"--sweep {name.strip()}: the value {repeated} is given twice")
    if len(items) > MAX_SERIES:
        raise UsageError(f"--sweep {name.strip()}: {len(items)} values, more than {MAX_SERIES}")
    return name.strip(), items


def check_figure(dpi: float, title: str | None, inches: tuple[float, float], raster: bool) -> None:
    """--dpi within 1..MAX_DPI, --title at most MAX_TITLE_CHARS, and for a raster image at most
    MAX_PIXELS; refused before anything is drawn."""
    if not (math.isfinite(dpi) and 1 <= dpi <= MAX_DPI):
        raise UsageError(f"--dpi {dpi:g}: must be between 1 and {MAX_DPI}")
    if title is not None and len(title) > MAX_TITLE_CHARS:
        raise UsageError(f"--title: {len(title)} characters, more than {MAX_TITLE_CHARS}")
    width, height = inches
    pixels = width * dpi * height * dpi
    if raster and pixels > MAX_PIXELS:
        raise UsageError(
            f"--dpi {dpi:g} and --size {width:g} {height:g}: a {width * dpi:.0f} x "
            f"{height * dpi:.0f} pixel PNG, more than {MAX_PIXELS // 1_000_000} million pixels; "
            "lower --dpi or --size (or write .svg or .pdf)"
        )


def parse_grid(
    value: str | Sequence[float], option: str, *, positive: bool = False
) -> tuple[float, float, int]:
    """A grid axis `LO:HI:N` (or a (lo, hi, n) sequence) as (lo, hi, n): finite, lo < hi,
    2 <= n <= MAX_GRID_POINTS, and lo > 0 when `positive` else lo >= 0."""
    shown = value if isinstance(value, str) else ":".join(str(v) for v in value)
    parts = value.split(":") if isinstance(value, str) else list(value)
    try:
        if len(parts) != 3:
            raise ValueError
        lo, hi = float(parts[0]), float(parts[1])
        count = float(parts[2])
        if count != int(count):
            raise ValueError
        n = int(count)
    except (ValueError, TypeError, OverflowError):
        raise UsageError(f"{option} {shown!r}: expected LO:HI:N, e.g. 0.5:4:15") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise UsageError(f"{option} {shown!r}: LO and HI must be finite with LO < HI")
    if positive and lo <= 0:
        raise UsageError(f"{option} {shown!r}: LO must be positive")
    if not positive and lo < 0:
        raise UsageError(f"{option} {shown!r}: LO must be zero or positive")
    if not 2 <= n <= MAX_GRID_POINTS:
        raise UsageError(f"{option} {shown!r}: N must be between 2 and {MAX_GRID_POINTS}")
    return lo, hi, n


def parse_counts(text: str, option: str) -> list[int]:
    """`10,50,100`: whole numbers separated by commas (one number is a list of one), at most
    MAX_LIST_VALUES of them; their ranges are the caller's to check."""
    words = [word.strip() for word in text.split(",")]
    if len(words) > MAX_LIST_VALUES or not all(re.fullmatch(r"-?[0-9]{1,18}", w) for w in words):
        raise UsageError(
            f"{option} {text.strip()!r}: expected whole numbers separated by commas, e.g. "
            f"10,50,100 (at most {MAX_LIST_VALUES})"
        )
    return [int(word) for word in words]


def check_workers(workers: int | None) -> None:
    """Raises UsageError for a worker count below 1 or above MAX_WORKERS."""
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"--workers {workers}: must be from 1 to {MAX_WORKERS}")


def choose_workers(workers: int | None, scheduler: str | None) -> tuple[int | None, str | None]:
    """`--workers` and `--scheduler` checked: the scheduler (or, with neither option given,
    $DASK_SCHEDULER_ADDRESS) runs on Dask, `--workers N` locally; None workers is the default
    (`actcli.sweep.worker_count`)."""
    check_workers(workers)
    scheduler = scheduler.strip() if scheduler is not None else None
    if scheduler == "":
        raise UsageError("--scheduler: give an address such as tcp://host:8786")
    if scheduler is not None and workers is not None:
        raise UsageError("give --workers (local processes) or --scheduler (Dask), not both")
    if scheduler is None and workers is None:
        scheduler = os.environ.get(SCHEDULER_ENV, "").strip() or None
    return workers, scheduler


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
