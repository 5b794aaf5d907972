"""Recording a job's end exactly once, and the project's log of ended jobs.

Two parties may record an end: the job's supervisor (the usual case), or whoever notices that
the supervisor vanished (``lost``). The ``ended`` marker, created with ``O_EXCL``, makes sure
only the first of them writes the final status and appends the job to ``notices.log``, so a
notice exists once per job and each consumer is given it once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bgview.runtime.fsio import open_private, read_json, write_json_atomic

META = "meta.json"
ENDED = "ended"
NOTICES_LOG = "notices.log"


def finalize(job_dir: Path, fields: dict[str, Any]) -> bool:
    """Write the job's final status, once. ``False`` if its end was already recorded."""
    try:
        os.close(open_private(job_dir / ENDED, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    # The notice goes first: whoever sees the final status (``bgview wait``) and then asks
    # for notices must find it. A reader meeting the id before the status waits for it.
    append_notice(job_dir.parent.parent, job_dir.name)
    meta = read_json(job_dir / META) or {}
    meta.update(fields)
    write_json_atomic(job_dir / META, meta)
    return True


def append_notice(project_dir: Path, job_id: str) -> None:
    """Add a job to the project's ended-jobs log (one short line: an atomic append)."""
    fd = open_private(project_dir / NOTICES_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(fd, f"{job_id}\n".encode())
    finally:
        os.close(fd)
