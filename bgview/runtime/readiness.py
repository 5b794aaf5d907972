"""Waiting for a job's readiness, and telling when there is nothing more to wait for.

A job can be given a readiness condition — a regex its output must match, a TCP port one of
its processes must listen on, or ``auto`` (any listening port, or a URL of this machine it
prints). The condition is checked before the job is created, with the rest of its request
(:mod:`bgview.runtime.startcheck`); waiting for it (:func:`wait_ready`) watches what the job's
supervisor records in ``facts.json`` (:mod:`bgview.runtime.factkeeper`), which it rewrites the
moment the job is ready.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from bgview.runtime.errors import InvalidRequest
from bgview.runtime.model import Job
from bgview.runtime.record import JobFiles
from bgview.runtime.store import Project


def wait_ready(project: Project, job_id: str, timeout: float | None) -> Job:
    """Wait until the job is ready, has ended, waits for input, can no longer become ready,
    or ``timeout`` passes; returns the last snapshot (its ``ready`` says which it was).

    The supervisor writes ``facts.json`` the moment the job becomes ready: it is looked at
    every 10 ms (its inode changes with each rewrite), and the whole record twice a second
    (which also notices a lost supervisor). :class:`InvalidRequest` for a job started without
    a readiness condition.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    job = project.load(job_id)
    if job.ready_condition is None:
        raise InvalidRequest(f"{job_id} was started without a readiness condition (--ready)")
    job_dir = project.job_dir(job_id)
    watched = (job_dir / JobFiles.FACTS, job_dir / JobFiles.RESULT)
    last = _seen(watched)
    next_look = time.monotonic() + 0.5
    while not ready_settled(job):
        if deadline is not None and time.monotonic() >= deadline:
            return job
        time.sleep(0.01)
        seen = _seen(watched)
        if seen != last or time.monotonic() >= next_look:
            last, next_look = seen, time.monotonic() + 0.5
            job = project.load(job_id)
    return job


def ready_settled(job: Job) -> bool:
    """Nothing more to wait for: ready, ended, waiting for input, or never to be ready."""
    facts = job.facts
    hopeless = facts.ready is not True and facts.ready_detail is not None
    return job.ready is True or job.status.ended or facts.waiting_for_input or hopeless


def _seen(paths: tuple[Path, ...]) -> tuple[tuple[int, int], ...]:
    """Each file's inode and mtime (zeros while it is missing): a rewrite changes them."""
    found = []
    for path in paths:
        try:
            st = os.stat(path)
            found.append((st.st_ino, st.st_mtime_ns))
        except FileNotFoundError:
            found.append((0, 0))
    return tuple(found)
