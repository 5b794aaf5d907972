"""A job's readiness: its condition checked before it starts, and the wait for it.

A job can be given a readiness condition — a regex its output must match, a TCP port one of
its processes must listen on, or ``auto`` (any listening port, or a URL of this machine it
prints) — and a pattern to watch (``notify_on``). Both are checked here, at the edge, before a
record exists: the supervisor runs them on Python's ``re`` (:mod:`bgview.runtime.outputfacts`),
so they are Python regexes, and one that matches an empty line would match every line.

Waiting for readiness (:func:`wait_ready`) watches what the job's supervisor records in
``facts.json`` (:mod:`bgview.runtime.factkeeper`), which it rewrites the moment the job is ready.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from bgview.runtime.errors import InvalidRequest
from bgview.runtime.facts import MAX_PATTERN, ReadyCondition, ReadyKind
from bgview.runtime.model import Job
from bgview.runtime.record import JobFiles
from bgview.runtime.store import Project


def ready_condition(pattern: str | None, port: int | None) -> ReadyCondition | None:
    """The condition ``--ready PATTERN`` (or ``auto``) or ``--ready-port PORT`` asks for;
    :class:`InvalidRequest` for a bad pattern or port, or both at once."""
    if pattern is not None and port is not None:
        raise InvalidRequest("give --ready or --ready-port, not both")
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise InvalidRequest(f"ready port {port!r} is not a TCP port (1 to 65535)")
        return ReadyCondition(ReadyKind.PORT, port=port)
    if pattern is None:
        return None
    if pattern == "auto":
        return ReadyCondition(ReadyKind.AUTO)
    return ReadyCondition(ReadyKind.PATTERN, pattern=check_pattern(pattern, "ready"))


def check_pattern(pattern: str, what: str) -> str:
    """A pattern the supervisor can watch for (Python's regex syntax); else
    :class:`InvalidRequest` naming ``what`` and saying why."""
    shown = repr(pattern) if len(pattern) <= 60 else repr(pattern[:60]) + "…"
    if not pattern:
        raise InvalidRequest(f"{what}: the pattern is empty")
    if len(pattern) > MAX_PATTERN or "\0" in pattern:
        raise InvalidRequest(f"{what} {shown}: at most {MAX_PATTERN} characters, and no NUL")
    try:
        compiled = re.compile(pattern, re.MULTILINE)
    except (re.error, RecursionError, OverflowError) as exc:
        raise InvalidRequest(f"invalid {what} regex {shown}: {exc}") from None
    if compiled.search("") is not None:
        raise InvalidRequest(f"{what} {shown} matches an empty line: it would match every line")
    return pattern


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
