"""When a job last printed something: ``quiet for 4m12s`` on its screen.

The last write is the log's modification time (the supervisor's every write, and a size cap's
trim, set it), and the time index's last entry (:mod:`bgview.runtime.timeindex`) where that
is later (a log copied by hand keeps an old time).
"""

from __future__ import annotations

import os

from bgview.runtime import timeindex
from bgview.runtime.model import Job
from bgview.runtime.present import format_duration
from bgview.runtime.record import JobFiles

QUIET_AFTER = 2.0
"""Seconds without output before a running job is said to be quiet."""


def last_output(job: Job) -> float | None:
    """When ``job`` last wrote output (``None``: it never did)."""
    try:
        st = os.stat(job.dir / JobFiles.LOG)
    except OSError:
        return None
    if st.st_size == 0:
        return None
    indexed = timeindex.load(job.dir).last_time
    return max(st.st_mtime, indexed or 0.0)


def quiet_text(job: Job, now: float) -> str | None:
    """``quiet for 4m12s`` for a running job that printed nothing for a while, else ``None``."""
    if not job.running:
        return None
    last = last_output(job)
    if last is None or now - last < QUIET_AFTER:
        return None
    return f"quiet for {format_duration(now - last)}"
