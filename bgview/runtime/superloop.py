"""The supervisor's event loop and its process set-up: what it waits on, and how it wakes.

Every wait is one ``poll`` on descriptors — the job's pty, the ``control`` and ``stdin``
FIFOs, a signal wake-up pipe, the owner session's pidfd, and the pidfds of processes being
ended — with the supervisor's next deadline as its timeout (:meth:`Supervisor.next_wait`):
nothing is polled on a timer. A restart policy gives a job a new pty for each run; the loop
follows whichever one is open. :func:`main` sets the process up (a subreaper, signals into a
wake-up pipe, the FIFOs) and runs the loop. Stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bgview.runtime import proc
from bgview.runtime.controlmsg import KillRequest, ResizeRequest, parse_control
from bgview.runtime.fsio import DirFd
from bgview.runtime.ptyexec import set_winsize
from bgview.runtime.record import (
    JobFiles,
    KillReason,
    Phase,
    Request,
)

if TYPE_CHECKING:
    from bgview.runtime.supervisor import Supervisor

PR_SET_CHILD_SUBREAPER = 36


def serve(
    supervisor: Supervisor, control_fd: int, stdin_fd: int, wake_fd: int, owner_fd: int | None
) -> None:
    """Run ``supervisor`` until its job is over and recorded."""
    sup = supervisor
    poller = select.poll()
    for fd in (control_fd, stdin_fd, wake_fd):
        poller.register(fd, select.POLLIN)
    if owner_fd is not None:
        poller.register(owner_fd, select.POLLIN)
    watched: set[int] = set()
    control_buf = b""
    master = -1
    """The pty master registered with the poller (a restart opens a new one)."""
    while True:
        live = sup.master if sup.pty_open else -1
        if live != master:
            if master >= 0:
                with contextlib.suppress(KeyError):
                    poller.unregister(master)
            if live >= 0:
                poller.register(live, select.POLLIN | want_out(sup))
            master = live
        for pidfd in set(sup.procs.pidfds.values()) - watched:
            poller.register(pidfd, select.POLLIN)
            watched.add(pidfd)
        wait = sup.next_wait()
        for fd, event in poller.poll(None if wait is None else int(wait * 1000) + 1):
            if fd == master and master >= 0:
                if event & select.POLLOUT:
                    sup.feed_input()
                if event & (select.POLLIN | select.POLLHUP | select.POLLERR):
                    sup.pump()
                if not sup.pty_open:
                    poller.unregister(master)
                    master = -1
                else:
                    poller.modify(master, select.POLLIN | want_out(sup))
            elif fd == wake_fd:
                signals = drain(wake_fd)
                sup.reap()
                if signal.SIGTERM in signals or signal.SIGHUP in signals:
                    sup.request_kill(KillRequest(KillReason.SIGNAL, 3.0))
            elif fd == control_fd:
                control_buf += drain(control_fd)
                *lines, control_buf = control_buf.split(b"\n")
                for line in lines:
                    handle_control(sup, line)
                if len(control_buf) > 65536:  # no newline in sight: garbage
                    log(f"ignored {len(control_buf):,} bytes of control input: no newline")
                    control_buf = b""
            elif fd == stdin_fd:
                sup.pending_input += drain(stdin_fd)
                sup.feed_input()
                if sup.pty_open and master >= 0:
                    poller.modify(master, select.POLLIN | want_out(sup))
            elif fd == owner_fd:
                poller.unregister(owner_fd)
                sup.request_kill(KillRequest(KillReason.OWNER_EXIT, 1.0))
            elif fd in watched:
                poller.unregister(fd)
                watched.discard(fd)
                sup.procs.forget_pidfd(fd)
        if sup.pty_open and sup.phase is not Phase.RUNNING:
            sup.pump()
        if sup.step():
            return


def main(argv: list[str]) -> int:
    """The supervisor process (``bgview.runtime.supervisor.main``, as the starter boots it)."""
    # argv: JOB_DIR LOCK_FD PACKAGE_PARENT JOB_DIR_FD PROJECT_DIR_FD — the lock and both
    # directories come open from the starter; the path is for messages only.
    job_dir = Path(argv[1])
    lock_fd, job_fd, project_fd = int(argv[2]), int(argv[4]), int(argv[5])
    for fd in (lock_fd, job_fd, project_fd):
        os.set_inheritable(fd, False)  # the command must hold none of them
    job = DirFd(job_fd, job_dir)
    project = DirFd(project_fd, job_dir.parent.parent)
    meta = job.read_json(JobFiles.META)
    if meta is None:
        return 2
    request = Request.from_dict(meta)
    from bgview.runtime.supervisor import Supervisor

    become_subreaper()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # FIFOs opened read-write: we never see EOF when a writer closes, and never block.
    control_fd = job.open_file(JobFiles.CONTROL, os.O_RDWR | os.O_NONBLOCK)
    stdin_fd = job.open_file(JobFiles.STDIN, os.O_RDWR | os.O_NONBLOCK)
    supervisor = Supervisor(job, project, request)
    if not supervisor.start():
        return 0
    owner_fd, owner_gone = watch_owner(request)
    if owner_gone:
        supervisor.request_kill(KillRequest(KillReason.OWNER_EXIT, 1.0))
    try:
        serve(supervisor, control_fd, stdin_fd, wake_r, owner_fd)
    except BaseException as exc:
        supervisor.crashed(exc)
        raise  # the traceback goes to supervisor.log
    return 0


def want_out(sup: Supervisor) -> int:
    """``POLLOUT`` while typed input waits for room in the pty."""
    return select.POLLOUT if sup.pending_input else 0


def handle_control(sup: Supervisor, line: bytes) -> None:
    """One line from the ``control`` FIFO; anything malformed is logged and ignored. A
    resize holds for the runs to come too (a restart keeps the size)."""
    if not line.strip():
        return
    try:
        request = parse_control(line)
    except ValueError as exc:
        log(f"ignored a control request: {exc}")
        return
    if isinstance(request, KillRequest):
        sup.request_kill(request)
    elif isinstance(request, ResizeRequest):
        sup.winsize = (request.columns, request.rows)
        if sup.pty_open:
            with contextlib.suppress(OSError):
                set_winsize(sup.master, request.columns, request.rows)


def log(message: str) -> None:
    """A line in ``supervisor.log`` (its stderr) — never an error of its own: on a full disk
    the line is lost, not the job."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"bgview supervisor: {message}\n")
        sys.stderr.flush()


def drain(fd: int) -> bytes:
    """What a FIFO or pipe holds now. A read shorter than asked for took all there was: no
    second read to be told so (EAGAIN) — a typed key's way into the job is that much shorter."""
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return data
        data += chunk
        if len(chunk) < 65536:
            return data


def become_subreaper() -> None:
    """Adopt orphaned descendants: they stay findable as ours, and their zombies are reaped
    here, not left to a PID 1 that may never reap them (common in containers)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def watch_owner(request: Request) -> tuple[int | None, bool]:
    """A pidfd that becomes readable when the owner session ends; ``(None, True)`` if it
    already has (or is not the process that started the job any more)."""
    owner = request.owner_pid
    if not owner or request.keep:
        return None, False
    if not proc.is_same_process(owner, request.owner_start):
        return None, True
    try:
        return os.pidfd_open(owner), False
    except ProcessLookupError:
        return None, True
