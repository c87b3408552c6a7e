"""Output formats that a file name implies: image formats for figures, table formats for lookup
tables; the column names of numeric output (`x,f,df`), shared by `eval` and `table`; and the
switch back to the output shapes of actcli 0.1 (`ACTCLI_LEGACY_OUTPUT=1`). Light on purpose: the
CLI checks an output path before any work starts.
"""

from __future__ import annotations

import os
from pathlib import PurePath

from actcli.errors import UsageError

FIGURE_FORMATS = ("png", "svg", "pdf")
TABLE_FORMATS = ("csv", "tsv", "json", "npy", "c", "hex")
# The formats each command accepts (`--format`), the first its default off a terminal unless
# `table` is there (the CLI: `table` on a terminal when allowed, else the default named there).
FORMATS = {
    "list": ("table", "json", "csv", "tsv", "text"),
    "show": ("table", "text", "json", "latex"),
    "validate": ("text", "json"),
    "eval": ("text", "json", "csv", "tsv", "table"),
    "derive": ("text", "latex", "json", "python", "c"),
    "check": ("table", "text", "json", "csv", "tsv"),
    "smoothness": ("text", "json"),
    "properties": ("table", "text", "json", "csv", "tsv"),
    "plot": ("text", "json"),
    "table": TABLE_FORMATS,
    "simulate-depth": ("table", "json", "csv", "tsv"),
    "init": ("table", "json", "csv", "tsv"),
    "phase": ("table", "text", "json", "csv", "tsv"),
}
_TABLE_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".npy": "npy",
    ".h": "c",
    ".hex": "hex",
    ".mem": "hex",
}


LEGACY_OUTPUT_VARIABLE = "ACTCLI_LEGACY_OUTPUT"


def column_name(order: int) -> str:
    """f, df, d2f: the column of f's derivative of order k (`eval` and `table` csv/tsv/json)."""
    return "f" if order == 0 else ("df" if order == 1 else f"d{order}f")


def legacy_output() -> bool:
    """Whether ACTCLI_LEGACY_OUTPUT asks for actcli 0.1's shapes (for one release): `eval`
    csv/tsv headers `x,y`, and `properties --format json` as a bare array."""
    return os.environ.get(LEGACY_OUTPUT_VARIABLE, "").strip().lower() not in ("", "0", "no")


def figure_format(path: str) -> str:
    """The image format an output path asks for, from its extension (`-` means PNG).

    Raises:
        UsageError: an extension other than .png, .svg or .pdf.
    """
    if path == "-":
        return "png"
    suffix = PurePath(path).suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        shown = f".{suffix}" if suffix else "no extension"
        raise UsageError(f"-o {path}: {shown}; use a .png, .svg or .pdf file name (or - for PNG)")
    return suffix


def table_format_for_path(path: str, requested: str | None = None) -> str | None:
    """The table format an output file name implies (.h is C, .hex/.mem are hex), or None for a
    name without an extension (then `requested`, or csv, is written).

    Raises:
        UsageError: an extension no table format is written with (`-o t.png`), or one that
            names another format than `requested` (`-o t.json --format csv`).
    """
    suffix = PurePath(path).suffix.lower()
    if not suffix:
        return None
    implied = _TABLE_EXTENSIONS.get(suffix)
    if implied is None:
        accepted = ", ".join(_TABLE_EXTENSIONS)
        raise UsageError(
            f"-o {path}: a table is not written as {suffix}; use {accepted} "
            "(or no extension with --format)"
        )
    if requested is not None and requested != implied:
        raise UsageError(f"-o {path}: {suffix} is {implied}, but --format is {requested}")
    return implied
