"""Notices: one line per ended job, and per fact event, given to each consumer exactly once.

``[bg:bash_3 exited 0, 1.4MB out, 12s wall]``. Every ended job is appended once to the
project's ``notices.log`` (:mod:`bgview.runtime.journal`); each consumer keeps an offset into
it, advanced under a lock, so two processes draining for one consumer never both get a notice.

A running job's supervisor appends its fact events to the same log
(:class:`~bgview.runtime.facts.FactEvent`), so they come in order with the ends, once each:
``[bg:bash_1 ready after 2.3s: http://localhost:5173/]``,
``[bg:bash_3 waiting for input: "Continue? [y/N]"]``, ``[bg:bash_2 matched /ERROR/: <line>]``,
``[bg:bash_2 matched /ERROR/ 14 more times in 2s]``,
``[bg:bash_2 watch for /ERROR/ stopped after 20 matches]``.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
from dataclasses import dataclass

from bgview.runtime.errors import BgviewError
from bgview.runtime.facts import FactEvent, FactKind, shown_pattern
from bgview.runtime.fsio import FULL_DISK, open_private, private_dir
from bgview.runtime.jobread import load_job
from bgview.runtime.journal import read_number, write_number
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.present import format_duration, format_size, status_words
from bgview.runtime.store import ID_RE, Project, notices_log, validate_consumer
from bgview.runtime.text import visible

format_seconds = format_duration
"""The old name: a notice's times are written as every table's are."""
__all__ = [
    "FactEvent",
    "FactKind",
    "Notice",
    "begin",
    "drain",
    "event_text",
    "format_duration",
    "format_seconds",
    "format_size",
    "notice_text",
    "readiness_text",
    "status_words",
]


@dataclass(frozen=True)
class Notice:
    """A job's end, or a fact event of a running job, as told to one consumer."""

    job: Job
    """The job as it is now (an event's job may have ended since)."""
    text: str
    event: FactEvent | None = None
    """What happened, for an event; ``None`` for the notice of a job's end."""

    @property
    def is_end(self) -> bool:
        return self.event is None


def event_text(job_id: str, event: FactEvent) -> str:
    """The one-line notice of a fact event. What came from the job is made
    :func:`~bgview.runtime.text.visible` (the supervisor did already; this is read back from
    a file anyone with the user's rights could have written)."""
    text, pattern = visible(event.text), shown_pattern(visible(event.pattern))
    kind = event.kind
    if kind is FactKind.READY:
        return f"[bg:{job_id} ready after {format_duration(event.seconds)}: {text}]"
    if kind is FactKind.INPUT:
        return (
            f'[bg:{job_id} waiting for input: "{text}"]'
            if text
            else (f"[bg:{job_id} waiting for input]")
        )
    if kind is FactKind.MATCH:
        return f"[bg:{job_id} matched {pattern}: {text}]"
    if kind is FactKind.RESTARTED:
        return f"[bg:{job_id} restarted ({event.count} of {event.limit}) after {text}]"
    if kind is FactKind.MATCHES:
        times = "time" if event.count == 1 else "times"
        return f"[bg:{job_id} matched {pattern} {event.count} more {times} in {event.seconds:g}s]"
    if text.startswith("after "):
        return f"[bg:{job_id} watch for {pattern} stopped {text}]"
    return f"[bg:{job_id} watch for {pattern} stopped: {text}]"


def notice_text(job: Job) -> str:
    """The one-line notice for an ended job. The reason came from the job (its command, its
    cwd): it is made :func:`~bgview.runtime.text.visible`, so the notice is safe to print."""
    tail = f"{format_size(job.output_bytes)} out, {format_duration(job.wall_seconds())} wall"
    if job.left_behind_count:
        n = job.left_behind_count
        tail += f", {n} process{'es' if n != 1 else ''} ended with it"
    if job.gave_up:
        n = job.restarts
        how = "exited" if job.status is JobStatus.EXITED else "killed by"
        code = job.exit_code if job.status is JobStatus.EXITED else visible(job.signal or "")
        what = f"{how} {code}"
        return f"[bg:{job.id} gave up after {n} restart{'s' if n != 1 else ''}: {what}, {tail}]"
    if job.restarts:
        n = job.restarts
        tail += f", restarted {n} time{'s' if n != 1 else ''}"
    if job.status is JobStatus.KILLED and job.signal is None and job.reason:
        return f"[bg:{job.id} killed {visible(job.reason)}, {tail}]"
    if job.status is JobStatus.TIMEOUT and job.reason:
        limit = format_duration(job.timeout or job.wall_seconds())
        return f"[bg:{job.id} timed out after {limit} {visible(job.reason)}, {tail}]"
    if job.status is JobStatus.EXITED:
        return f"[bg:{job.id} exited {job.exit_code}, {tail}]"
    if job.status is JobStatus.TIMEOUT:
        limit = format_duration(job.timeout or job.wall_seconds())
        return f"[bg:{job.id} timed out after {limit}, {tail}]"
    if job.status is JobStatus.KILLED:
        return f"[bg:{job.id} killed by {visible(job.signal or 'a signal')}, {tail}]"
    if job.status is JobStatus.FAILED:
        return f"[bg:{job.id} failed: {visible(job.reason or 'could not start')}]"
    if job.status is JobStatus.LOST:
        return f"[bg:{job.id} lost: {visible(job.reason or 'its supervisor vanished')}, {tail}]"
    return f"[bg:{job.id} running, {tail}]"


