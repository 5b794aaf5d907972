"""Killing, waiting for, resizing and typing into running jobs (and, re-exported, starting
them).

Killing asks the supervisor (through the job's ``control`` FIFO) so that the one process that
knows the job records its end; a supervisor that was stopped is woken, and one that does not
answer is taken over: its job's processes are found by their mark and ended from here.
Starting lives in :mod:`bgview.runtime.starter`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from collections.abc import Sequence

from bgview.runtime import proc
from bgview.runtime.controlmsg import (
    MAX_GRACE,
    ControlRequest,
    KillRequest,
    ResizeRequest,
    encode_control,
)
from bgview.runtime.errors import BgviewError, InvalidRequest
from bgview.runtime.fsio import (
    read_json,
)
from bgview.runtime.journal import finalize_path
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.record import (
    FinalRecord,
    JobFiles,
    KillReason,
    Request,
    Result,
    RunState,
)
from bgview.runtime.startcheck import check_size, shell_argv, which
from bgview.runtime.starter import StartRequest, start
from bgview.runtime.store import Project


def kill(project: Project, job_id: str, *, grace: float = 3.0, by: str = "user") -> Job:
    """Kill every process of the job and return once they are gone and it is recorded."""
    return kill_all(project, [job_id], grace=grace, by=by)[0]


def kill_all(
    project: Project, job_ids: Sequence[str], *, grace: float = 3.0, by: str = "user"
) -> list[Job]:
    """Kill several jobs at once (every request is sent before any is waited for, so they
    share one grace period); returns them once each is gone and recorded.

    A supervisor that was stopped (SIGSTOP) is woken to do it; one that still does not
    answer within the grace plus a second is taken over: its job's processes are ended from
    here, found by their mark, and the job is recorded killed.
    """
    if not (0 <= grace <= MAX_GRACE):  # also refuses NaN
        raise InvalidRequest(f"grace {grace:g}s is out of range (0 to {MAX_GRACE:g})")
    try:
        reason = KillReason(by)
    except ValueError:
        raise InvalidRequest(f"unknown kill reason {by!r}") from None
    request = KillRequest(reason, float(grace))
    for job_id in job_ids:
        _send(project, job_id, request)
    started = time.monotonic()
    done: list[Job] = []
    for job_id in job_ids:
        while not (job := project.load(job_id)).status.ended:
            waited = time.monotonic() - started
            if job.supervisor_stopped:
                _wake(job)
            if waited > grace + 1.0:
                job = _take_over(project, job, reason)
                break
            time.sleep(0.005)
        done.append(job)
    return done


def _wake(job: Job) -> None:
    """SIGCONT to a stopped supervisor (only if it is still the same process)."""
    pid = job.supervisor_pid
    if pid is not None and proc.process_state(pid, job.supervisor_start) == "T":
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGCONT)


def _take_over(project: Project, job: Job, reason: KillReason) -> Job:
    """End a job whose supervisor does not answer, from here, and record it killed."""
    from bgview.runtime import tree

    meta = read_json(job.dir / JobFiles.META)
    if meta is None:
        raise BgviewError(f"the supervisor of {job.id} does not answer")
    record = Request.from_dict(meta)
    ended = tree.end_all(tree.marked(record.mark), grace=0)
    state = RunState.from_dict(read_json(job.dir / JobFiles.STATE) or {})
    if state.pid is not None and proc.is_same_process(state.pid, state.pid_start):
        proc.signal_group(state.pid, signal.SIGKILL)
    result = Result(
        JobStatus.KILLED,
        time.time(),
        signal="SIGKILL",
        killed_by=reason.value,
        reason=f"its supervisor did not answer; {len(ended)} processes were ended without it",
    )
    with contextlib.suppress(OSError):
        finalize_path(job.dir, FinalRecord(record, state, result))
    return project.load(job.id)


def _send(project: Project, job_id: str, request: ControlRequest) -> None:
    """Write a control request to a running job's supervisor; nothing once it has ended."""
    _job, fd = _open_fifo(project, job_id, JobFiles.CONTROL)
    if fd is None:
        return
    try:
        os.write(fd, encode_control(request))
    finally:
        os.close(fd)


def resize(project: Project, job_id: str, columns: int, rows: int) -> None:
    """Set the job's pty size (its foreground group gets SIGWINCH); nothing once it ended."""
    check_size(columns, rows)
    _send(project, job_id, ResizeRequest(columns, rows))


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


ENTER = b"\r"
"""What the Enter key sends to a terminal (the job's line discipline makes it ``\n`` for a
program reading lines; a full-screen program or a raw REPL reads it as Enter)."""
WRITE_PATIENCE = 5.0
"""Seconds a write waits for a job that does not read its input before giving up."""


