"""Starting, killing, waiting for and typing into jobs.

Starting a job writes its record and hands it to a fresh supervisor process, then returns at
once: the caller never waits for the command. Killing asks the supervisor (through the job's
``control`` FIFO) so that the one process that knows the job records its end; a job whose
supervisor is gone is dealt with directly.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bgview.runtime import proc
from bgview.runtime.errors import BgviewError, InvalidRequest
from bgview.runtime.fsio import FILE_MODE, open_private, write_json_atomic
from bgview.runtime.journal import META, finalize
from bgview.runtime.logstate import MIN_MAX_LOG
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.store import CONTROL, CURSORS, LOCK, LOG, STDIN, Project

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
    """Everything needed to start a job; validated by :func:`start`."""

    command: str | Sequence[str]
    name: str | None = None
    timeout: float | None = None
    cwd: str | os.PathLike[str] | None = None
    keep: bool = False
    owner_pid: int | None = None
    max_log: int | None = None
    size: tuple[int, int] | None = None
    """The pty's ``(columns, rows)``; default 120×40. A host running a job in the foreground
    gives its own terminal's size, so the job's output fits the screen it is shown on."""


def shell_argv(command: str) -> list[str]:
    """How a shell string runs: bash if there is one (agents write bash), else sh."""
    shell = which("bash") or "/bin/sh"
    return [shell, "-c", command]


def which(program: str) -> str | None:
    """The executable ``program`` on ``$PATH`` (``shutil.which`` without loading shutil and
    its compression modules on ``bgview run``'s path)."""
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(directory or ".", program)
        if os.access(path, os.X_OK) and os.path.isfile(path):
            return path
    return None


def _reap_spawned() -> None:
    for pid in list(_spawned):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _spawned.remove(pid)


def start(project: Project, request: StartRequest) -> Job:
    """Create the job and its supervisor; returns as soon as the supervisor is spawned."""
    _reap_spawned()
    if isinstance(request.command, str):
        if not request.command.strip():
            raise InvalidRequest("empty command: give a command to run")
        argv = shell_argv(request.command)
        display = request.command
    else:
        argv = [str(a) for a in request.command]
        if not argv or not argv[0]:
            raise InvalidRequest("empty command: give a command to run")
        display = shlex.join(argv)
    if request.timeout is not None and not (0 < request.timeout <= 7 * 24 * 3600):
        raise InvalidRequest(f"timeout {request.timeout:g}s is out of range (0 < timeout ≤ 604800)")
    if request.size is not None:
        check_size(*request.size)
    if request.max_log is not None and request.max_log < MIN_MAX_LOG:
        raise InvalidRequest(f"log cap {request.max_log} is too small (at least {MIN_MAX_LOG})")
    if request.name is not None and (not request.name.strip() or len(request.name) > 200):
        raise InvalidRequest("a job name must be 1 to 200 characters")
    cwd = os.path.abspath(os.fspath(request.cwd)) if request.cwd is not None else os.getcwd()

    project.ensure()
    with _name_lock(project):
        if request.name is not None:
            for job in project.jobs():
                if job.running and job.name == request.name:
                    raise InvalidRequest(
                        f"a job named {request.name!r} is already running as {job.id}"
                    )
        job_id, job_dir = project.allocate()
        # Hold the liveness lock before the record says "running": a reader that finds a
        # running record with no lock held calls the job lost, and must never do so for a job
        # that is still being started (or is about to be recorded failed).
        lock_fd = open_private(job_dir / LOCK, os.O_RDWR | os.O_CREAT)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        meta: dict[str, object] = {
            "id": job_id,
            "project": str(project.path),
            "command": display,
            "argv": argv,
            "cwd": cwd,
            "name": request.name,
            "status": JobStatus.RUNNING.value,
            "started_at": time.time(),
            "timeout": request.timeout,
            "keep": request.keep,
            "owner_pid": request.owner_pid,
            "owner_start": proc.start_time(request.owner_pid) if request.owner_pid else None,
            "max_log": request.max_log,
            "winsize": list(request.size) if request.size is not None else None,
        }
        os.close(open_private(job_dir / LOG, os.O_WRONLY | os.O_CREAT))
        os.mkdir(job_dir / CURSORS, 0o700)
        os.mkfifo(job_dir / CONTROL, FILE_MODE)
        os.mkfifo(job_dir / STDIN, FILE_MODE)
        write_json_atomic(job_dir / META, meta)

    try:
        problem = _cannot_start(argv, cwd)
        if problem is not None:
            finalize(
                job_dir,
                {"status": JobStatus.FAILED.value, "reason": problem, "ended_at": time.time()},
            )
        else:
            _spawn_supervisor(job_dir, lock_fd)
    finally:
        os.close(lock_fd)
    return project.load(job_id)


class _name_lock:
    """Serialise starts within a project so that two jobs of one name cannot both start."""

    def __init__(self, project: Project) -> None:
        self.path = project.dir / "start.lock"

    def __enter__(self) -> None:
        self.fd = open_private(self.path, os.O_RDWR | os.O_CREAT)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        os.close(self.fd)


def _cannot_start(argv: list[str], cwd: str) -> str | None:
    """The reasons we can give at once, before any process exists (the supervisor catches
    the rest, such as a binary that fails to exec)."""
    if not os.path.isdir(cwd):
        what = "does not exist" if not os.path.exists(cwd) else "is not a directory"
        return f"cannot use working directory {cwd}: it {what}"
    program = argv[0]
    if "/" not in program:
        return f"command not found: {program}" if which(program) is None else None
    path = os.path.join(cwd, program)  # a relative path is relative to the job's cwd
    if not os.path.exists(path):
        return f"command not found: {program}"
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        return f"cannot run {program}: it is not an executable file"
    return None


def _spawn_supervisor(job_dir: Path, lock_fd: int) -> None:
    """Start the supervisor in its own session with the liveness lock already held.

    The caller took ``supervisor.lock`` before the job's record existed; the locked
    descriptor is handed over (the caller closes its copy), so there is no moment when a
    reader could find the lock free and call the job lost.
    """
    err_fd = open_private(job_dir / "supervisor.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.set_inheritable(lock_fd, True)
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
            ],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, err_fd, 2),
            ],
            setsid=True,
        )
    except OSError as exc:
        finalize(
            job_dir,
            {
                "status": JobStatus.FAILED.value,
                "reason": f"could not start its supervisor: {exc.strerror}",
                "ended_at": time.time(),
            },
        )
        return
    finally:
        os.set_inheritable(lock_fd, False)
        os.close(err_fd)
    _spawned.append(pid)


