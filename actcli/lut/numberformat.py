"""Number formats of a table: parsing --fixed-point/--dtype, and correctly rounded quantisation.

Kept apart so that a new format (another container, a rounding mode) touches this module only;
the rules are in the package docstring ("Quantisation rounds ..." and "Number formats: ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from actcli.errors import UsageError

FLOAT_FORMATS = ("float16", "float32", "float64")
CONTAINERS = {"int8": 8, "int16": 16, "int32": 32}


@dataclass(frozen=True)
class Format:
    """A parsed --format: a float type, or fixed point (fraction_bits None = choose later)."""

    text: str
    storage: str
    fraction_bits: int | None = None
    fixed: bool = False
    integer_bits: int | None = None

    @property
    def bits(self) -> int:
        return int(self.storage.removeprefix("float").removeprefix("int"))

    def resolved(self) -> str:
        if not self.fixed:
            return self.storage
        return f"Q{self.integer_bits}.{self.fraction_bits} ({self.storage})"

    def limits(self) -> tuple[int, int]:
        """The Q format's integer range (saturation), 1 + m + n bits."""
        bits = 1 + self.integer_bits + self.fraction_bits
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def parse_format(text: str) -> Format:
    """A --fixed-point/--dtype text as a Format, refusing what no container holds."""
    option = f"--fixed-point/--dtype {text}"
    if text in FLOAT_FORMATS:
        return Format(text, text)
    if text in CONTAINERS:
        return Format(text, text, None, fixed=True)
    match = re.fullmatch(r"Q(\d+)\.(\d+)(?::(int\d+))?", text)
    if not match:
        raise UsageError(
            f"{option}: not a number format (float16, float32, float64, int8, int16, int32, "
            "Qm.n or Qm.n:intK)"
        )
    m, n, container = int(match[1]), int(match[2]), match[3]
    bits = 1 + m + n
    if container is None:
        fitting = [name for name, size in CONTAINERS.items() if size >= bits]
        if not fitting:
            raise UsageError(f"{option}: needs {bits} bits; the widest container is int32")
        container = fitting[0]
    elif container not in CONTAINERS:
        raise UsageError(f"{option}: container must be int8, int16 or int32")
    elif CONTAINERS[container] < bits:
        raise UsageError(f"{option}: 1 + {m} + {n} = {bits} bits do not fit {container}")
    return Format(text, container, n, fixed=True, integer_bits=m)


def _round_away(scaled: np.ndarray) -> np.ndarray:
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)


def auto_format(fmt: Format, columns: list[np.ndarray]) -> Format:
    """intK: the smallest m >= 0 whose Q(m).(K-1-m) range holds every value."""
    low, high = -(1 << (fmt.bits - 1)), (1 << (fmt.bits - 1)) - 1
    top = max(float(np.max(c)) for c in columns)
    bottom = min(float(np.min(c)) for c in columns)
    for m in range(fmt.bits):
        n = fmt.bits - 1 - m
        if _round_away(np.array([top * 2.0**n]))[0] <= high and (
            _round_away(np.array([bottom * 2.0**n]))[0] >= low
        ):
            return Format(fmt.text, fmt.storage, n, fixed=True, integer_bits=m)
    reach = max(abs(top), abs(bottom))
    raise UsageError(
        f"--dtype {fmt.text}: values reach {reach:.6g}, beyond any Q format in {fmt.storage} "
        f"(its integers stop at {high}); use a wider container"
    )


def quantise(
    values: np.ndarray, fmt: Format, exact: Any, x: np.ndarray
) -> tuple[np.ndarray, float]:
    """(stored values, max |dequantised - values|), correctly rounded from `exact` near ties."""
    if fmt.storage == "float64":
        return values.copy(), 0.0
    if fmt.fixed:
        n = fmt.fraction_bits
        scale = 2.0**n
        scaled = values * scale
        magnitude = np.abs(scaled)
        near = np.abs(magnitude - np.floor(magnitude) - 0.5) <= 1e-12 * magnitude + 1e-9
        rounded = _round_away(scaled)
        for i in np.flatnonzero(near & np.isfinite(scaled)):
            rounded[i] = _round_exact(exact(x[i]), n)
        low, high = fmt.limits()
        stored = np.clip(np.nan_to_num(rounded), low, high).astype(fmt.storage)
        return stored, float(np.max(np.abs(stored / scale - values)))
    dtype = np.dtype(fmt.storage)
    top = float(np.finfo(dtype).max)
    clipped = np.clip(values, -top, top)
    with np.errstate(over="ignore", under="ignore"):
        stored = clipped.astype(dtype)
        below = (clipped * (1 - 1e-12)).astype(dtype)
        above = (clipped * (1 + 1e-12)).astype(dtype)
    for i in np.flatnonzero(below != above):
        stored[i] = _round_float_exact(exact(x[i]), dtype, top)
    return stored, float(np.max(np.abs(stored.astype(np.float64) - values)))


def _round_exact(value: Any, n: int) -> float:
    """value * 2**n to the nearest integer, ties away from zero, with bits to spare (at 53
    bits, 0.49999999999999996 + 0.5 rounded up to 1)."""
    with mpmath.workprec(mpmath.mp.prec + 256):
        scaled = mpmath.mpf(value) * mpmath.mpf(2) ** n
        return float(mpmath.sign(scaled) * mpmath.floor(abs(scaled) + mpmath.mpf(0.5)))


def _round_float_exact(value: Any, dtype: np.dtype, top: float) -> Any:
    """The float of `dtype` nearest the mpmath `value`, ties to even, saturating."""

    guess = np.asarray(min(max(float(value), -top), top)).astype(dtype)
    candidates = [
        np.nextafter(guess, dtype.type(-np.inf)),
        guess,
        np.nextafter(guess, dtype.type(np.inf)),
    ]
    candidates = [c for c in candidates if np.isfinite(c)]

    def key(c: Any) -> tuple[Any, int]:
        bits = int(np.asarray(c).view(f"uint{dtype.itemsize * 8}"))
        return abs(value - mpmath.mpf(float(c))), bits & 1

    return min(candidates, key=key)
