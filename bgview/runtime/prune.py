"""Deleting finished jobs' directories — never a running one."""

from __future__ import annotations

import shutil
import time

from bgview.runtime.model import Job
from bgview.runtime.store import Project


def prune(project: Project, *, older_than: float = 0.0, ids: list[str] | None = None) -> list[Job]:
    """Remove ended jobs that ended more than ``older_than`` seconds ago (or just ``ids``).

    Each job is re-read right before removal, so a job that is running is never touched.
    """
    cutoff = time.time() - older_than
    removed = []
    for job in project.jobs():
        if ids is not None and job.id not in ids:
            continue
        if not job.status.ended or (job.ended_at or job.started_at) > cutoff:
            continue
        shutil.rmtree(job.dir, ignore_errors=True)
        removed.append(job)
    return removed
