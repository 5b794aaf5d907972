"""Helpers for the hardening tests: waiting on conditions, crafting records, reading /proc."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bgview.runtime.fsio import private_dir, write_json_atomic
from bgview.runtime.store import Project

T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def live_group_members(pgid: int) -> list[int]:
    """PIDs of processes in group ``pgid`` that are not zombies (a zombie runs nothing; it
    waits for a parent to collect it, which this machine's PID 1 may never do)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = raw[raw.rfind(b")") + 2 :].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != b"Z":
            members.append(int(entry))
    return members


def craft_job(project: Project, number: int, **meta: Any) -> Path:
    """Write a job directory by hand, as an older or damaged store might hold it."""
    project.ensure()
    job_dir = private_dir(project.jobs_dir / f"bash_{number}")
    record = {
        "id": f"bash_{number}",
        "command": f"echo {number}",
        "argv": ["sh", "-c", f"echo {number}"],
        "cwd": str(project.path),
        "status": "exited",
        "exit_code": 0,
        "started_at": time.time() - 60,
        "ended_at": time.time() - 59,
    }
    record.update(meta)
    write_json_atomic(job_dir / "meta.json", record)
    fd = os.open(job_dir / "output.log", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, f"{number}\n".encode())
    os.close(fd)
    if record["status"] != "running":
        os.close(os.open(job_dir / "ended", os.O_WRONLY | os.O_CREAT, 0o600))
    return job_dir
