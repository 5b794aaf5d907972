"""The job store on disk: projects, job directories, ids, and reading jobs back.

Layout (all 0700 / 0600)::

    $BGVIEW_HOME/projects/<name-hash>/
        project.json          {"path": "/the/project"}
        counter               last id number handed out (guarded by flock)
        notices.log           ids of ended jobs, in the order they ended, and running jobs'
                              fact events (``bash_3 {"kind": "ready", ...}``)
        notices/<consumer>    how far in notices.log each consumer has been given notices
        jobs/bash_N/
            meta.json         the job record, replaced atomically
            facts.json        what it is doing (its supervisor's; see bgview.runtime.facts)
            output.log        every byte the command wrote
            supervisor.lock   flock held by the supervisor for as long as it lives
            control, stdin    FIFOs the supervisor reads: kill requests, and input for the pty
            cursors/<name>    each consumer's read position
            ended             created once, by whoever records the job's end

Stdlib only, like the rest of the runtime's start-up path.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bgview.runtime.errors import InvalidRequest, NoSuchJob
from bgview.runtime.fsio import (
    check_ancestors,
    check_private_dir,
    open_private,
    private_dir,
    read_json,
    write_json_atomic,
)
from bgview.runtime.jobread import load_job
from bgview.runtime.journal import NOTICES_LOG, read_number, write_number
from bgview.runtime.model import Job
from bgview.runtime.paths import project_key, project_root, store_root
from bgview.runtime.record import (
    JobFiles,
)

ID_RE = re.compile(r"bash_[1-9][0-9]{0,8}")
CONSUMER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")

LOG = JobFiles.LOG
LOCK = JobFiles.LOCK
CONTROL = JobFiles.CONTROL
STDIN = JobFiles.STDIN
CURSORS = JobFiles.CURSORS
META = JobFiles.META


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
        check_ancestors(base)  # a path another user could redirect: refuse before reading
        check_private_dir(base)  # another user's, or open to others: refuse before reading
        directory = base / "projects" / project_key(project)
        return cls(project, directory)

    def ensure(self) -> Project:
        """Create this project's directories (private) and ``project.json`` if they do not
        exist yet. Also when the directories do: a first start on a full disk may have made
        them and then found no room for ``project.json``, without which ``--all`` would
        never find the project."""
        if not self.jobs_dir.is_dir() or not (self.dir / "project.json").is_file():
            private_dir(self.dir.parent.parent)
            private_dir(self.dir.parent)
            private_dir(self.dir)
            private_dir(self.jobs_dir)
            write_json_atomic(self.dir / "project.json", {"path": str(self.path)})
        else:
            check_private_dir(self.dir)
            check_private_dir(self.jobs_dir)  # a symlinked jobs/ is refused, not followed
        return self

    # ---- ids ---------------------------------------------------------------------------------

    def allocate(self) -> tuple[str, Path]:
        """Hand out the next id and create its directory, atomically across processes.

        The counter is rewritten in place (:func:`~bgview.runtime.journal.write_number`):
        truncating it first could leave it empty on a full disk. If it cannot be written at
        all, the directory is removed again and the ``OSError`` raised: nothing is left.
        """
        self.ensure()
        fd = open_private(self.dir / "counter", os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last = read_number(fd)
            number = last if last is not None else self._highest_id()
            while True:
                number += 1
                job_dir = self.jobs_dir / f"bash_{number}"
                try:
                    os.mkdir(job_dir, 0o700)
                except FileExistsError:
                    continue  # a counter reset by hand must never reuse an id
                break
            try:
                write_number(fd, number)
            except OSError:
                os.rmdir(job_dir)
                raise
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
        """Every readable job of the project, oldest first; unreadable records are skipped.

        Ended jobs come from their snapshots in ``ended.cache`` (:mod:`~bgview.runtime.ended`)
        where it holds them, taken from the same directory; the others are read from their
        directories, and the ones found ended are added to it once they are more than a
        hundredth of it (:data:`~bgview.runtime.ended.REWRITE_EVERY`).
        """
        from bgview.runtime import ended

        jobs_path = self.jobs_dir
        jobs_dir = os.fspath(jobs_path)
        try:
            with os.scandir(jobs_dir) as entries:
                found = [
                    (int(e.name[5:]), e.name, e.inode())
                    for e in entries
                    if ID_RE.fullmatch(e.name) and e.is_dir(follow_symlinks=False)
                ]
        except FileNotFoundError:
            return []
        found.sort()
        kept = ended.load(os.fspath(self.dir))
        fresh: ended.Snapshots = {}
        added = 0  # ended jobs it does not hold yet
        result = []
        for _, job_id, inode in found:
            held = kept.get(job_id)
            if held is not None and held[0] == inode:
                fresh[job_id] = held
                result.append(ended.restore(held[1], jobs_path / job_id))
                continue
            job = load_job(jobs_path / job_id, self.path)
            if job is None:
                continue
            result.append(job)
            if not job.running and os.path.isfile(f"{jobs_dir}/{job_id}/{JobFiles.RESULT}"):
                # Ended, and its record written (not a lost job kept in memory for want
                # of room): it will not change.
                fresh[job_id] = (inode, ended.snapshot(job))
                added += 1
        if added and added * ended.REWRITE_EVERY >= len(fresh):
            ended.save(os.fspath(self.dir), fresh)
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


def notices_log(project: Project) -> Path:
    return project.dir / NOTICES_LOG
