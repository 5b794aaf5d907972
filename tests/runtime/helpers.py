"""Helpers for the runtime tests: fake job records for the reading rules, process facts, polling."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bgview.runtime import Job, Runtime

T = TypeVar("T")


def until(check: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


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


def group_members(pgid: int) -> list[tuple[int, str]]:
    """``(pid, state)`` of every process in group ``pgid``, read from ``/proc``."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = raw[raw.rfind(b")") + 2 :].split()
        if int(fields[2]) == pgid:
            members.append((int(entry), fields[0].decode()))
    return members


def live_members(pgid: int) -> list[int]:
    """Processes of the group that still run (zombies waiting to be reaped do not)."""
    return [pid for pid, state in group_members(pgid) if state != "Z"]


def group_gone(pgid: int) -> bool:
    """No process at all in the group: ``killpg(pgid, 0)`` finds none."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False
