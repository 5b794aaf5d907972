"""Helpers for the hardening tests: waiting on conditions, crafting records, reading /proc."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bgview.runtime.fsio import private_dir, write_json_atomic
from bgview.runtime.store import Project


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
