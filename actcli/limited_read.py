"""Reading a file whose size someone else controls: never more than a limit plus one byte, so
a file that grows after its size was checked (or lies about it, as /proc files do) cannot make
actcli read gigabytes."""

from __future__ import annotations

import os


def read_at_most(fd: int, limit: int) -> bytes | None:
    """The bytes of the open file `fd`, or None when there are more than `limit` of them."""
    chunks = []
    size = 0
    while size <= limit:
        chunk = os.read(fd, limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return None if size > limit else b"".join(chunks)
