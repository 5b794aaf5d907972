"""The toasts for jobs that end, and for what a running job begins to do.

A job's end: one job's own (``bash_3 exited 0 · 1.4MB · 12s``), or — when
several end within :data:`GATHER` seconds of one another — one for them all
(``20 jobs ended: 18 exited 0, 2 failed (bash_4, bash_9)``), so a test matrix finishing at
once does not bury the screen under twenty toasts.

What a running job begins to do (:func:`fact_toast`): it waits for input, it is ready, its
watched pattern matched, its watch stopped, each told once as it happens.

Pure apart from the timer the screen runs: tested without an app.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bgview.runtime.facts import shown_pattern
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.present import format_duration
from bgview.runtime.text import visible
from bgview.ui.format import Severity, toast_severity, toast_text

GATHER = 0.25
"""How long after a job's end the toast waits for more ends (each end waits again)…"""
GATHER_MAX = 1.0
"""… but never longer than this after the first: a steady trickle still gets its toasts."""
NAMED = 3
"""Up to this many jobs of a kind that needs a look (failed, killed…) are named."""
TIMEOUT = 8.0
"""Seconds a toast stays."""

_KINDS = ("exited 0", "failed", "killed", "timed out", "lost")
_SEVERITY_ORDER: dict[Severity, int] = {"information": 0, "warning": 1, "error": 2}


def kind(job: Job) -> str:
    """How a job ended, in the grouped toast's words."""
    if job.status is JobStatus.EXITED:
        return "exited 0" if job.exit_code == 0 else "failed"
    if job.status is JobStatus.FAILED:
        return "failed"
    if job.status is JobStatus.KILLED:
        return "killed"
    if job.status is JobStatus.TIMEOUT:
        return "timed out"
    return "lost"


def ended_toast(jobs: Sequence[Job]) -> tuple[str, Severity]:
    """The text and severity of the toast for ``jobs`` (at least one) that just ended."""
    if len(jobs) == 1:
        return toast_text(jobs[0]), toast_severity(jobs[0])
    by_kind: dict[str, list[Job]] = {}
    for job in jobs:
        by_kind.setdefault(kind(job), []).append(job)
    parts = []
    for word in _KINDS:
        group = by_kind.get(word)
        if not group:
            continue
        part = f"{len(group)} {word}"
        if word != "exited 0" and len(group) <= NAMED:
            part += f" ({', '.join(job.id for job in group)})"
        parts.append(part)
    severity = max((toast_severity(job) for job in jobs), key=_SEVERITY_ORDER.__getitem__)
    return f"{len(jobs)} jobs ended: {', '.join(parts)}", severity


def fact_toast(old: Job, new: Job, since: float) -> tuple[str, Severity] | None:
    """The toast for what running job ``new`` began to do since it was ``old``, or ``None``
    when nothing a person should hear of changed (its CPU and memory change every second).
    ``since`` is when the viewer first saw the store (``time.time()``): what happened before
    it is not news, even when the viewer had not read the job's facts yet.

    - ``bash_5 waiting for input: "Continue? [y/N]"`` — a warning: it needs an answer;
    - ``bash_4 ready after 1.8s: http://localhost:5173/`` (only a job given a condition);
    - ``bash_2 matched /ERROR/ · 3 matches``; ``bash_2 watch for /ERROR/ stopped: …``;
    - ``bash_3 restarted (2 of 5) after exit 1`` — a warning: its restart policy ran it again.

    What came from the job (its prompt, its URL, the pattern) is shown visible."""
    if not new.running:
        return None  # its end has a toast of its own
    if new.restarts > old.restarts and new.runs and new.runs[-1].started_at >= since:
        rule = new.restart_policy
        ended = [run for run in new.runs if run.ended_at is not None]
        how = f" after {visible(ended[-1].how())}" if ended else ""
        limit = f" of {rule.max_restarts}" if rule is not None else ""
        return f"{new.id} restarted ({new.restarts}{limit}){how}", "warning"
    was, now = old.facts, new.facts
    if now.ready and not was.ready and new.started_at + (now.ready_after or 0.0) >= since:
        after = format_duration(now.ready_after or 0.0)
        detail = f": {visible(now.ready_detail)}" if now.ready_detail else ""
        return f"{new.id} ready after {after}{detail}", "information"
    if not was.updated_at:
        # Facts read for the first time: they say nothing of when the job began to wait or
        # matched (its first facts come within a second; a wait takes 3 s of quiet).
        return None
    if now.waiting_for_input and not was.waiting_for_input:
        prompt = f': "{visible(now.prompt)}"' if now.prompt else ""
        return f"{new.id} waiting for input{prompt}", "warning"
    pattern = visible(shown_pattern(new.notify_on or ""))
    if now.watch_stopped and not was.watch_stopped:
        return f"{new.id} watch for {pattern} stopped: {visible(now.watch_stopped)}", "warning"
    if now.matches > was.matches:
        n = now.matches
        return f"{new.id} matched {pattern} · {n} match{'es' if n != 1 else ''}", "error"
    return None


class EndedJobs:
    """Jobs that ended since the last toast, gathered until none has ended for
    :data:`GATHER` seconds (or :data:`GATHER_MAX` have passed since the first)."""

    def __init__(self) -> None:
        self._jobs: dict[Path, Job] = {}
        self._first = 0.0
        self._last = 0.0

    def add(self, job: Job, now: float) -> bool:
        """Gather ``job`` (ended at ``now``, a monotonic time); ``True`` if it is the first:
        the caller then looks again in :data:`GATHER` seconds (:meth:`due`)."""
        first = not self._jobs
        if first:
            self._first = now
        self._last = now
        self._jobs[job.dir] = job  # a job told ended twice is toasted once
        return first

    def due(self, now: float) -> float:
        """Seconds until the toast is due (``0``: now)."""
        return max(0.0, min(self._last + GATHER, self._first + GATHER_MAX) - now)

    def take(self) -> tuple[str, Severity] | None:
        """The toast for what was gathered, and start over (``None``: nothing ended)."""
        jobs = self.take_jobs()
        return ended_toast(jobs) if jobs else None

    def take_jobs(self) -> list[Job]:
        """The jobs gathered (for the toast, and a desktop notification), and start over."""
        jobs, self._jobs = list(self._jobs.values()), {}
        return jobs