def kill(project: Project, job_id: str, *, grace: float = 3.0, by: str = "user") -> Job:
    """Kill the job's whole process group and return once it is gone and recorded."""
    return kill_all(project, [job_id], grace=grace, by=by)[0]


def kill_all(
    project: Project, job_ids: Sequence[str], *, grace: float = 3.0, by: str = "user"
) -> list[Job]:
    """Kill several jobs at once (every request is sent before any is waited for, so they
    share one grace period); returns them once each is gone and recorded."""
    if not (0 <= grace <= 3600):
        raise InvalidRequest(f"grace {grace:g}s is out of range (0 to 3600)")
    request = (json.dumps({"op": "kill", "grace": float(grace), "by": by}) + "\n").encode()
    for job_id in job_ids:
        job, fd = _open_fifo(project, job_id, CONTROL)
        if fd is not None:
            try:
                os.write(fd, request)
            finally:
                os.close(fd)
    deadline = time.monotonic() + grace + 10.0
    done: list[Job] = []
    for job_id in job_ids:
        while not (job := project.load(job_id)).status.ended:
            if time.monotonic() > deadline:
                raise BgviewError(f"{job_id} did not end within {grace + 10:g}s of being killed")
            time.sleep(0.005)
        done.append(job)
    return done


def check_size(columns: int, rows: int) -> None:
    """A pty size a terminal could have (1 to 10000 each way)."""
    if not (0 < columns <= 10_000 and 0 < rows <= 10_000):
        raise InvalidRequest(f"a terminal size of {columns}x{rows} is out of range")


def resize(project: Project, job_id: str, columns: int, rows: int) -> None:
    """Set the job's pty size (its foreground group gets SIGWINCH); nothing once it ended."""
    check_size(columns, rows)
    _job, fd = _open_fifo(project, job_id, CONTROL)
    if fd is None:
        return
    try:
        request = json.dumps({"op": "resize", "columns": columns, "rows": rows}) + "\n"
        os.write(fd, request.encode())
    finally:
        os.close(fd)


def _open_fifo(project: Project, job_id: str, name: str) -> tuple[Job, int | None]:
    """Open one of a running job's FIFOs for writing; ``(job, None)`` once the job has ended.

    ENXIO means nobody reads the FIFO: either the supervisor is gone (loading the job then
    records it lost, and we return) or it is still starting and has not opened it yet (a kill
    right after a start), in which case we try again for a while.
    """
    deadline = time.monotonic() + 10.0
    while True:
        job = project.load(job_id)
        if job.status.ended:
            return job, None
        try:
            flags = os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW
            return job, os.open(job.dir / name, flags)
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
        if time.monotonic() > deadline:
            raise BgviewError(f"the supervisor of {job_id} does not answer")
        time.sleep(0.005)


def write_stdin(project: Project, job_id: str, data: bytes) -> None:
    """Send bytes to the job's terminal, as if typed (``\\x03`` is Ctrl+C)."""
    job, fd = _open_fifo(project, job_id, STDIN)
    if fd is None:
        raise InvalidRequest(f"{job_id} has ended ({job.status.value}); it takes no input")
    try:
        view = memoryview(data)
        deadline = time.monotonic() + 5.0
        while view:
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BgviewError(f"{job_id} is not reading its input") from None
                time.sleep(0.005)
    finally:
        os.close(fd)


def wait_meta(project: Project, job_id: str, timeout: float | None) -> Job:
    """Poll the job's record until it ends or ``timeout`` passes; returns the last snapshot."""
    deadline = None if timeout is None else time.monotonic() + timeout
    meta_path = project.job_dir(job_id) / META
    last: tuple[int, int] = (-1, -1)
    next_look = time.monotonic() + 0.5
    job = project.load(job_id)
    while not job.status.ended:
        if deadline is not None and time.monotonic() >= deadline:
            return job
        time.sleep(0.01)
        try:
            st = os.stat(meta_path)
            seen = (st.st_ino, st.st_mtime_ns)  # the record is replaced: a new inode
        except FileNotFoundError:
            seen = (0, 0)
        # A new record, or twice a second a fresh look (which also notices a lost supervisor).
        if seen != last or time.monotonic() >= next_look:
            last, next_look = seen, time.monotonic() + 0.5
            job = project.load(job_id)
    return job
