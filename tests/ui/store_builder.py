"""Job directories written by hand, for viewer scenarios that must look the same every run.

Snapshots of real processes would race (pids, timings, partial output), so the snapshot and
screenshot scenarios build the store directly from the runtime's own record types
(:mod:`bgview.runtime.record`), laid out exactly as the runtime lays them out. A "running" job
holds ``supervisor.lock`` the way a live supervisor does, so readers do not record it lost.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from bgview.runtime.record import FinalRecord, JobFiles, JobStatus, Request, Result, RunState
from bgview.runtime.store import Project

T0 = 1_790_000_000.0
"""The scenarios' "now" (a fixed clock: runtimes do not tick in snapshots)."""


@dataclass
class StoreBuilder:
    """A project's corner of a store, filled job by job."""

    home: Path
    project_path: Path
    _locks: list[int] = field(default_factory=list)
    _next: int = 1

    @property
    def project(self) -> Project:
        return Project.open(self.project_path, root=self.home).ensure()

    def add(
        self,
        command: str,
        output: bytes = b"",
        *,
        status: str = "exited",
        exit_code: int | None = None,
        signal: str | None = None,
        started: float = -60.0,
        wall: float | None = 12.0,
        dropped: int = 0,
        name: str | None = None,
        reason: str | None = None,
        cwd: str | None = None,
        pid: int = 4242,
        output_lost: str | None = None,
    ) -> Path:
        """Write one job; ``started`` is seconds relative to :data:`T0`."""
        project = self.project
        job_id = f"bash_{self._next}"
        self._next += 1
        job_dir = project.jobs_dir / job_id
        job_dir.mkdir(mode=0o700)
        (project.dir / "counter").write_text(str(self._next - 1))
        request = Request(
            id=job_id,
            project=str(self.project_path),
            command=command,
            argv=("bash", "-c", command),
            cwd=cwd or str(self.project_path),
            started_at=T0 + started,
            mark=f"{project.dir.name}/{job_id}",
            name=name,
        )
        state = RunState(pid=pid, dropped_bytes=dropped, output_lost=output_lost)
        (job_dir / JobFiles.META).write_text(json.dumps(request.to_dict()))
        (job_dir / JobFiles.STATE).write_text(json.dumps(state.to_dict()))
        (job_dir / JobFiles.LOG).write_bytes(output)
        if dropped:
            (job_dir / JobFiles.LOG_STATE).write_text(json.dumps({"gen": 2, "dropped": dropped}))
        if status == "running":
            fd = os.open(job_dir / JobFiles.LOCK, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._locks.append(fd)
        else:
            result = Result(
                JobStatus(status),
                T0 + started + (wall or 0.0),
                exit_code=exit_code if status == "exited" else None,
                signal=signal,
                killed_by="user" if status == "killed" else None,
                reason=reason,
            )
            (job_dir / JobFiles.CLAIM).touch()
            final = FinalRecord(request, state, result)
            (job_dir / JobFiles.RESULT).write_text(json.dumps(final.to_dict()))
        return job_dir

    def close(self) -> None:
        """Release the "supervisors'" locks."""
        for fd in self._locks:
            os.close(fd)
        self._locks.clear()