def readiness_text(job: Job, waited: float) -> str:
    """How a wait for ``job`` to be ready came out, in one line (after ``waited`` seconds):
    ready, ended before it was ready, waiting for input, never to be ready, or not yet."""
    facts = job.facts
    if job.ready:
        after = format_duration(facts.ready_after or 0.0)
        return f"{job.id} ready after {after}: {visible(facts.ready_detail or '')}"
    if job.status.ended:
        return f"{job.id} ended before it was ready: {notice_text(job)}"
    if facts.waiting_for_input:
        prompt = f': "{visible(facts.prompt)}"' if facts.prompt else ""
        return f"{job.id} is waiting for input before it is ready{prompt}"
    if facts.ready_detail:
        return f"{job.id} {visible(facts.ready_detail)}"
    condition = job.ready_condition.describe() if job.ready_condition else "its condition"
    return (
        f"{job.id} not ready after {format_duration(waited)} (waiting for "
        f"{visible(condition)}); it is still running"
    )


def drain(project: Project, consumer: str = "agent", *, from_now: bool = False) -> list[Notice]:
    """Notices this consumer has not been given yet, oldest first, each given once.

    A consumer seen for the first time starts at the beginning of the project's history, or
    at its present end with ``from_now`` (a new REPL session does not want last week's jobs).

    The consumer's offset is rewritten in place (:func:`~bgview.runtime.journal.write_number`),
    so draining needs no free disk. Only a consumer's very first drain on a full disk cannot
    record where it is: it is given nothing yet, rather than notices it would be given again.
    """
    validate_consumer(consumer)
    log = notices_log(project)
    if not project.dir.is_dir():
        return []
    try:
        private_dir(project.dir / "notices")
        fd = open_private(project.dir / "notices" / consumer, os.O_RDWR | os.O_CREAT)
    except (OSError, BgviewError) as exc:
        if _no_room(exc):
            return []
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        recorded = read_number(fd)
        try:
            size = os.stat(log).st_size
        except FileNotFoundError:
            size = 0
        offset = recorded if recorded is not None else (size if from_now else 0)
        if recorded is None and not _record(fd, offset):
            return []
        if offset >= size:
            return []
        try:
            log_fd = open_private(log, os.O_RDONLY)  # never through a symlink; a FIFO fails
        except OSError:
            return []
        try:
            if not stat.S_ISREG(os.fstat(log_fd).st_mode):
                return []
            data = os.pread(log_fd, size - offset, offset)
        finally:
            os.close(log_fd)
        end = data.rfind(b"\n") + 1  # a line being appended right now waits for next time
        notices = []
        taken = 0
        jobs: dict[str, Job | None] = {}
        for line in data[:end].split(b"\n")[:-1]:
            head, _, payload = line.partition(b" ")
            name = head.decode("ascii", "replace").strip()
            if name not in jobs or not payload:  # an end is read fresh: it must be final
                jobs[name] = (
                    load_job(project.jobs_dir / name, project.path)
                    if ID_RE.fullmatch(name)
                    else None
                )
            job = jobs[name]
            if payload:
                event = _event(payload)
                if job is not None and event is not None:
                    notices.append(Notice(job, event_text(job.id, event), event))
                taken += len(line) + 1
                continue
            if job is not None and job.running:
                break  # its end is being recorded this instant: it comes next time, in order
            if job is not None:
                notices.append(Notice(job, notice_text(job)))
            taken += len(line) + 1
        if taken and not _record(fd, offset + taken):
            return []  # not recorded as given: given next time instead, once
        return notices
    finally:
        os.close(fd)


def begin(project: Project, consumer: str) -> None:
    """Start a consumer not seen before at the present end of the notices; one seen before
    keeps its place, and nothing is given or taken.

    What ``drain(from_now=True)`` does for a consumer's first drain, for a consumer that may
    be coming back (``bgview mcp --consumer NAME``): notices of jobs that ended while it was
    away still wait for it.
    """
    validate_consumer(consumer)
    if not project.dir.is_dir():
        return
    try:
        private_dir(project.dir / "notices")
        fd = open_private(project.dir / "notices" / consumer, os.O_RDWR | os.O_CREAT)
    except (OSError, BgviewError) as exc:
        if _no_room(exc):
            return  # its first drain will start it, as drain(from_now=True) would
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if read_number(fd) is not None:
            return
        try:
            size = os.stat(notices_log(project)).st_size
        except FileNotFoundError:
            size = 0
        _record(fd, size)
    finally:
        os.close(fd)


def _event(payload: bytes) -> FactEvent | None:
    """The event of an event line; ``None`` for one this bgview cannot read (damaged, or of
    a kind a newer bgview added): skipped, never an error."""
    try:
        data = json.loads(payload)
        return FactEvent.from_dict(data) if isinstance(data, dict) else None
    except (ValueError, TypeError, RecursionError):
        return None


def _record(fd: int, offset: int) -> bool:
    """Write a consumer's offset; ``False`` if the disk has no room for it."""
    try:
        write_number(fd, offset)
    except OSError as exc:
        if exc.errno not in FULL_DISK:
            raise
        return False
    return True


def _no_room(exc: BaseException) -> bool:
    """Whether ``exc`` (or the error behind it) says the disk is full."""
    cause = exc if isinstance(exc, OSError) else exc.__cause__
    return isinstance(cause, OSError) and cause.errno in FULL_DISK
