"""The runtime's typed events: what changed in the job store, as the faces want to hear it.

A watcher (:mod:`bgview.runtime.watch`) turns file-system changes into :class:`JobEvent`
values; the viewer and the REPL react to those rather than to raw paths or strings. The
pure helpers here (:func:`diff`, :func:`chip_text`) need neither Textual nor watchfiles, so a
REPL toolbar can import them for free.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bgview.runtime.model import Job


class EventKind(StrEnum):
    """What happened to a job."""

    STARTED = "started"
    """A job appeared in the store (it may already have ended: see :func:`diff`)."""
    CHANGED = "changed"
    """Its record changed but it is still running (a pid was recorded, bytes were dropped…)."""
    OUTPUT = "output"
    """Its log grew (or was trimmed by the size cap); ``size`` is the logical size now."""
    ENDED = "ended"
    """It reached a final status; ``job`` says which."""
    REMOVED = "removed"
    """Its directory is gone (``bgview prune``, or ``d`` in the viewer)."""
    NOTICE = "notice"
    """The project's ``notices.log`` grew (a job's end, or a fact event: ready, waiting for
    input, a match); ``job_dir`` is the project's directory, ``job`` is ``None``. A supervisor
    writes a fact to ``facts.json`` a moment before its notice: one told only of the facts
    would drain too soon and hear nothing more."""


@dataclass(frozen=True)
class JobEvent:
    """One change to one job, with the freshest snapshot the watcher has of it."""

    kind: EventKind
    job_dir: Path
    """The job's directory: unique across projects, unlike its id."""
    job: Job | None
    """The job as last read (``None`` for ``NOTICE``, and for ``REMOVED`` of a job never read)."""
    size: int = 0
    """Bytes of output so far, including any the size cap dropped (``OUTPUT`` events)."""

    @property
    def job_id(self) -> str:
        return self.job_dir.name


def diff(old: Job | None, new: Job | None, job_dir: Path) -> list[JobEvent]:
    """The events that take a job from snapshot ``old`` to snapshot ``new`` (either may be None).

    A job first seen already ended gives ``STARTED`` then ``ENDED``: a command that lived less
    than one batch of file events still deserves its completion toast.
    """
    if new is None:
        return [] if old is None else [JobEvent(EventKind.REMOVED, job_dir, old)]
    if old is None:
        events = [JobEvent(EventKind.STARTED, job_dir, new, new.output_bytes)]
        if new.status.ended:
            events.append(JobEvent(EventKind.ENDED, job_dir, new, new.output_bytes))
        return events
    if new.status.ended and not old.status.ended:
        return [JobEvent(EventKind.ENDED, job_dir, new, new.output_bytes)]
    if new != old:
        return [JobEvent(EventKind.CHANGED, job_dir, new, new.output_bytes)]
    return []


def chip_text(running: int, waiting: int = 0) -> str:
    """The footer chip: ``⚙ 3 Background Jobs``, singular for one, and ``· 1 waiting`` when
    jobs wait for input (the viewer's footer and the shell's toolbar say the same)."""
    text = f"⚙ {running} Background Job{'' if running == 1 else 's'}"
    return f"{text} · {waiting} waiting" if waiting else text


def running_count(jobs: Iterable[Job]) -> int:
    """How many of ``jobs`` are running (the chip's N)."""
    return sum(1 for job in jobs if job.running)


def waiting_count(jobs: Iterable[Job]) -> int:
    """How many of ``jobs`` run and wait for input (the chip's ``· N waiting``)."""
    return sum(1 for job in jobs if job.running and job.facts.waiting_for_input)
