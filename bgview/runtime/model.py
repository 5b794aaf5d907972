"""A job as every face sees it: one flat, immutable snapshot of its record (:mod:`record`).

A :class:`Job` is read from disk by :mod:`store`. Every face builds its view from these
snapshots; none of them keeps state of its own about a job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bgview.runtime.facts import NO_FACTS, Facts, ReadyCondition
from bgview.runtime.record import JobStatus, LeftBehind
from bgview.runtime.restarts import RestartPolicy, Run


@dataclass(frozen=True)
class Job:
    """A snapshot of one job, as read from its directory in the store."""

    id: str
    """``bash_N``, unique within its project and never reused."""
    project: str
    """The project directory the job belongs to."""
    command: str
    """The command as the user gave it, for display."""
    argv: tuple[str, ...]
    """What was executed (a shell string runs as ``bash -c`` / ``sh -c``)."""
    cwd: str
    status: JobStatus
    name: str | None = None
    exit_code: int | None = None
    signal: str | None = None
    """Signal name (``SIGTERM``) when the command was ended by a signal."""
    killed_by: str | None = None
    """Who asked for the kill: ``user``, ``agent``, ``owner-exit``, ``timeout`` …"""
    reason: str | None = None
    """Why a job failed or was lost, in words."""
    pid: int | None = None
    """The command's own process, leader of its process group."""
    supervisor_pid: int | None = None
    supervisor_start: int | None = None
    mark: str = ""
    """``BGVIEW_JOB``'s value in every process of the job (see :mod:`tree`)."""
    owner_pid: int | None = None
    owner_start: int | None = None
    """The owner's start time: a restart is given the same owner only if it still lives."""
    """The host session the job belongs to; the job ends with it (unless ``keep``)."""
    keep: bool = False
    timeout: float | None = None
    started_at: float = 0.0
    ended_at: float | None = None
    output_bytes: int = 0
    """Every byte the command wrote, including any dropped past the log's size cap."""
    dropped_bytes: int = 0
    """Bytes dropped from the start of the log by the size cap."""
    output_lost: str | None = None
    """Set when output could not be written (a full disk): what and from which offset."""
    left_behind: tuple[LeftBehind, ...] = ()
    """Processes that outlived the leader (or left its group) and were ended with the job."""
    left_behind_count: int = 0
    supervisor_stopped: bool = False
    """The supervisor is stopped (SIGSTOP): kills are carried out without it."""
    facts: Facts = NO_FACTS
    """What it is doing (its processes, ports, URLs, readiness, whether it waits for input),
    as its supervisor last recorded; for an ended job, what was kept of them."""
    ready_condition: ReadyCondition | None = None
    """When it counts as ready, if it was given a condition (``--ready``)."""
    notify_on: str | None = None
    """The pattern whose matching lines are told as notices (``--notify-on``)."""
    restart_policy: RestartPolicy | None = None
    """When its command runs again after it ends (``--restart``), if ever."""
    restarts: int = 0
    """How many times its policy started the command again."""
    runs: tuple[Run, ...] = ()
    """A job with a restart policy: its runs so far (see :mod:`~bgview.runtime.restarts`)."""
    restart_at: float | None = None
    """While its policy waits to start the command again: when (``time.time()``)."""
    restart_of: str | None = None
    """The id of the job this one restarts (``bgview restart``, the viewer's ``r``)."""
    dir: Path = field(default_factory=Path)

    @property
    def log_path(self) -> Path:
        """The job's ``output.log``."""
        return self.dir / "output.log"

    @property
    def running(self) -> bool:
        return self.status is JobStatus.RUNNING

    @property
    def ready(self) -> bool | None:
        """``None`` without a readiness condition, ``False`` while starting (or if it ended
        before it was ready), ``True`` once ready."""
        if self.ready_condition is None:
            return None
        return self.facts.ready is True

    @property
    def waiting_to_restart(self) -> bool:
        """Running, with its last run ended and its policy waiting to start it again."""
        return self.running and self.restart_at is not None

    @property
    def gave_up(self) -> bool:
        """Ended by itself after its policy's last restart, with an end the policy would
        have restarted: the policy gave up."""
        from bgview.runtime.restarts import wants_restart

        rule = self.restart_policy
        if rule is None or not self.runs or self.running or self.restarts < rule.max_restarts:
            return False
        if self.status not in (JobStatus.EXITED, JobStatus.KILLED) or self.killed_by:
            return False
        return wants_restart(rule, self.runs[-1], asked=False)

    @property
    def starting(self) -> bool:
        """Running, with a readiness condition not met yet."""
        return self.running and self.ready is False

    def wall_seconds(self, now: float | None = None) -> float:
        """Seconds from start to end, or to ``now`` while running."""
        end = self.ended_at if self.ended_at is not None else (now or time.time())
        return max(0.0, end - self.started_at)

    def to_json(self) -> dict[str, Any]:
        """The public record (``bgview list --json``)."""
        return {
            "id": self.id,
            "name": self.name,
            "command": self.command,
            "argv": list(self.argv),
            "cwd": self.cwd,
            "project": self.project,
            "status": self.status.value,
            "exit_code": self.exit_code,
            "signal": self.signal,
            "killed_by": self.killed_by,
            "reason": self.reason,
            "pid": self.pid,
            "supervisor_pid": self.supervisor_pid,
            "owner_pid": self.owner_pid,
            "keep": self.keep,
            "timeout": self.timeout,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "output_bytes": self.output_bytes,
            "dropped_bytes": self.dropped_bytes,
            "output_lost": self.output_lost,
            "left_behind": [{"pid": p.pid, "command": p.command} for p in self.left_behind],
            "left_behind_count": self.left_behind_count,
            "supervisor_stopped": self.supervisor_stopped,
            "log_path": str(self.log_path),
            "restart_of": self.restart_of,
            "restart_policy": (
                self.restart_policy.to_dict() if self.restart_policy is not None else None
            ),
            "restarts": self.restarts,
            "restart_at": self.restart_at,
            "gave_up": self.gave_up,
            "runs": [run.to_dict() for run in self.runs],
            **self._facts_json(),
        }

    def _facts_json(self) -> dict[str, Any]:
        facts = self.facts
        condition = self.ready_condition
        return {
            "cpu_percent": facts.cpu_percent,
            "rss_bytes": facts.rss_bytes,
            "process_count": facts.process_count,
            "processes": [
                {
                    "pid": p.pid,
                    "command": p.command,
                    "cpu_percent": p.cpu_percent,
                    "rss_bytes": p.rss_bytes,
                }
                for p in facts.processes
            ],
            "ports": [{"port": p.port, "address": p.address, "pid": p.pid} for p in facts.ports],
            "urls": list(facts.urls),
            "ready": self.ready,
            "ready_condition": condition.describe() if condition is not None else None,
            "ready_after": facts.ready_after,
            "ready_detail": facts.ready_detail,
            "waiting_for_input": facts.waiting_for_input,
            "prompt": facts.prompt,
            "notify_on": self.notify_on,
            "matches": facts.matches,
            "watch_stopped": facts.watch_stopped,
            "facts_updated_at": facts.updated_at or None,
        }


__all__ = ["Facts", "Job", "JobStatus", "LeftBehind"]
