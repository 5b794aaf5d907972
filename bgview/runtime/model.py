"""The job record: what ``meta.json`` holds, typed.

A :class:`Job` is an immutable snapshot read from disk. Every face builds its view from these
snapshots; none of them keeps state of its own about a job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class JobStatus(StrEnum):
    """Where a job is in its life. Only ``RUNNING`` is not final."""

    RUNNING = "running"
    EXITED = "exited"
    """The command ended by itself; ``exit_code`` is its real code."""
    KILLED = "killed"
    """Ended by a signal; ``signal`` says which and ``killed_by`` who asked (if anyone)."""
    TIMEOUT = "timeout"
    """Killed by bgview because it ran past its ``timeout``."""
    FAILED = "failed"
    """Could not start; ``reason`` says why."""
    LOST = "lost"
    """Its supervisor vanished without recording a result; its process group was removed."""

    @property
    def ended(self) -> bool:
        """Whether the status is final."""
        return self is not JobStatus.RUNNING


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
    owner_pid: int | None = None
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
    log_path: Path = field(default_factory=Path)
    dir: Path = field(default_factory=Path)

    @property
    def running(self) -> bool:
        return self.status is JobStatus.RUNNING

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
            "log_path": str(self.log_path),
        }
