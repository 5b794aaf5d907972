"""Waiting for a job to change without reading it, so a cancelled wait consumes nothing.

``Runtime.read(wait=...)`` reads (and moves the cursor) the moment output arrives. An agent's
call can be cancelled while it waits (the user pressed Esc); a read made after that would move
the cursor past lines the agent is never shown. So the tools wait here, where nothing moves,
and read only if the call still wants the answer.

The log's size and the record's mtime are polled every :data:`POLL` seconds, as the runtime
does: the wake-up costs 2.5 ms on average, well inside the 20 ms budget.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from bgview.runtime import Job

POLL = 0.005
RECHECK = 0.5
"""Even with no change seen, return this often so the caller re-reads the job's record (which
is how a job whose supervisor vanished is found and recorded lost)."""

State = tuple[int, float]


def job_state(job: Job) -> State:
    """What changes when a job writes output or its record changes: log size, meta mtime."""
    try:
        size = os.stat(job.log_path).st_size
    except OSError:
        size = -1
    try:
        mtime = os.stat(job.dir / "result.json").st_mtime
    except OSError:
        mtime = -1.0
    return size, mtime


def wait_for_change(job: Job, before: State, deadline: float, stopped: Callable[[], bool]) -> bool:
    """Sleep until the job's state differs from ``before`` (``True``), or until the deadline
    passes or ``stopped()`` says to give up (``False``). Returns ``True`` every
    :data:`RECHECK` seconds too, so that the caller looks again."""
    recheck = time.monotonic() + RECHECK
    while True:
        if stopped():
            return False
        now = time.monotonic()
        if now >= deadline:
            return False
        if job_state(job) != before or now >= recheck:
            return True
        time.sleep(min(POLL, max(0.0, deadline - now)))
