"""Measurements the benchmark scripts share (kept free of qa imports: the peer venv loads it too)."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak RSS of this process since exec (VmHWM).

    Not ``ru_maxrss``: Linux carries that across exec from the parent, so a
    child of a parent that once held the e5 model would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