class JobInput:
    """A running job's terminal input, held open: every byte typed into a job — ``bgview
    send``, the agents' ``write_stdin``, the viewer's input box, an attached terminal — goes
    through :meth:`write`, to the supervisor (the job's ``stdin`` FIFO), which copies it into
    the job's pty as if typed there. An attached terminal holds one open for its keystrokes;
    a single write opens and closes one (:func:`write_stdin`)."""

    def __init__(self, job_id: str, fd: int) -> None:
        self.job_id = job_id
        self.fd = fd

    @classmethod
    def open(cls, project: Project, job_id: str) -> JobInput:
        """The input of ``job_id``; :class:`InvalidRequest` if it has ended."""
        job, fd = _open_fifo(project, job_id, JobFiles.STDIN)
        if fd is None:
            raise InvalidRequest(f"{job_id} has ended ({job.status.value}); it takes no input")
        return cls(job_id, fd)

    def write(self, data: bytes, *, patience: float = WRITE_PATIENCE) -> None:
        """Every byte of ``data``, in order; :class:`BgviewError` if the job has not taken
        them within ``patience`` seconds, :class:`InvalidRequest` if its supervisor is gone
        (the job ended)."""
        view = memoryview(data)
        deadline = time.monotonic() + patience
        while view:
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BgviewError(f"{self.job_id} is not reading its input") from None
                time.sleep(0.005)
            except BrokenPipeError:  # EPIPE: nobody reads the FIFO, the supervisor is gone
                raise InvalidRequest(f"{self.job_id} has ended; it takes no input") from None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def __enter__(self) -> JobInput:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def write_stdin(project: Project, job_id: str, data: bytes) -> None:
    """Send bytes to the job's terminal, as if typed (``\x03`` is Ctrl+C)."""
    with JobInput.open(project, job_id) as job_input:
        job_input.write(data)


def send(project: Project, job_id: str, text: str | bytes, *, enter: bool = True) -> None:
    """Type ``text`` into the job's terminal, then Enter (unless ``enter=False``).

    What is typed goes nowhere but the job's pty: at a prompt that does not echo (a
    password), it is in no log and no read.
    """
    data = text.encode() if isinstance(text, str) else text
    if enter:
        data += ENTER
    if not data:
        raise InvalidRequest("nothing to send: give some text, or leave Enter on")
    write_stdin(project, job_id, data)


def restart(project: Project, job_id: str, *, grace: float = 3.0, by: str = "user") -> Job:
    """Start ``job_id`` again as a new job (a new id), with what it was started with: its
    command, cwd, name, terminal size, timeout, log cap, readiness condition, watch, restart
    policy, ``keep``, and its owner while that still lives; the new job's record says which
    job it restarts (``restart_of``). A running job is killed first (its whole group, SIGKILL
    after ``grace``), and the new one starts once it is gone. The viewer's ``r`` and
    ``bgview restart`` both come here."""
    job = project.load(job_id)
    if job.running:
        job = kill(project, job_id, grace=grace, by=by)
    return start(project, restart_request(job))


def restart_request(job: Job) -> StartRequest:
    """How to start ``job`` again (see :func:`restart`).

    A shell string ran as ``bash -c <command>``: the string is started again; an argv as is.
    The new job gets the old one's owner (a shell, the demo) while that owner still lives, so
    it ends with it as the first did.
    """
    meta = read_json(job.dir / JobFiles.META)
    if meta is None:
        raise BgviewError(f"{job.id} has no readable request to start again")
    try:
        asked = Request.from_dict(meta)
    except (KeyError, TypeError, ValueError):
        raise BgviewError(f"{job.id} has no readable request to start again") from None
    argv = asked.argv
    shell = len(argv) == 3 and argv[1] == "-c" and argv[2] == asked.command
    owner = asked.owner_pid
    if owner is not None and (asked.keep or not proc.is_same_process(owner, asked.owner_start)):
        owner = None
    ready, ready_port = None, None
    if asked.ready is not None:
        ready_port = asked.ready.port
        ready = None if ready_port is not None else (asked.ready.pattern or asked.ready.kind.value)
    return StartRequest(
        asked.command if shell else list(argv),
        name=asked.name,
        timeout=asked.timeout,
        cwd=asked.cwd,
        keep=asked.keep,
        owner_pid=owner,
        max_log=asked.max_log,
        size=asked.winsize,
        ready=ready,
        ready_port=ready_port,
        notify_on=asked.notify_on,
        notify_cooldown=asked.notify_cooldown,
        restart=asked.restart,
        restart_of=job.id,
    )


def wait_meta(project: Project, job_id: str, timeout: float | None) -> Job:
    """Poll the job's record until it ends or ``timeout`` passes; returns the last snapshot."""
    deadline = None if timeout is None else time.monotonic() + timeout
    result_path = project.job_dir(job_id) / JobFiles.RESULT
    last: tuple[int, int] = (-1, -1)
    next_look = time.monotonic() + 0.5
    job = project.load(job_id)
    while not job.status.ended:
        if deadline is not None and time.monotonic() >= deadline:
            return job
        time.sleep(0.01)
        try:
            st = os.stat(result_path)
            seen = (st.st_ino, st.st_mtime_ns)  # the final record appeared
        except FileNotFoundError:
            seen = (0, 0)
        # A new record, or twice a second a fresh look (which also notices a lost supervisor).
        if seen != last or time.monotonic() >= next_look:
            last, next_look = seen, time.monotonic() + 0.5
            job = project.load(job_id)
    return job


__all__ = [
    "ENTER",
    "JobInput",
    "StartRequest",
    "check_size",
    "kill",
    "kill_all",
    "resize",
    "restart",
    "restart_request",
    "send",
    "shell_argv",
    "start",
    "wait_meta",
    "which",
    "write_stdin",
]
