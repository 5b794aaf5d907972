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

from bgview.runtime.facts import Facts, ReadyCondition
from bgview.runtime.record import FinalRecord, JobFiles, JobStatus, Request, Result, RunState
from bgview.runtime.restarts import RestartPolicy, Run
from bgview.runtime.store import Project

T0 = 1_790_000_000.0
"""The scenarios' "now" (a fixed clock: runtimes do not tick in snapshots)."""


@dataclass
class StoreBuilder:
    """A project's corner of a store, filled job by job."""

    home: Path
    project_path: Path
    next_id: int = 1
    """The number of the next job's id (``bash_N``)."""
    _locks: dict[Path, int] = field(default_factory=dict)

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
        supervisor: tuple[int, int | None] | None = None,
        facts: Facts | None = None,
        ready: ReadyCondition | None = None,
        restart: RestartPolicy | None = None,
        runs: tuple[Run, ...] = (),
        restart_at: float | None = None,
        restart_of: str | None = None,
    ) -> Path:
        """Write one job; ``started`` is seconds relative to :data:`T0`; ``supervisor`` is the
        ``(pid, start time)`` of a process standing in for its supervisor; ``facts`` are what
        its supervisor saw (``facts.json`` while it runs, in the final record once ended),
        ``ready`` its readiness condition, ``restart`` its restart policy with ``runs`` so far
        (each restart a run) and ``restart_at`` (relative to :data:`T0`) while it waits."""
        project = self.project
        job_id = f"bash_{self.next_id}"
        self.next_id += 1
        job_dir = project.jobs_dir / job_id
        job_dir.mkdir(mode=0o700)
        if status == "running":
            # Held before the record is written, as a starter holds it: a feed that reads the
            # record in between must not take the job for one whose supervisor is gone.
            fd = os.open(job_dir / JobFiles.LOCK, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._locks[job_dir] = fd
        (project.dir / "counter").write_text(str(self.next_id - 1))
        request = Request(
            id=job_id,
            project=str(self.project_path),
            command=command,
            argv=("bash", "-c", command),
            cwd=cwd or str(self.project_path),
            started_at=T0 + started,
            mark=f"{project.dir.name}/{job_id}",
            name=name,
            ready=ready,
            restart=restart,
            restart_of=restart_of,
        )
        state = RunState(
            restarts=max(len(runs) - 1, 0),
            runs=runs,
            restart_at=T0 + restart_at if restart_at is not None else None,
            pid=pid,
            dropped_bytes=dropped,
            output_lost=output_lost,
            supervisor_pid=supervisor[0] if supervisor else None,
            supervisor_start=supervisor[1] if supervisor else None,
        )
        # The log first, and an ended job's result before its request: a feed reading the
        # job while it is being written sees it whole or not at all.
        (job_dir / JobFiles.LOG).write_bytes(output)
        if facts is not None:
            self.write_facts(job_dir, facts)
        if dropped:
            (job_dir / JobFiles.LOG_STATE).write_text(json.dumps({"gen": 2, "dropped": dropped}))
        if status != "running":
            ended_at = T0 + started + (wall or 0.0)
            self._end(
                job_dir, request, state, status, ended_at, exit_code, signal=signal, reason=reason
            )
        (job_dir / JobFiles.STATE).write_text(json.dumps(state.to_dict()))
        (job_dir / JobFiles.META).write_text(json.dumps(request.to_dict()))
        return job_dir

    def write_facts(self, job_dir: Path, facts: Facts) -> None:
        """``facts.json``, renamed into place whole as the supervisor writes it."""
        temp = job_dir / f".{JobFiles.FACTS}.tmp"
        temp.write_text(json.dumps(facts.to_dict()))
        os.replace(temp, job_dir / JobFiles.FACTS)

    def _end(
        self,
        job_dir: Path,
        request: Request,
        state: RunState,
        status: str,
        ended_at: float,
        exit_code: int | None,
        *,
        signal: str | None = None,
        reason: str | None = None,
    ) -> None:
        result = Result(
            JobStatus(status),
            ended_at,
            exit_code=exit_code if status == "exited" else None,
            signal=signal,
            killed_by="user" if status == "killed" else None,
            reason=reason,
        )
        (job_dir / JobFiles.CLAIM).touch()
        final = FinalRecord(request, state, result)
        temp = job_dir / f".{JobFiles.RESULT}.tmp"
        temp.write_text(json.dumps(final.to_dict()))
        os.replace(temp, job_dir / JobFiles.RESULT)  # atomically, as the finalizer does

    def finish(self, job_dir: Path, exit_code: int = 0, *, wall: float = 5.0) -> None:
        """End a running job as its finalizer would: its result, then its lock let go."""
        request = Request.from_dict(json.loads((job_dir / JobFiles.META).read_text()))
        state = RunState.from_dict(json.loads((job_dir / JobFiles.STATE).read_text()))
        self._end(job_dir, request, state, "exited", request.started_at + wall, exit_code)
        fd = self._locks.pop(job_dir, None)
        if fd is not None:
            os.close(fd)

    def fill(self, count: int, *, started: float = -86_400.0) -> None:
        """``count`` finished jobs, quickly (one record and an empty log per job, as in a
        store a year of agents filled): ``make test-N``, exited 0 after 1.5 s, a second
        apart."""
        project = self.project
        first = self.next_id
        template = FinalRecord(
            Request(
                id="bash_0",
                project=str(self.project_path),
                command="make",
                argv=("bash", "-c", "make"),
                cwd=str(self.project_path),
                started_at=T0 + started,
                mark="",
            ),
            RunState(pid=4242, output_bytes=0),
            Result(JobStatus.EXITED, T0 + started + 1.0, exit_code=0),
        ).to_dict()
        for number in range(first, first + count):
            job_id = f"bash_{number}"
            job_dir = project.jobs_dir / job_id
            os.mkdir(job_dir, 0o700)
            request = {
                **template["request"],
                "id": job_id,
                "command": f"make test-{number}",
                "argv": ["bash", "-c", f"make test-{number}"],
                "started_at": T0 + started + number,
                "mark": f"{project.dir.name}/{job_id}",
            }
            result = {**template["result"], "ended_at": T0 + started + number + 1.5}
            data = json.dumps({**template, "request": request, "result": result}).encode()
            fd = os.open(job_dir / JobFiles.RESULT, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, data)
            os.close(fd)
            os.close(os.open(job_dir / JobFiles.LOG, os.O_WRONLY | os.O_CREAT, 0o600))
        self.next_id = first + count
        (project.dir / "counter").write_text(str(self.next_id - 1))

    def close(self) -> None:
        """Release the "supervisors'" locks."""
        for fd in self._locks.values():
            os.close(fd)
        self._locks.clear()
