"""Starting a job: its record written, its disk reserved, its supervisor spawned.

Starting a job writes its record and hands it to a fresh supervisor process, then returns at
once: the caller never waits for the command. On a full disk nothing is left behind and the
start is refused (:class:`~bgview.runtime.errors.NoRoom`). A request is checked by
:mod:`bgview.runtime.startcheck` before anything is created.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bgview.runtime import proc
from bgview.runtime.errors import BgviewError, InvalidRequest, NoRoom
from bgview.runtime.facts import ReadyCondition
from bgview.runtime.fsio import (
    FILE_MODE,
    FULL_DISK,
    DirFd,
    make_reserve,
    open_private,
    write_json_atomic,
)
from bgview.runtime.jobpty import caller_size
from bgview.runtime.journal import finalize_path, promise_notice_room, release_notice_room
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.paths import digest
from bgview.runtime.record import FinalRecord, JobFiles, Request, Result, RunState
from bgview.runtime.restarts import RestartPolicy
from bgview.runtime.startcheck import cannot_start, check_request
from bgview.runtime.store import Project

_spawned: list[int] = []
"""Supervisor PIDs this process started, reaped opportunistically so a long-lived host (the
REPL, the MCP server) does not collect zombies."""

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_SUPERVISOR_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[3]); "
    "from bgview.runtime.supervisor import main; sys.exit(main(sys.argv))"
)


@dataclass(frozen=True)
class StartRequest:
    """Everything needed to start a job; checked by
    :func:`~bgview.runtime.startcheck.check_request` when :func:`start` is given it."""

    command: str | Sequence[str]
    name: str | None = None
    timeout: float | None = None
    cwd: str | os.PathLike[str] | None = None
    keep: bool = False
    owner_pid: int | None = None
    max_log: int | None = None
    size: tuple[int, int] | None = None
    """The pty's ``(columns, rows)``; by default the size of the terminal this process was
    started from, else 120×40 (:func:`~bgview.runtime.jobpty.caller_size`), so the job's
    output is laid out for the width it will be read at. A host running a job in the
    foreground gives its own terminal's size."""
    ready: str | None = None
    """A regex its output must match for the job to be ready, or ``"auto"``: it listens on
    a TCP port or prints a URL of this machine."""
    ready_port: int | None = None
    """Ready once one of its processes listens on this TCP port."""
    notify_on: str | None = None
    """A regex whose matching lines are told as notices (with a cooldown and a cap)."""
    notify_cooldown: float | None = None
    """Seconds after a told match in which more are only counted (default 2, at least 0.1)."""
    restart: RestartPolicy | None = None
    """When its command runs again after it ends (:mod:`~bgview.runtime.restarts`)."""
    restart_of: str | None = None
    """The id of the job this one restarts (:func:`~bgview.runtime.control.restart`)."""


def _reap_spawned() -> None:
    for pid in list(_spawned):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _spawned.remove(pid)


def start(project: Project, request: StartRequest) -> Job:
    """Create the job and its supervisor; returns as soon as the supervisor is spawned.

    On a full disk nothing is left behind and :class:`NoRoom` says so: an id is never handed
    out for a job whose record could not be written.
    """
    _reap_spawned()
    argv, display, cwd, condition = check_request(request)

    try:
        project.ensure()
        with _name_lock(project):
            if request.name is not None:
                holder = _running_named(project, request.name)
                if holder is not None:
                    raise InvalidRequest(
                        f"a job named {request.name!r} is already running as {holder}"
                    )
            job_id, job_dir = project.allocate()
            try:
                lock_fd, record = _create(
                    project, job_id, job_dir, request, argv, display, cwd, condition
                )
            except OSError:
                _remove(job_dir)
                raise
            try:
                if request.name is not None:
                    _claim_name(project, request.name, job_id)
            except OSError:
                os.close(lock_fd)
                _forget(project, job_dir)
                raise
    except OSError as exc:
        _no_room(project, exc)
        raise
    except BgviewError as exc:  # a store directory that could not be made: why?
        if isinstance(exc.__cause__, OSError):
            _no_room(project, exc.__cause__)
        raise

    # The lock is held until the job is read back: a prune running beside us skips a job
    # whose lock is held, so the job it just created is always there to return.
    try:
        problem = cannot_start(argv, cwd)
        try:
            if problem is not None:
                result = Result(JobStatus.FAILED, time.time(), reason=problem)
                finalize_path(job_dir, FinalRecord(record, RunState(), result))
            else:
                _spawn_supervisor(job_dir, lock_fd, record)
        except OSError as exc:
            # Nothing runs yet; the disk refused the supervisor's log or the failed record.
            if exc.errno in FULL_DISK:
                _forget(project, job_dir)
                _no_room(project, exc)
            raise
        return project.load(job_id)
    finally:
        os.close(lock_fd)


