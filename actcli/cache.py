"""A cache of compiled numeric functions, so that repeated `actcli eval` runs skip SymPy.

An entry is the Python source that `numeric.scalar_source` generated for one spec, parameter
values and derivative order, with the bound parameters and the kinks; its key is a hash of
everything that determines it (actcli's version and the compiling code included). Entries are
written atomically; a cache that cannot be read or written is simply not used. Location:
$ACTCLI_CACHE_DIR, else $XDG_CACHE_HOME/actcli, else ~/.cache/actcli; ACTCLI_CACHE_DIR=off
disables it.

The cache holds data, never code that runs unchecked, and is private to its user:

- a cache directory that is group- or world-writable, or not owned by the current user, is not
  used (like ssh with ~/.ssh): one note on stderr per process, then actcli runs without a cache;
- directories actcli creates (the cache directory and any missing parent) are mode 0700,
  whatever the umask;
- an entry is read only if it is a regular file (not a symlink, FIFO or device; opened with
  O_NOFOLLOW and O_NONBLOCK) owned by the current user, of at most `MAX_ENTRY_BYTES`, holding
  a JSON object; anything else is treated as absent, silently;
- what an entry holds is checked again by its reader before it is used (the numeric source
  against a whitelist of the code generator's syntax, `generated.is_generated_source`; the
  registry's specs field by field and against the spec files they came from).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from actcli.limited_read import read_at_most
from actcli.version import __version__

MAX_ENTRY_BYTES = 4 * 1024 * 1024
PRIVATE_MODE = 0o700

_noted: set[str] = set()  # cache directories already refused with a note, this process


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
    "interval.py",
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


def _private(directory: Path) -> bool:
    """The directory exists, is owned by the current user and is writable by nobody else.
    A refused directory gets one note on stderr per process (an environment problem the user
    should hear about, not an error: actcli goes on without the cache)."""
    try:
        info = os.stat(directory)
    except (OSError, ValueError):
        return False
    if not stat.S_ISDIR(info.st_mode):
        return False
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # no POSIX ownership (Windows): nothing to check
        return True
    if info.st_uid == getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return True
    if str(directory) not in _noted:
        _noted.add(str(directory))
        sys.stderr.write(
            f"actcli: note: cache dir {str(directory)[:200]} is group/world-writable or not "
            "owned by you; not using it\n"
        )
    return False


def _make_private(directory: Path) -> bool:
    """Create the directory and its missing parents with mode 0700 (chmod after mkdir, so the
    umask cannot widen it); True if it is then usable (see `_private`)."""
    missing = []
    for candidate in (directory, *directory.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for created in reversed(missing):
        try:
            os.mkdir(created, PRIVATE_MODE)
        except FileExistsError:
            continue  # someone else made it: `_private` judges the cache directory itself
        except OSError:
            return False
        try:
            os.chmod(created, PRIVATE_MODE)
        except OSError:
            return False
    return _private(directory)


def _read_entry(path: Path) -> bytes | None:
    """The bytes of a regular file of at most MAX_ENTRY_BYTES, never following a symlink and
    never blocking on a FIFO; None for anything else."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            return None
        getuid = getattr(os, "getuid", None)
        if getuid is not None and info.st_uid != getuid():  # planted by another user
            return None
        return read_at_most(fd, MAX_ENTRY_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)


def load(name: str) -> dict[str, Any] | None:
    """The JSON object stored under `name`, or None (absent, unreadable, malformed, too big,
    not a regular file, or the cache directory is not private): never an error."""
    directory = cache_dir()
    if directory is None or not directory.exists() or not _private(directory):
        return None
    raw = _read_entry(directory / f"{name}.json")
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8, nesting too deep
        return None
    return data if isinstance(data, dict) else None


def store(name: str, data: dict[str, Any]) -> None:
    """Write an entry atomically (a private temporary file renamed into place); a cache that
    cannot be written is silently not used."""
    directory = cache_dir()
    if directory is None or not _make_private(directory):
        return
    tmp_name = None
    try:
        with tempfile.NamedTemporaryFile("w", dir=directory, suffix=".tmp", delete=False) as tmp:
            tmp_name = tmp.name
            json.dump(data, tmp)
        os.replace(tmp_name, directory / f"{name}.json")
    except (OSError, ValueError):
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
