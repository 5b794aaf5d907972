"""The job store on disk: projects, job directories, ids, and reading jobs back.

Layout (all 0700 / 0600)::

    $BGVIEW_HOME/projects/<name-hash>/
        project.json          {"path": "/the/project"}
        counter               last id number handed out (guarded by flock)
        notices.log           ids of ended jobs, in the order they ended
        notices/<consumer>    how far in notices.log each consumer has been given notices
        jobs/bash_N/
            meta.json         the job record, replaced atomically
            output.log        every byte the command wrote
            supervisor.lock   flock held by the supervisor for as long as it lives
            control, stdin    FIFOs the supervisor reads: kill requests, and input for the pty
            cursors/<name>    each consumer's read position
            ended             created once, by whoever records the job's end

Stdlib only, like the rest of the runtime's start-up path.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bgview.runtime import proc
from bgview.runtime.errors import BgviewError, InvalidRequest, NoSuchJob
from bgview.runtime.fsio import (
    check_private_dir,
    open_private,
    private_dir,
    read_json,
    write_json_atomic,
)
from bgview.runtime.journal import ENDED, META, NOTICES_LOG, finalize
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.paths import project_key, project_root, store_root

ID_RE = re.compile(r"bash_[1-9][0-9]{0,8}")
CONSUMER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")

LOG = "output.log"
LOCK = "supervisor.lock"
CONTROL = "control"
STDIN = "stdin"
CURSORS = "cursors"
LOST_REASON = "its supervisor vanished without recording a result"


def validate_id(job_id: str) -> str:
    """Return ``job_id`` if it is a well-formed id, else raise a clear error."""
    if not isinstance(job_id, str) or not ID_RE.fullmatch(job_id):
        shown = repr(job_id) if len(str(job_id)) <= 40 else repr(str(job_id)[:40]) + "…"
        raise InvalidRequest(f"invalid job id {shown}: ids look like bash_1")
    return job_id


def validate_consumer(name: str) -> str:
    """Consumers name files in the store: letters, digits and ``_.@-`` only."""
    if not isinstance(name, str) or not CONSUMER_RE.fullmatch(name):
        raise InvalidRequest(
            f"invalid consumer name {name!r}: use up to 64 letters, digits, '_', '.', '@' or '-'"
        )
    return name


@dataclass(frozen=True)
class Project:
    """One project's corner of the store."""

    path: Path
    """The project directory (a git root, or the directory itself)."""
    dir: Path
    """Its directory in the store."""

    @property
    def jobs_dir(self) -> Path:
        return self.dir / "jobs"

    @classmethod
    def open(
        cls, path: str | os.PathLike[str] | None = None, *, root: Path | None = None
    ) -> Project:
        """The store entry for project ``path`` (default: the current directory's project)."""
        project = Path(path).expanduser().resolve() if path is not None else project_root()
        base = root or store_root()
        check_private_dir(base)  # another user's, or open to others: refuse before reading
        directory = base / "projects" / project_key(project)
        return cls(project, directory)

    def ensure(self) -> Project:
        """Create this project's directories (private) if they do not exist yet."""
        if not self.jobs_dir.is_dir():
            private_dir(self.dir.parent.parent)
            private_dir(self.dir.parent)
            private_dir(self.dir)
            private_dir(self.jobs_dir)
            write_json_atomic(self.dir / "project.json", {"path": str(self.path)})
        else:
            check_private_dir(self.dir)
        return self

    # ---- ids ---------------------------------------------------------------------------------

    def allocate(self) -> tuple[str, Path]:
        """Hand out the next id and create its directory, atomically across processes."""
        self.ensure()
        fd = open_private(self.dir / "counter", os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 32, 0).strip()
            number = int(raw) if raw.isdigit() else self._highest_id()
            while True:
                number += 1
                job_dir = self.jobs_dir / f"bash_{number}"
                try:
                    os.mkdir(job_dir, 0o700)
                except FileExistsError:
                    continue  # a counter reset by hand must never reuse an id
                break
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(number).encode(), 0)
        finally:
            os.close(fd)
        os.chmod(job_dir, 0o700)
        return f"bash_{number}", job_dir

    def _highest_id(self) -> int:
        return max((int(i[5:]) for i in self.job_ids()), default=0)

    def job_ids(self) -> list[str]:
        """Ids of every job directory, oldest first."""
        try:
            names = os.listdir(self.jobs_dir)
        except FileNotFoundError:
            return []
        ids = [n for n in names if ID_RE.fullmatch(n)]
        ids.sort(key=lambda i: int(i[5:]))
        return ids

    def job_dir(self, job_id: str) -> Path:
        """The directory of an existing job; a clear error for a bad or unknown id."""
        validate_id(job_id)
        path = self.jobs_dir / job_id
        check_private_dir(path)  # a planted symlink or a writable-by-others dir is refused
        if not (path / META).is_file():
            raise NoSuchJob(f"no job {job_id} in {self.path} (see `bgview list`)")
        return path

    # ---- reading jobs back ----------------------------------------------------------------------

    def load(self, job_id: str) -> Job:
        """A fresh snapshot of one job (marking it ``lost`` if its supervisor is gone)."""
        job = load_job(self.job_dir(job_id), self.path)
        if job is None:
            raise NoSuchJob(f"job {job_id} in {self.path} has an unreadable record")
        return job

    def jobs(self) -> list[Job]:
        """Every readable job of the project, oldest first; unreadable records are skipped."""
        result = []
        for job_id in self.job_ids():
            job = load_job(self.jobs_dir / job_id, self.path)
            if job is not None:
                result.append(job)
        return result


