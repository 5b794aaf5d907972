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

import contextlib
import dataclasses
import errno
import fcntl
import os
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bgview.runtime import proc
from bgview.runtime.errors import BgviewError, InvalidRequest, NoSuchJob
from bgview.runtime.facts import NO_FACTS, Facts
from bgview.runtime.fsio import (
    check_ancestors,
    check_private_dir,
    open_private,
    private_dir,
    read_json,
    write_json_atomic,
)
from bgview.runtime.journal import NOTICES_LOG, finalize_path, publish, read_number, write_number
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.paths import project_key, project_root, store_root
from bgview.runtime.record import (
    MAX_LEFT_BEHIND,
    FinalRecord,
    JobFiles,
    LeftBehind,
    Request,
    Result,
    RunState,
)

ID_RE = re.compile(r"bash_[1-9][0-9]{0,8}")
CONSUMER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")

LOG = JobFiles.LOG
LOCK = JobFiles.LOCK
CONTROL = JobFiles.CONTROL
STDIN = JobFiles.STDIN
CURSORS = JobFiles.CURSORS
META = JobFiles.META
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
        """Every readable job of the project, oldest first; unreadable records are skipped."""
        result = []
        jobs_dir = self.jobs_dir
        for job_id in self.job_ids():
            job = load_job(jobs_dir / job_id, self.path)
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
    directory that is not private (a symlink, another user's, writable by others).

    An ended job is one file (``result.json``); a running one is its request and its state,
    and its supervisor's lock. A running job whose supervisor is gone is recorded ``lost``
    here (and its processes ended): in memory if the disk has no room to write it.
    """
    try:
        check_private_dir(job_dir)
    except BgviewError:
        return None
    where = os.fspath(job_dir)  # strings, not Paths: a list of 10,000 jobs reads 10,000 of these
    try:
        final = read_json(f"{where}/{JobFiles.RESULT}")
        if final is None and os.path.lexists(f"{where}/{JobFiles.RESULT}"):
            # Renamed into place between the read and this look (a kill polling the record
            # met it), or there but unreadable: a symlink, garbage, not a file.
            final = read_json(f"{where}/{JobFiles.RESULT}")
            if final is None:
                return None
        if final is not None:
            return job_from_final(FinalRecord.from_dict(final), job_dir, project)
        meta = read_json(f"{where}/{META}")
        if meta is None:
            return None
        request = Request.from_dict(meta)
        if meta.get("status") not in (None, JobStatus.RUNNING.value):
            # A record of bgview 0.1, which kept everything in meta.json.
            legacy = FinalRecord(request, RunState.from_dict(meta), Result.from_dict(meta))
            return job_from_final(legacy, job_dir, project)
        state = RunState.from_dict(read_json(job_dir / JobFiles.STATE) or {})
    except (KeyError, TypeError, ValueError):
        return None
    if supervisor_alive(job_dir):
        stopped = state.supervisor_pid is not None and _is_stopped(state)
        facts = read_facts(where)
        return job_from_parts(request, state, None, job_dir, project, stopped=stopped, facts=facts)
    # Re-read: the supervisor may have written the final record just before it exited.
    final = read_json(job_dir / JobFiles.RESULT)
    try:
        record = FinalRecord.from_dict(final) if final is not None else None
    except (KeyError, TypeError, ValueError):
        return None
    if record is None:
        record = mark_lost(job_dir, request, state)
    return job_from_final(record, job_dir, project)


def _is_stopped(state: RunState) -> bool:
    assert state.supervisor_pid is not None
    return proc.process_state(state.supervisor_pid, state.supervisor_start) == "T"


def read_facts(where: str) -> Facts:
    """A running job's ``facts.json``; none yet, or a damaged one, is no facts (the job is
    listed all the same)."""
    data = read_json(f"{where}/{JobFiles.FACTS}")
    if data is None:
        return NO_FACTS
    try:
        return Facts.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return NO_FACTS


def job_from_final(record: FinalRecord, job_dir: Path, project: Path) -> Job:
    facts = record.facts or NO_FACTS
    return job_from_parts(
        record.request, record.state, record.result, job_dir, project, facts=facts
    )


def job_from_parts(
    request: Request,
    state: RunState,
    result: Result | None,
    job_dir: Path,
    project: Path,
    *,
    stopped: bool = False,
    facts: Facts = NO_FACTS,
) -> Job:
    """The flat snapshot every face reads."""
    dropped = state.dropped_bytes
    if result is not None and state.output_bytes is not None:
        output = state.output_bytes  # counted by the supervisor: no need to look at the log
    else:
        try:
            output = dropped + os.stat(f"{os.fspath(job_dir)}/{LOG}").st_size
        except OSError:
            output = dropped
    return Job(
        id=job_dir.name,
        project=request.project or str(project),
        command=request.command,
        argv=request.argv,
        cwd=request.cwd,
        status=result.status if result is not None else JobStatus.RUNNING,
        name=request.name,
        exit_code=result.exit_code if result else None,
        signal=result.signal if result else None,
        killed_by=result.killed_by if result else None,
        reason=result.reason if result else None,
        pid=state.pid,
        supervisor_pid=state.supervisor_pid,
        supervisor_start=state.supervisor_start,
        mark=request.mark,
        owner_pid=request.owner_pid,
        owner_start=request.owner_start,
        keep=request.keep,
        timeout=request.timeout,
        started_at=request.started_at,
        ended_at=result.ended_at if result else None,
        output_bytes=output,
        dropped_bytes=dropped,
        output_lost=state.output_lost,
        left_behind=state.left_behind,
        left_behind_count=state.left_behind_count,
        supervisor_stopped=stopped,
        facts=facts,
        ready_condition=request.ready,
        notify_on=request.notify_on,
        restart_policy=request.restart,
        restarts=state.restarts,
        runs=state.runs,
        restart_at=state.restart_at if result is None else None,
        restart_of=request.restart_of,
        dir=job_dir,
    )


def supervisor_alive(job_dir: Path) -> bool:
    """Whether the job's supervisor (or its starter) still lives: it holds
    ``supervisor.lock`` until it dies.

    A lock, unlike a PID, cannot be mistaken for an unrelated process that reused the number,
    and the kernel releases it however the supervisor ends (even on SIGKILL).
    """
    try:
        fd = open_private(job_dir / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except (OSError, BgviewError):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        raise
    finally:
        os.close(fd)
    return False


def mark_lost(job_dir: Path, request: Request, state: RunState) -> FinalRecord:
    """Record a job whose supervisor vanished as ``lost``, and end every process it left.

    Its processes are found by the mark they all inherited (``BGVIEW_JOB``), whatever group
    or session they moved to, and by its leader's process group. The record is written if
    the disk lets it; if not, the ``lost`` job is returned all the same and the next reader
    tries again (a reader never needs free space).
    """
    from bgview.runtime import tree  # only when a supervisor has vanished

    leader_alive = state.pid is not None and proc.is_same_process(state.pid, state.pid_start)
    ended = tree.signal_all(tree.marked(request.mark), signal.SIGKILL) if request.mark else []
    # As the supervisor counts them: what outlived the leader, or (while it lives) what left
    # its process group.
    left = sorted(
        (
            LeftBehind(p.pid, p.command)
            for p in ended
            if p.pid != state.pid and (not leader_alive or p.pgid != state.pid)
        ),
        key=lambda p: p.pid,
    )
    if left:
        state = dataclasses.replace(
            state,
            left_behind=(*state.left_behind, *left)[:MAX_LEFT_BEHIND],
            left_behind_count=state.left_behind_count + len(left),
        )
    pid = state.pid
    if pid is not None and proc.is_same_process(pid, state.pid_start):
        proc.signal_group(pid, signal.SIGKILL)
    elif pid is not None and proc.start_time(pid) is None:
        # The leader is gone; its group may live on, and a live group keeps its number
        # from being reused, so signalling it cannot hit a stranger.
        proc.signal_group(pid, signal.SIGKILL)
    record = FinalRecord(request, state, Result(JobStatus.LOST, time.time(), reason=LOST_REASON))
    try:
        if not finalize_path(job_dir, record) and not (job_dir / JobFiles.RESULT).exists():
            # Whoever claimed the end died half-way (the claim exists, the result was never
            # written): finish the record, or the job would show running forever.
            from bgview.runtime.fsio import DirFd

            job = DirFd.open(job_dir)
            try:
                publish(job, record)
            finally:
                job.close()
    except (OSError, BgviewError):
        pass  # no room (or the directory went away): the job is lost all the same
    final = read_json(job_dir / JobFiles.RESULT)
    if final is not None:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            return FinalRecord.from_dict(final)
    return record


def notices_log(project: Project) -> Path:
    return project.dir / NOTICES_LOG
