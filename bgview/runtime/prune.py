"""Deleting finished jobs' directories — never a running one."""

from __future__ import annotations

import os
import shutil
import time

from bgview.runtime import ended
from bgview.runtime.jobread import load_job, supervisor_alive
from bgview.runtime.model import Job
from bgview.runtime.store import Project, validate_id


def prune(project: Project, *, older_than: float = 0.0, ids: list[str] | None = None) -> list[Job]:
    """Remove ended jobs that ended more than ``older_than`` seconds ago (or just ``ids``).

    A running job is never touched: an ended status is final, so a job read as ended stays so.
    Only jobs that had ended before the prune began are taken, and never one whose lock is
    held: its starter is still returning it (a job that could not start ends at once, and a
    prune beside it must not delete it under its starter). Given ``ids``, only those records
    are read (the viewer's ``d`` deletes one job, and need not read a thousand).
    """
    began = time.time()
    if ids is None:
        jobs = project.jobs()
    else:
        loaded = (load_job(project.jobs_dir / validate_id(i), project.path) for i in ids)
        jobs = [job for job in loaded if job is not None]
    cutoff = began - older_than
    removed = []
    for job in jobs:
        if not job.status.ended or (job.ended_at or job.started_at) > cutoff:
            continue
        if supervisor_alive(job.dir):
            continue
        shutil.rmtree(job.dir, ignore_errors=True)
        removed.append(job)
    if removed:
        # Their ids could come back (a counter reset by hand): no snapshot may outlive them.
        ended.forget(os.fspath(project.dir), {job.id for job in removed})
    return removed
