"""Helpers for the runtime tests: fake job records for the reading rules, process facts, polling."""

from __future__ import annotations

import fcntl
import json
import os
from typing import TypeVar

from bgview.runtime import Job, Runtime
from tests.support import group_gone, group_members, live_members, until

__all__ = ["FakeJob", "ended", "group_gone", "group_members", "live_members", "until"]

T = TypeVar("T")


def ended(rt: Runtime, job_id: str, timeout: float = 10.0) -> Job:
    """The job once it has ended (fails the test if it does not in time)."""
    job, done = rt.wait(job_id, timeout=timeout)
    assert done, f"{job_id} still {job.status.value} after {timeout}s"
    return job


class FakeJob:
    """A job record written by hand, so the reading rules are tested without processes.

    While "running" it holds ``supervisor.lock`` as a supervisor would (else readers would
    rightly call it lost); :meth:`end` records an exit.
    """

    def __init__(self, rt: Runtime, data: bytes = b"", *, running: bool = True) -> None:
        self.rt = rt
        self.id, self.dir = rt.project.allocate()
        self.lock = os.open(self.dir / "supervisor.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        os.mkdir(self.dir / "cursors", 0o700)
        os.mkfifo(self.dir / "control", 0o600)  # nobody reads it: a kill finds no supervisor
        self._meta(status="running")
        self.log = self.dir / "output.log"
        self.log.write_bytes(b"")
        self.append(data)
        if not running:
            self.end()

    def _meta(self, **fields: object) -> None:
        meta = {"id": self.id, "command": "fake", "argv": ["fake"], "cwd": "/", "started_at": 1.0}
        path = self.dir / "meta.json"
        if path.exists():
            meta = json.loads(path.read_bytes())
        meta.update(fields)
        path.write_text(json.dumps(meta))

    def append(self, data: bytes) -> None:
        with open(self.log, "ab") as handle:
            handle.write(data)

    def end(self, code: int = 0) -> None:
        if self.lock < 0:
            return
        self._meta(status="exited", exit_code=code, ended_at=2.0)
        (self.dir / "ended").touch()
        os.close(self.lock)
        self.lock = -1
