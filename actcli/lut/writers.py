"""A finished table written out: csv, tsv, json, npy, a C99 header, or $readmemh hex.

Kept apart so that the file formats change here only; they read a TableResult and compute
nothing about errors.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import numpy as np

from actcli.errors import UsageError
from actcli.formats import TABLE_FORMATS
from actcli.lut.result import TableResult, column_name, label
from actcli.version import __version__

# Bytes per stored number in each format, a little over the longest usual text (a float64's
# repr, a separator): the estimate a table is refused by before it is built (--max-output-size).
_NUMBER_BYTES = {"csv": 25, "tsv": 25, "json": 50, "c": 27}


def estimated_bytes(points: int, columns: int, fmt: str, storage_bytes: int = 8) -> int:
    """About how many bytes a table of `points` entries and `columns` orders takes in `fmt`
    (an upper estimate for text formats; npy and hex exactly, give or take the header)."""
    if fmt == "npy":
        return 128 + points * (8 + storage_bytes * columns)
    if fmt == "hex":
        return points * columns * (2 * storage_bytes + 1)
    return 1024 + points * (1 + columns) * _NUMBER_BYTES.get(fmt, 50)


def table_bytes(result: TableResult, fmt: str) -> bytes:
    """The table in one of TABLE_FORMATS.

    csv/tsv: header x,f[,df,d2f] and one row per node; fixed point as integers, floats as the
    shortest decimal that reads back to the stored value (x as Python's repr). json:
    `to_json()`, one line. npy: a structured array, field x (float64) and one field per column
    in the storage dtype (int16, float32, ...). c: a C99 header (see `c_header`). hex: one
    stored word per line for $readmemh, two's complement or IEEE bits, lowercase.

    Raises:
        UsageError: an unknown format; hex with more than one order.
    """
    if fmt in ("csv", "tsv"):
        return _delimited(result, "," if fmt == "csv" else "\t")
    if fmt == "json":
        return (json.dumps(result.to_json(), allow_nan=False) + "\n").encode()
    if fmt == "npy":
        return _npy(result)
    if fmt == "c":
        return c_header(result).encode()
    if fmt == "hex":
        return _hex(result)
    raise UsageError(f"--format {fmt}: table formats are {', '.join(TABLE_FORMATS)}")


def _number_text(result: TableResult, value: Any) -> str:
    if result.scale:
        return str(int(value))
    if result.storage == "float64":
        return repr(float(value))
    return str(value)  # NumPy's shortest repr for float16/float32


def _delimited(result: TableResult, separator: str) -> bytes:
    header = separator.join(["x", *(column_name(k) for k in result.orders)])
    lines = [header]
    for i, x in enumerate(result.x):
        cells = [repr(float(x)), *(_number_text(result, s[i]) for s in result.stored)]
        lines.append(separator.join(cells))
    return ("\n".join(lines) + "\n").encode()


def _npy(result: TableResult) -> bytes:

    dtype = [("x", "<f8"), *((column_name(k), result.storage) for k in result.orders)]
    array = np.zeros(result.points, dtype=dtype)
    array["x"] = result.x
    for k, stored in zip(result.orders, result.stored, strict=True):
        array[column_name(k)] = stored
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _words(result: TableResult, stored: np.ndarray) -> list[int]:
    """Stored values as unsigned words: two's complement, or IEEE bit patterns."""
    bits = np.dtype(result.storage).itemsize * 8
    if result.scale:
        return [int(v) & ((1 << bits) - 1) for v in stored]
    return [int(v) for v in stored.view(f"uint{bits}")]


def _hex(result: TableResult) -> bytes:
    if len(result.orders) != 1:
        raise UsageError("--format hex: hex holds one column; pick one --order")
    digits = np.dtype(result.storage).itemsize * 2
    words = _words(result, result.stored[0])
    return "".join(f"{w:0{digits}x}\n" for w in words).encode()


def c_identifier(name: str) -> str:
    """An activation name as a C identifier (softplus:torch -> softplus_torch)."""
    text = re.sub(r"\W", "_", name, flags=re.ASCII)
    return text if text and not text[0].isdigit() else f"_{text}"


_C_TYPES = {
    "int8": "int8_t",
    "int16": "int16_t",
    "int32": "int32_t",
    "float16": "uint16_t",
    "float32": "float",
    "float64": "double",
}


def _c_double(value: float) -> str:
    text = repr(float(value))
    return f"({text})" if text.startswith("-") else text


def _c_element(result: TableResult, value: Any, word: int) -> str:
    if result.storage == "float16":
        return f"0x{word:04x}"
    if result.storage == "float32":
        return f"{np.format_float_scientific(value, unique=True)}f"
    if result.storage == "float64":
        return repr(float(value))
    if result.storage == "int32" and int(value) == -(1 << 31):
        return "(-2147483647 - 1)"
    return str(int(value))


def c_header(result: TableResult) -> str:
    """A C99 header: the table(s), its grid as macros, and `<name>_lut[_dK]_eval(double)`
    implementing the interpolation, the clamp to [LO, HI] and the fold's reflection."""

    name = c_identifier(result.activation)
    upper = name.upper()
    guard = f"ACTCLI_{upper}_LUT_H"
    params = ", ".join(f"{k}={v!r}" for k, v in result.params.items()) or "none"
    scale = f", value = stored / {result.scale}" if result.scale else ""
    if result.storage == "float16":
        scale = ", stored as IEEE binary16 bit patterns (uint16_t)"
    lines = [
        f"/* {name}_lut.h: lookup table generated by actcli {__version__}",
        " *",
        f" * activation:     {result.activation} (parameters: {params})",
        f" * range:          [{result.lo!r}, {result.hi!r}]",
        f" * table covers:   [{result.start!r}, {result.hi!r}]"
        + (f", folded: {result.fold}" if result.fold else ""),
        f" * step:           {result.step!r}",
        f" * points:         {result.points}",
        f" * interpolation:  {result.interp}",
        f" * number format:  {result.number_format}{scale}",
    ]
    for budget in result.budgets:
        lines.append(
            f" * {column_name(budget.order):>3}: certified max error {budget.certified_error:.3e}, "
            f"measured {budget.measured_error:.3e}"
        )
    lines += [
        " * Inputs outside the range are clamped to it; the error bound holds inside only.",
        " */",
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        "#include <stdint.h>",
    ]
    if result.storage == "float16":
        lines.append("#include <math.h>")
    lines += [
        "",
        f"#define {upper}_LUT_SIZE {result.points}",
        f"#define {upper}_LUT_LO {_c_double(result.start)}",
        f"#define {upper}_LUT_HI {_c_double(result.hi)}",
        f"#define {upper}_LUT_STEP {_c_double(result.step)}",
    ]
    if result.scale:
        lines.append(f"#define {upper}_LUT_SCALE {float(result.scale)!r}")
    if result.storage == "float16":
        lines += ["", *_C_HALF.format(name=name).splitlines()]
    for index, order in enumerate(result.orders):
        lines += ["", *_c_table(result, name, upper, index, order)]
    lines += ["", f"#endif /* {guard} */", ""]
    return "\n".join(lines)


_C_HALF = """/* IEEE binary16 bits to double (tables store float16 as bit patterns) */
static inline double {name}_lut_half(uint16_t bits)
{{
    int exponent = (bits >> 10) & 0x1f;
    double mantissa = (double)(bits & 0x3ff);
    double value = exponent == 0 ? ldexp(mantissa, -24) : ldexp(mantissa + 1024.0, exponent - 25);
    return (bits & 0x8000) ? -value : value;
}}"""


def _c_table(result: TableResult, name: str, upper: str, index: int, order: int) -> list[str]:
    suffix = "" if order == 0 else f"_d{order}"
    array = f"{name}_lut{suffix}"
    stored = result.stored[index]
    words = _words(result, stored) if result.storage == "float16" else [0] * stored.size
    elements = [_c_element(result, v, w) for v, w in zip(stored, words, strict=True)]
    rows = [
        "    " + ", ".join(elements[i : i + 8]) + ("," if i + 8 < len(elements) else "")
        for i in range(0, len(elements), 8)
    ]
    if result.scale:
        read = f"(double){array}[{{i}}] / {upper}_LUT_SCALE"
    elif result.storage == "float16":
        read = f"{name}_lut_half({array}[{{i}}])"
    else:
        read = f"(double){array}[{{i}}]"
    body = [
        f"/* {label(order)} at the nodes x_i = LO + i*STEP */",
        f"static const {_C_TYPES[result.storage]} {array}[{upper}_LUT_SIZE] = {{",
        *rows,
        "};",
        "",
        f"/* {label(order)}(x) by {result.interp} interpolation"
        + (" (reflected for x < 0)" if result.fold else "")
        + " */",
        f"static inline double {array}_eval(double x)",
        "{",
        "    double t, v;",
        "    long i;",
    ]
    if result.interp == "linear":
        body[-2] = "    double t, v, a, frac;"
    if result.fold:
        body.append("    int negative = x < 0;")
    body += ["    if (x != x)", "        return x;"]
    if result.fold:
        body += ["    if (negative)", "        x = -x;"]
    body += [
        f"    if (x < {upper}_LUT_LO)",
        f"        x = {upper}_LUT_LO;",
        f"    if (x > {upper}_LUT_HI)",
        f"        x = {upper}_LUT_HI;",
        f"    t = (x - {upper}_LUT_LO) / {upper}_LUT_STEP;",
    ]
    if result.interp == "linear":
        body += [
            "    i = (long)t;",
            f"    if (i > {upper}_LUT_SIZE - 2)",
            f"        i = {upper}_LUT_SIZE - 2;",
            "    frac = t - (double)i;",
            f"    a = {read.format(i='i')};",
            f"    v = a + frac * ({read.format(i='i + 1')} - a);",
        ]
    else:
        shift = " + 0.5" if result.interp == "nearest" else ""
        body += [
            f"    i = (long)(t{shift});",
            f"    if (i > {upper}_LUT_SIZE - 1)",
            f"        i = {upper}_LUT_SIZE - 1;",
            f"    v = {read.format(i='i')};",
        ]
    if result.fold:
        sign, offset = result.reflect[index]
        reflected = "-v" if sign < 0 else "v"
        if offset:
            reflected = f"{_c_double(offset)} {'-' if sign < 0 else '+'} v"
        body += ["    if (negative)", f"        v = {reflected};"]
    body += ["    return v;", "}"]
    return body
