"""Output files written atomically: a temporary file in the same folder, then a rename.

An interrupted or failed run never leaves a half-written table or figure under the final name,
and an existing file is replaced only by a complete one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from actcli.errors import UsageError


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically (see `atomic_writer`)."""
    with atomic_writer(path) as stream:
        stream.write(data)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary stream whose contents replace `path` only when the block ends without error.

    Raises:
        UsageError: the folder does not exist or cannot be written (names the path).
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{target}: folder {folder} does not exist")
    try:
        handle = tempfile.NamedTemporaryFile(
            "wb", dir=folder, prefix=f".{target.name}.", suffix=".tmp", delete=False
        )
    except OSError as exc:
        raise UsageError(f"{target}: cannot write ({exc.strerror or exc})") from None
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode(handle.name, target)
        os.replace(handle.name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


def _keep_mode(temporary: str, target: Path) -> None:
    """Give the new file the permissions a plain open() would: the old file's, or 0666 & ~umask."""
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temporary, mode)
