"""A cache of compiled numeric functions, so that repeated `actcli eval` runs skip SymPy.

An entry is the Python source that `numeric.scalar_source` generated for one spec, parameter
values and derivative order, with the bound parameters and the kinks; its key is a hash of
everything that determines it (actcli's version and the compiling code included). Entries are
written atomically; a cache that cannot be read or written is simply not used. Location:
$ACTCLI_CACHE_DIR, else $XDG_CACHE_HOME/actcli, else ~/.cache/actcli; ACTCLI_CACHE_DIR=off
disables it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from actcli.version import __version__


def cache_dir() -> Path | None:
    configured = os.environ.get("ACTCLI_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "actcli"


# The modules whose code decides what a compiled entry contains: editing one invalidates them.
_CODE = (
    "activation.py",
    "compiler.py",
    "domain.py",
    "evaluation.py",
    "expr.py",
    "functions.py",
    "numeric.py",
    "pieces.py",
    "rewrites.py",
    "stabilize.py",
)


def key(*parts: Any) -> str:
    """A stable hash of `parts` (their reprs), actcli's version and the compiling code."""
    digest = hashlib.sha256(repr((__version__, *parts)).encode())
    package = Path(__file__).parent
    for name in _CODE:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:32]


def load(name: str) -> dict[str, Any] | None:
    directory = cache_dir()
    if directory is None:
        return None
    try:
        return json.loads((directory / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None


def store(name: str, data: dict[str, Any]) -> None:
    directory = cache_dir()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=directory, suffix=".tmp", delete=False) as tmp:
            json.dump(data, tmp)
        os.replace(tmp.name, directory / f"{name}.json")
    except OSError:
        try:
            os.unlink(tmp.name)
        except (OSError, NameError):
            pass
