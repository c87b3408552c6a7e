"""Output files written atomically: a temporary file in the same folder, then a rename.

An interrupted or failed run never leaves a half-written table or figure under the final name,
and an existing file is replaced only by a complete one. Only regular files are written: a
symlink is written through (its target is replaced, the link stays), and a device, FIFO, socket
or folder is refused before anything is written. A write that fails (disk full, file size
limit, I/O error) removes the temporary file and raises `ResourceLimitError`; so does SIGTERM,
once `actcli.cli.main` has turned it into an exception.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from actcli.errors import ResourceLimitError, UsageError

_SPECIAL = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)
# Errors of a write that started: the disk or the file size limit, not the path given.
_RESOURCE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO}


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically (see `atomic_writer`)."""
    with atomic_writer(path) as stream:
        stream.write(data)


def output_target(path: str | os.PathLike[str]) -> Path:
    """The regular file that writing `path` replaces: `path` itself, or a symlink's target.

    Cheap and free of side effects, so a command can check its `-o` before the work starts.

    Raises:
        UsageError: an empty name, a name ending in `/`, a folder, a device, FIFO or socket,
            a symlink loop, a missing folder or one that is not a folder (names the path).
    """
    text = os.fspath(path)
    if not text:
        raise UsageError("empty output file name: give a file name, or - for stdout")
    if text.endswith(("/", os.sep)):
        raise UsageError(f"{text}: ends in '/', a folder: give a file name")
    target = Path(os.path.realpath(text)) if os.path.islink(text) else Path(text)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:  # ELOOP, EACCES on a folder on the way, ENAMETOOLONG, ...
        raise UsageError(f"{text}: cannot write ({exc.strerror or exc})") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{text}: is a folder: give a file name")
        for test, kind in _SPECIAL:
            if test(info.st_mode):
                raise UsageError(
                    f"{text}: is {kind}; -o writes regular files only "
                    "(to write to it, use -o - and redirect stdout)"
                )
        if not os.access(target, os.W_OK):
            raise UsageError(f"{text}: cannot write (Permission denied)")
    folder = target.parent
    if not folder.is_dir():
        shown = f"{folder}" if target == Path(text) else f"{folder} (of the link's target)"
        what = "is not a folder" if folder.exists() else "does not exist"
        raise UsageError(f"{text}: folder {shown} {what}")
    return target


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary stream whose contents replace `path` only when the block ends without error.

    A symlink is written through: the temporary file goes in its target's folder and replaces
    the target. The new file's permissions are those a plain open() gives (0666 & ~umask), an
    existing file's are kept.

    Raises:
        UsageError: see `output_target`; also a folder that cannot be written in.
        ResourceLimitError: the write failed (no space left, file too large, I/O error); the
            message names the path and the reason.
    """
    shown = os.fspath(path)
    target = output_target(path)
    try:
        handle = tempfile.NamedTemporaryFile(
            "wb", dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
        )
    except OSError as exc:
        if exc.errno in _RESOURCE_ERRNOS:
            raise ResourceLimitError(f"writing {shown}: {exc.strerror or exc}") from None
        raise UsageError(f"{shown}: cannot write ({exc.strerror or exc})") from None
    try:
        try:
            with handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            _keep_mode(handle.name, target)
            os.replace(handle.name, target)
        except OSError as exc:
            if exc.errno in _RESOURCE_ERRNOS:
                raise ResourceLimitError(f"writing {shown}: {exc.strerror or exc}") from None
            if isinstance(exc, PermissionError | IsADirectoryError):
                raise UsageError(f"{shown}: cannot write ({exc.strerror or exc})") from None
            raise
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
