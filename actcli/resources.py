"""How much memory this machine has free: commands estimate their peak use before allocating
and refuse (exit 3) rather than be killed halfway."""

from __future__ import annotations

import os


def available_memory() -> int:
    """Bytes of memory available now: MemAvailable from /proc/meminfo, else free pages."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
