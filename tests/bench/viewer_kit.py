"""What the viewer's benchmarks share: scratch directories under ``.bench/``, job directories
written by hand, the viewer and its peers started in a pty, Toolong's own venv, percentiles and
a process's CPU time."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bgview.runtime.store import Project
from tests.ui.ptyterm import PtyTerm

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / ".bench"
TOOLONG = BENCH / "toolong" / "bin" / "tl"


# ---- a store to measure against ------------------------------------------------------------


@contextmanager
def scratch(name: str) -> Iterator[Path]:
    """A directory under ``.bench/`` that is gone afterwards."""
    path = BENCH / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def fake_job(project: Project, number: int, *, running: bool, log: bytes = b"") -> Path:
    """A job directory as the runtime writes it; "running" ones get a held supervisor lock."""
    job_dir = project.jobs_dir / f"bash_{number}"
    job_dir.mkdir(mode=0o700)
    now = time.time()
    meta = {
        "id": job_dir.name,
        "project": str(project.path),
        "command": f"./serve --worker {number}",
        "argv": ["bash", "-c", f"./serve --worker {number}"],
        "cwd": str(project.path),
        "status": "running" if running else "exited",
        "exit_code": None if running else 0,
        "started_at": now - 100 + number * 0.01,
        "ended_at": None if running else now - 50,
    }
    (job_dir / "meta.json").write_text(json.dumps(meta))
    (job_dir / "output.log").write_bytes(log)
    if running:
        fd = os.open(job_dir / "supervisor.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held until the bench exits: the "supervisor" lives
    else:
        (job_dir / "ended").touch()
    return job_dir


def env_for(home: Path) -> dict[str, str]:
    return {**os.environ, "BGVIEW_HOME": str(home)}


def viewer(home: Path, project: Path, expect: str) -> PtyTerm:
    """``bgview`` on ``project`` (named: the bench's directories sit inside this git checkout)."""
    argv = [sys.executable, "-m", "bgview", "--project", str(project)]
    return PtyTerm(argv, env=env_for(home), cwd=project, expect=(expect,))


def peer(argv: list[str], cwd: Path, expect: str) -> PtyTerm:
    return PtyTerm(argv, env=dict(os.environ), cwd=cwd, expect=(expect,))


def toolong_available() -> bool:
    if TOOLONG.exists():
        return True
    print("(installing Toolong into .bench/toolong for the comparison…)", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(BENCH / "toolong")], check=True)
        subprocess.run(
            [str(BENCH / "toolong" / "bin" / "pip"), "install", "-q", "toolong"],
            check=True,
            capture_output=True,
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"(Toolong could not be installed: {exc}; its columns stay empty)")
        return False
    return TOOLONG.exists()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system, every thread) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def chosen_parts(parts: list[str] | None, known: Iterable[str]) -> list[str]:
    """The parts of a bench to run: those named (all when none are), and the bench's own
    ``BENCH`` directory made; an unknown name ends the run in one line."""
    BENCH.mkdir(exist_ok=True)
    names = list(known)
    chosen = parts or names
    unknown = set(chosen) - set(names)
    if unknown:
        raise SystemExit(f"no such part: {', '.join(sorted(unknown))} (parts: {', '.join(names)})")
    return chosen