def all_projects(root: Path | None = None) -> list[Project]:
    """Every project in the store, for ``--all``."""
    base = (root or store_root()) / "projects"
    try:
        names = sorted(os.listdir(base))
    except FileNotFoundError:
        return []
    projects = []
    for name in names:
        info = read_json(base / name / "project.json")
        if info and isinstance(info.get("path"), str):
            projects.append(Project(Path(info["path"]), base / name))
    return projects


def iter_jobs(projects: list[Project]) -> Iterator[Job]:
    for project in projects:
        yield from project.jobs()


# ---- one job --------------------------------------------------------------------------------


def load_job(job_dir: Path, project: Path) -> Job | None:
    """Read a job's record; ``None`` if it is missing, not a job record at all, or in a
    directory that is not private (a symlink, another user's, writable by others)."""
    try:
        check_private_dir(job_dir)
    except BgviewError:
        return None
    meta = read_json(job_dir / META)
    if meta is None:
        return None
    if meta.get("status") == JobStatus.RUNNING.value and not supervisor_alive(job_dir):
        # Re-read: the supervisor may have written the final status just before it exited.
        meta = read_json(job_dir / META) or meta
        if meta.get("status") == JobStatus.RUNNING.value:
            mark_lost(job_dir, meta)
            meta = read_json(job_dir / META) or meta
        if meta.get("status") == JobStatus.RUNNING.value and (job_dir / ENDED).exists():
            # Whoever began recording the end died half-way (the marker exists, the status
            # was never written): finish the record, or the job would show running forever.
            meta.update(status=JobStatus.LOST.value, reason=LOST_REASON, ended_at=time.time())
            write_json_atomic(job_dir / META, meta)
    try:
        return job_from_meta(meta, job_dir, project)
    except (KeyError, TypeError, ValueError):
        return None


def job_from_meta(meta: dict[str, Any], job_dir: Path, project: Path) -> Job:
    """Build a :class:`Job`; unknown fields (from newer versions) are ignored."""
    log_path = job_dir / LOG
    dropped = int(meta.get("dropped_bytes") or 0)
    try:
        size = os.stat(log_path).st_size
    except OSError:
        size = 0

    def opt_int(key: str) -> int | None:
        value = meta.get(key)
        return int(value) if value is not None else None

    def opt_float(key: str) -> float | None:
        value = meta.get(key)
        return float(value) if value is not None else None

    return Job(
        id=job_dir.name,
        project=str(meta.get("project") or project),
        command=str(meta["command"]),
        argv=tuple(str(a) for a in meta.get("argv") or ()),
        cwd=str(meta.get("cwd") or ""),
        status=JobStatus(meta["status"]),
        name=meta.get("name"),
        exit_code=opt_int("exit_code"),
        signal=meta.get("signal"),
        killed_by=meta.get("killed_by"),
        reason=meta.get("reason"),
        pid=opt_int("pid"),
        supervisor_pid=opt_int("supervisor_pid"),
        owner_pid=opt_int("owner_pid"),
        keep=bool(meta.get("keep")),
        timeout=opt_float("timeout"),
        started_at=float(meta.get("started_at") or 0.0),
        ended_at=opt_float("ended_at"),
        output_bytes=dropped + size,
        dropped_bytes=dropped,
        output_lost=meta.get("output_lost"),
        log_path=log_path,
        dir=job_dir,
    )


def supervisor_alive(job_dir: Path) -> bool:
    """Whether the job's supervisor still lives: it holds ``supervisor.lock`` until it dies.

    A lock, unlike a PID, cannot be mistaken for an unrelated process that reused the number,
    and the kernel releases it however the supervisor ends (even on SIGKILL).
    """
    try:
        fd = open_private(job_dir / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return (job_dir / ENDED).exists()
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        raise
    finally:
        os.close(fd)
    return False


def mark_lost(job_dir: Path, meta: dict[str, Any]) -> None:
    """Record a job whose supervisor vanished as ``lost``, and remove what is left of it."""
    pid = meta.get("pid")
    if isinstance(pid, int) and proc.is_same_process(pid, meta.get("pid_start")):
        proc.signal_group(pid, signal.SIGKILL)
    elif isinstance(pid, int) and proc.start_time(pid) is None:
        # The leader is gone; its group may live on, and a live group keeps its number
        # from being reused, so signalling it cannot hit a stranger.
        proc.signal_group(pid, signal.SIGKILL)
    finalize(
        job_dir,
        {
            "status": JobStatus.LOST.value,
            "reason": LOST_REASON,
            "ended_at": time.time(),
        },
    )


def notices_log(project: Project) -> Path:
    return project.dir / NOTICES_LOG