def _no_room(project: Project, exc: OSError) -> None:
    """Raise :class:`NoRoom` for an ``OSError`` that says the disk is full."""
    if exc.errno in FULL_DISK:
        raise NoRoom(f"cannot start a job: {exc.strerror} in {project.dir}") from None


def _remove(job_dir: Path) -> None:
    import shutil  # only on a failure path: shutil is slow to import

    shutil.rmtree(job_dir, ignore_errors=True)


def _forget(project: Project, job_dir: Path) -> None:
    """Remove a job that was created but will not be started, and give back the notice room
    it was promised (unless its notice was written: then it holds its claim)."""
    used = os.path.lexists(job_dir / JobFiles.CLAIM)
    _remove(job_dir)
    if not used:
        with contextlib.suppress(OSError, BgviewError):
            room = DirFd.open(project.dir)
            try:
                release_notice_room(room)
            finally:
                room.close()


def _create(
    project: Project,
    job_id: str,
    job_dir: Path,
    request: StartRequest,
    argv: list[str],
    display: str,
    cwd: str,
    condition: ReadyCondition | None,
) -> tuple[int, Request]:
    """Write the job's files; returns its liveness lock (held) and its request record."""
    # Hold the liveness lock before the record exists: a reader that finds a running record
    # with no lock held calls the job lost, and must never do so for a job being started.
    lock_fd = open_private(job_dir / JobFiles.LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        record = Request(
            id=job_id,
            project=str(project.path),
            command=display,
            argv=tuple(argv),
            cwd=cwd,
            started_at=time.time(),
            mark=f"{project.dir.name}/{job_id}",
            name=request.name,
            timeout=request.timeout,
            keep=request.keep,
            owner_pid=request.owner_pid,
            owner_start=proc.start_time(request.owner_pid) if request.owner_pid else None,
            max_log=request.max_log,
            winsize=request.size or caller_size(),
            ready=condition,
            notify_on=request.notify_on,
            notify_cooldown=request.notify_cooldown,
            restart=request.restart,
            restart_of=request.restart_of,
        )
        meta = record.to_dict()
        # The job's own room for its final record (the request is embedded in it).
        reserve = open_private(job_dir / JobFiles.RESERVE, os.O_WRONLY | os.O_CREAT)
        try:
            make_reserve(reserve, 2 * len(json.dumps(meta)) + 16384)
        finally:
            os.close(reserve)
        os.close(open_private(job_dir / JobFiles.LOG, os.O_WRONLY | os.O_CREAT))
        os.mkdir(job_dir / JobFiles.CURSORS, 0o700)
        os.mkfifo(job_dir / JobFiles.CONTROL, FILE_MODE)
        os.mkfifo(job_dir / JobFiles.STDIN, FILE_MODE)
        write_json_atomic(job_dir / JobFiles.META, meta)
        _check_headroom(job_dir)
        # Last, so that whatever failed above has nothing to give back: the room in
        # notices.log for the job's notice line, its own as the reserve is.
        room = DirFd.open(project.dir)
        try:
            promise_notice_room(room)
        finally:
            room.close()
    except BaseException:
        os.close(lock_fd)
        raise
    return lock_fd, record


MIN_FREE = 64 * 1024
"""Free disk a job must still find once its files are written, or it is not started: its
supervisor's first record (the command's pid, ``state.json``) and the start of its output
need a little. A start on a nearly full disk is refused in one line (:class:`NoRoom`) rather
than handed an id for a job that fails a moment later."""


def _check_headroom(job_dir: Path) -> None:
    """``OSError`` (ENOSPC) if less than :data:`MIN_FREE` is left on the job's disk."""
    st = os.statvfs(job_dir)
    if st.f_bavail * st.f_frsize < MIN_FREE:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _name_file(project: Project, name: str) -> Path:
    return project.dir / "names" / digest(name.encode("utf-8", "surrogatepass"))[:32]


def _running_named(project: Project, name: str) -> str | None:
    """The id of the running job called ``name``, if any: one small file per name, so a
    store of ten thousand finished jobs is not read to find out."""
    try:
        job_id = _name_file(project, name).read_text().strip()
        job = project.load(job_id)
    except (OSError, BgviewError):
        return None
    return job.id if job.running and job.name == name else None


def _claim_name(project: Project, name: str, job_id: str) -> None:
    names = project.dir / "names"
    if not names.is_dir():
        os.mkdir(names, 0o700)
    _write_text(_name_file(project, name), job_id)


def _write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically; on failure (a full disk) nothing is left."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        payload = text.encode()
        if os.write(fd, payload) != len(payload):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    except OSError:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    os.replace(tmp, path)


class _name_lock:
    """Serialise starts within a project so that two jobs of one name cannot both start."""

    def __init__(self, project: Project) -> None:
        self.path = project.dir / "start.lock"

    def __enter__(self) -> None:
        self.fd = open_private(self.path, os.O_RDWR | os.O_CREAT)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        os.close(self.fd)


def _spawn_supervisor(job_dir: Path, lock_fd: int, record: Request) -> None:
    """Start the supervisor in its own session with the liveness lock already held.

    The caller took ``supervisor.lock`` before the job's record existed; the locked
    descriptor is handed over (the caller closes its copy), so there is no moment when a
    reader could find the lock free and call the job lost.
    """
    err_fd = open_private(job_dir / JobFiles.SUPERVISOR_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    # A job started from inside another job is a job of its own: its supervisor does not
    # carry the other job's mark, and says whose supervisor it is (see bgview.runtime.tree).
    env = {k: v for k, v in os.environ.items() if k != "BGVIEW_JOB"}
    env["BGVIEW_SUPERVISOR"] = record.mark
    # The job's and the project's directories are handed over open, as the lock is: the
    # supervisor never resolves their paths, so a directory swapped meanwhile changes nothing.
    job_fd = DirFd.open(job_dir)
    project_fd = DirFd.open(job_dir.parent.parent)
    held = (lock_fd, job_fd.fd, project_fd.fd)
    try:
        for fd in held:
            os.set_inheritable(fd, True)
        pid = os.posix_spawn(
            sys.executable,
            [
                sys.executable,
                "-S",
                "-c",
                _SUPERVISOR_BOOT,
                str(job_dir),
                str(lock_fd),
                _PACKAGE_PARENT,
                str(job_fd.fd),
                str(project_fd.fd),
            ],
            env,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, err_fd, 2),
            ],
            setsid=True,
        )
    except OSError as exc:
        reason = f"could not start its supervisor: {exc.strerror}"
        result = Result(JobStatus.FAILED, time.time(), reason=reason)
        finalize_path(job_dir, FinalRecord(record, RunState(), result))
        return
    finally:
        os.set_inheritable(lock_fd, False)
        job_fd.close()
        project_fd.close()
        os.close(err_fd)
    _spawned.append(pid)
