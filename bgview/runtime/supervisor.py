"""The per-job supervisor: one small process per job, outliving whoever asked for the job.

It runs the command in its own pty and session, copies every byte it writes to ``output.log``
(:mod:`logwriter`), enforces the timeout, carries out kill requests, ends the job when its
owner session ends, and records what happened and how it ended (:mod:`record`). It holds
``supervisor.lock`` for as long as it lives, which is how everyone else tells a live
supervisor from a vanished one, and it works relative to its job's directory, held open.

A job is every process the command started, whatever group or session it moved to: the
supervisor is a child subreaper, so orphans re-parent to it and the job's processes are its
descendants. The pty is the supervisor's controlling terminal and the command leads a process
group in its foreground (:mod:`ptyexec`): the command's exit hangs nothing up, so what it left
running keeps writing to the log until the drain is over. Its life is a state machine
(:class:`~bgview.runtime.record.Phase`)::

    RUNNING --kill/timeout/owner--> STOPPING --grace--> ENDING --none left--> DONE
       \\--leader exits--> DRAINING --short grace--> ENDING

Every wait is a ``poll`` on descriptors (the pty, the control and stdin FIFOs, a signal
wake-up pipe, pidfds) with the next deadline as its timeout: nothing is polled on a timer,
except a look for new forks every :data:`ENDING_LOOK` while the job is being ended, and the
job's facts (its processes, ports, readiness, whether it waits for input) while it runs,
which :class:`~bgview.runtime.factkeeper.FactKeeper` gathers and records.

Started as ``python -S -c ... JOB_DIR LOCK_FD``; stdlib only, so it starts fast and stays small.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import select
import signal
import sys
import time
from pathlib import Path

from bgview.runtime import proc, tree
from bgview.runtime.factkeeper import FactKeeper
from bgview.runtime.fsio import FULL_DISK, DirFd
from bgview.runtime.journal import finalize
from bgview.runtime.logstate import DEFAULT_MAX_LOG, MIN_MAX_LOG
from bgview.runtime.logwriter import CHUNK, LogWriter
from bgview.runtime.ptyexec import PTY_COLS, PTY_ROWS, set_winsize, spawn
from bgview.runtime.record import (
    MAX_LEFT_BEHIND,
    FinalRecord,
    JobFiles,
    JobStatus,
    KillReason,
    KillRequest,
    LeftBehind,
    Phase,
    Request,
    ResizeRequest,
    Result,
    RunState,
    parse_control,
)

EXIT_DRAIN = 0.5
"""Seconds what the leader left running may go on (its output captured) after the leader
exited by itself; whatever is left then is ended."""
ENDING_LOOK = 0.25
"""While ending, how often to look for processes no pidfd told us about (new forks)."""
PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> None:
    """Adopt orphaned descendants: they stay findable as ours, and their zombies are reaped
    here, not left to a PID 1 that may never reap them (common in containers)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class Supervisor:
    """One job's event loop: pty output, signals, control requests, deadlines."""

    def __init__(self, job: DirFd, project: DirFd, request: Request) -> None:
        self.job = job
        self.project = project
        self.request = request
        self.log = LogWriter(job, max(request.max_log or DEFAULT_MAX_LOG, MIN_MAX_LOG))
        me = os.getpid()
        self.state = RunState(supervisor_pid=me, supervisor_start=proc.start_time(me))
        self.phase = Phase.RUNNING
        self.pid = 0
        self.master = -1
        self.pty_open = False
        self.leader_status: int | None = None
        self.leader_ended = False
        """The leader has exited, or was found already on its way out by a kill."""
        self.kill_by: KillReason | None = None
        self.leader_handles_term = True
        """Whether the leader caught, ignored or blocked SIGTERM when the kill sent it: if not,
        a plain exit afterwards is one it made by itself, not an answer to the kill."""
        self.sigkill_sent = False
        self.deadline: float | None = None
        """When the current phase's wait runs out (STOPPING's grace, DRAINING's drain)."""
        self.timeout_at = time.monotonic() + request.timeout if request.timeout else None
        self.pending_input = b""
        self.pidfds: dict[int, int] = {}
        """pid -> pidfd of each process being waited for while ENDING."""
        self.watched: set[int] = set()
        """Every pid a pidfd was opened for (once it fired, the process is not live)."""
        self.left: dict[int, LeftBehind] = {}
        """What had to be ended that outlived the leader or left its group, by pid."""
        self.facts: FactKeeper | None = None
        """What the job is doing; ``None`` before it starts, or once gathering failed."""

    # ---- start -------------------------------------------------------------------------------

    def start(self) -> bool:
        """Fork and exec the command; ``False`` (and a ``failed`` record) if it cannot start."""
        columns, rows = self.request.winsize or (PTY_COLS, PTY_ROWS)
        argv, cwd = list(self.request.argv), self.request.cwd or os.getcwd()
        pid, master, reason = spawn(argv, cwd, self.request.mark, columns, rows)
        if not pid:
            self.finish(Result(JobStatus.FAILED, time.time(), reason=reason))
            return False
        self.pid, self.master, self.pty_open = pid, master, True
        os.set_blocking(master, False)
        self.state = dataclasses.replace(self.state, pid=pid, pid_start=proc.start_time(pid))
        try:
            self.job.write_json_atomic(JobFiles.STATE, self.state.to_dict())
        except OSError as exc:
            # Nothing may run unsupervised, nor with a record that does not name it.
            self.hard_end_all()
            self.finish(
                Result(
                    JobStatus.FAILED,
                    time.time(),
                    reason=f"could not write its record: {exc.strerror}",
                    killed_by=KillReason.RECORD.value,
                )
            )
            return False
        self.facts = FactKeeper(self.job, self.project, self.request, os.getpid(), master)
        return True

    def facts_failed(self, exc: Exception) -> None:
        """Gathering facts is no reason to end a job: a failure there (a ``/proc`` this code
        does not know) is logged and the facts are no longer gathered."""
        _log(f"stopped gathering facts: {exc!r}")
        self.facts = None

    def save_state(self) -> None:
        """Write what happened so far; on a full disk it stays in memory until the end."""
        try:
            self.job.write_json_atomic(JobFiles.STATE, self.state.to_dict())
        except OSError as exc:
            if exc.errno not in FULL_DISK:
                raise

    # ---- output ------------------------------------------------------------------------------

    def pump(self) -> None:
        """Copy what the pty has to the log; stop at EAGAIN (or after a bounded burst, so
        control requests are still seen under a firehose).

        A pty read gives at most 4 KiB (the line discipline's buffer), so reads are gathered
        and written in batches of up to :data:`CHUNK`: one ``write`` per sixteen reads.
        """
        if not self.pty_open:
            return
        self.log.check()
        batch: list[bytes] = []
        size = 0
        lost, dropped = self.log.lost_at, self.log.dropped
        try:
            for _ in range(256):
                try:
                    data = os.read(self.master, CHUNK - size)
                except BlockingIOError:
                    return
                except OSError as exc:
                    if exc.errno == 5:  # EIO: every holder of the pty's other end is gone
                        self.pty_open = False
                        return
                    raise
                if not data:
                    self.pty_open = False
                    return
                batch.append(data)
                size += len(data)
                if size >= CHUNK:
                    self.write_output(b"".join(batch))
                    batch.clear()
                    size = 0
        finally:
            if batch:
                self.write_output(b"".join(batch))
            if not self.pty_open and self.facts is not None:
                self.facts.master = -1
            if (self.log.lost_at, self.log.dropped) != (lost, dropped):
                self.state = dataclasses.replace(
                    self.state, output_lost=self.log.lost_reason, dropped_bytes=self.log.dropped
                )
                self.save_state()

    def write_output(self, data: bytes) -> None:
        """To the log, and to the facts (URLs, patterns, the prompt)."""
        self.log.write(data)
        if self.facts is not None:
            try:
                self.facts.output(data)
            except Exception as exc:  # see facts_failed
                self.facts_failed(exc)

    def feed_input(self) -> None:
        while self.pending_input:
            try:
                n = os.write(self.master, self.pending_input)
            except BlockingIOError:
                return
            except OSError:
                self.pending_input = b""
                return
            self.pending_input = self.pending_input[n:]

    # ---- the job's processes -----------------------------------------------------------------

    def processes(self) -> list[tree.Proc]:
        """Every process of the job now (zombies included): our descendants, less any other
        job started from inside this one (its supervisor and what is below it)."""
        return tree.descendants(os.getpid(), skip=tree.is_supervisor)

    def signal_job(self, *sigs: int, procs: list[tree.Proc] | None = None) -> None:
        """Each of ``sigs`` to the leader's group, the pty's foreground group, and every live
        descendant (``procs``, or a fresh look); those that outlived the leader or left its
        group are noted as left behind: they had to be ended with the job."""
        if procs is None:
            procs = tree.live(self.processes())
        for item in procs:
            if item.pid != self.pid and (self.leader_ended or item.pgid != self.pid):
                self.left.setdefault(item.pid, LeftBehind(item.pid, item.command))
        groups = {self.pid}
        if self.pty_open:
            with contextlib.suppress(OSError):
                fg = os.tcgetpgrp(self.master)
                if fg > 0 and fg != os.getpgrp():
                    groups.add(fg)
        for sig in sigs:
            for pgid in groups:
                proc.signal_group(pgid, sig)
            tree.signal_all(procs, sig)

    def hard_end_all(self, procs: list[tree.Proc] | None = None) -> None:
        self.sigkill_sent = True
        self.signal_job(signal.SIGKILL, procs=procs)

    def reap(self) -> None:
        """Collect every finished child (we are a subreaper); remember the leader's status.

        A child suspended by SIGTSTP (Ctrl+Z typed to the job, or a program suspending
        itself) is resumed with its group: a job has no shell to bring it back, and the
        command, no session leader, is not in an orphaned group whose SIGTSTP the kernel
        would drop.
        """
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG | os.WUNTRACED)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if os.WIFSTOPPED(status):
                if os.WSTOPSIG(status) == signal.SIGTSTP:
                    with contextlib.suppress(OSError):
                        proc.signal_group(os.getpgid(pid), signal.SIGCONT)
                continue
            if pid == self.pid:
                self.leader_status = status
                self.leader_ended = True
                if self.phase is Phase.RUNNING:
                    self.enter(Phase.DRAINING)

    # ---- the phases --------------------------------------------------------------------------

    def enter(self, phase: Phase) -> None:
        """Move the state machine forward, doing what the new phase starts with."""
        self.phase = phase
        now = time.monotonic()
        if phase is Phase.DRAINING:
            self.deadline = now + EXIT_DRAIN
        elif phase is Phase.ENDING:
            self.deadline = None
            self.end_what_is_left()

    def request_kill(self, request: KillRequest) -> None:
        """SIGTERM to every process of the job now, SIGKILL when the grace runs out.

        A kill that arrives after the leader ended by itself does not change how it ended
        (``exited 0`` stays ``exited 0``): it only ends what is left at once. The leader may
        have exited with its SIGCHLD not yet seen: it is reaped first, so that such a kill
        is not taken for the cause of the exit; and one already in the kernel's exit path
        (its files closed, its SIGCHLD still to come) has exited by itself just the same.
        """
        self.reap()
        if self.phase is Phase.RUNNING and proc.is_exiting(self.pid, self.state.pid_start):
            self.leader_ended = True
            self.phase = Phase.DRAINING
        if self.phase is Phase.DRAINING:
            self.enter(Phase.ENDING)
            return
        if self.phase is not Phase.RUNNING and self.phase is not Phase.STOPPING:
            return
        deadline = time.monotonic() + request.grace
        procs = tree.live(self.processes())
        if self.phase is Phase.RUNNING:
            self.kill_by = request.by
            self.phase = Phase.STOPPING
            self.deadline = deadline
            self.leader_handles_term = proc.handles_signal(
                self.pid, self.state.pid_start, signal.SIGTERM
            )
        elif self.deadline is None or deadline < self.deadline:
            self.deadline = deadline  # a second, more urgent kill shortens the grace
        # SIGCONT after it: a stopped job must wake to die.
        self.signal_job(signal.SIGTERM, signal.SIGCONT, procs=procs)
        if request.grace <= 0:
            self.enter(Phase.ENDING)

    def end_what_is_left(self) -> None:
        """SIGKILL every process of the job still there; wait for each through a pidfd."""
        procs = tree.live(self.processes())
        for item in procs:
            if item.pid in self.watched:
                continue
            self.watched.add(item.pid)
            with contextlib.suppress(OSError):
                self.pidfds[item.pid] = os.pidfd_open(item.pid)
        self.hard_end_all(procs)

    def all_gone(self) -> bool:
        """The leader is reaped and no process of the job remains, not even a zombie."""
        if self.leader_status is None:
            return False
        self.reap()
        return not self.processes()

    def next_wait(self) -> float | None:
        now = time.monotonic()
        waits = [d - now for d in (self.deadline, self.timeout_at) if d is not None]
        if self.phase is Phase.ENDING:
            waits.append(ENDING_LOOK)
        if self.phase is Phase.RUNNING and self.facts is not None:
            waits.append(self.facts.due() - now)
        return max(0.0, min(waits)) if waits else None

    def step(self) -> bool:
        """Act on what is due; ``True`` once the job is over and recorded."""
        now = time.monotonic()
        phase = self.phase
        if phase is Phase.RUNNING and self.timeout_at is not None and now >= self.timeout_at:
            self.request_kill(KillRequest(KillReason.TIMEOUT, 3.0))
        elif phase in (Phase.STOPPING, Phase.DRAINING) and self.deadline and now >= self.deadline:
            self.enter(Phase.ENDING)
        elif phase is Phase.ENDING:
            self.end_what_is_left()  # anything forked since the last look
        if self.phase is Phase.RUNNING and self.facts is not None and now >= self.facts.due():
            try:
                self.facts.tick()
            except Exception as exc:  # see facts_failed
                self.facts_failed(exc)
        if self.phase is Phase.RUNNING or not self.all_gone():
            return False
        self.pump()  # what the last processes wrote just before they went
        self.finish(self.result())
        return True

    def result(self) -> Result:
        status = self.leader_status or 0
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        now, by = time.time(), self.kill_by
        if by is not None and code is not None and not self.leader_handles_term:
            # SIGTERM would have ended it by the signal: it exited by itself as the kill came.
            by = None
        if by is KillReason.TIMEOUT:
            kind, reason = JobStatus.TIMEOUT, None
        elif by is not None:
            kind = JobStatus.KILLED
            reason = None
            if by is KillReason.OWNER_EXIT:
                reason = f"its session (pid {self.request.owner_pid}) ended"
        else:
            kind, reason = (JobStatus.KILLED if sig is not None else JobStatus.EXITED), None
        name = proc.signal_name(sig) if sig is not None else None
        if sig is None and by is not None:
            # It handled our signal and exited by itself: record the signal we sent.
            name = "SIGKILL" if self.sigkill_sent else "SIGTERM"
        return Result(
            kind,
            now,
            exit_code=code,
            signal=name,
            killed_by=by.value if by is not None else None,
            reason=reason,
        )

    def finish(self, result: Result) -> None:
        """Record the end: the last state (left-behind processes, bytes) and the result."""
        left = sorted(self.left.values(), key=lambda p: p.pid)
        self.state = dataclasses.replace(
            self.state,
            dropped_bytes=self.log.dropped,
            output_lost=self.log.lost_reason,
            left_behind=tuple(left[:MAX_LEFT_BEHIND]),
            left_behind_count=len(left),
            output_bytes=self.log.written,
        )
        self.phase = Phase.DONE
        facts = self.facts.final() if self.facts is not None else None
        finalize(self.job, self.project, FinalRecord(self.request, self.state, result, facts))

    def crashed(self, exc: BaseException) -> None:
        """A bug or an unexpected error in this loop: take the job down with us (nothing may
        run unsupervised) and record it ``lost`` with the reason."""
        with contextlib.suppress(OSError):
            self.hard_end_all()
        with contextlib.suppress(OSError):
            reason = f"its supervisor failed: {exc!r}"[:500]
            self.finish(Result(JobStatus.LOST, time.time(), reason=reason))

    # ---- requests ----------------------------------------------------------------------------

    def handle_control(self, line: bytes) -> None:
        """One line from the ``control`` FIFO; anything malformed is logged and ignored."""
        if not line.strip():
            return
        try:
            request = parse_control(line)
        except ValueError as exc:
            _log(f"ignored a control request: {exc}")
            return
        if isinstance(request, KillRequest):
            self.request_kill(request)
        elif isinstance(request, ResizeRequest) and self.pty_open:
            with contextlib.suppress(OSError):
                set_winsize(self.master, request.columns, request.rows)

    # ---- the loop ----------------------------------------------------------------------------

    def run(self, control_fd: int, stdin_fd: int, wake_fd: int, owner_fd: int | None) -> None:
        poller = select.poll()
        poller.register(self.master, select.POLLIN)
        for fd in (control_fd, stdin_fd, wake_fd):
            poller.register(fd, select.POLLIN)
        if owner_fd is not None:
            poller.register(owner_fd, select.POLLIN)
        watched: set[int] = set()
        control_buf = b""
        while True:
            for pidfd in set(self.pidfds.values()) - watched:
                poller.register(pidfd, select.POLLIN)
                watched.add(pidfd)
            wait = self.next_wait()
            for fd, event in poller.poll(None if wait is None else int(wait * 1000) + 1):
                if fd == self.master:
                    if event & select.POLLOUT:
                        self.feed_input()
                    if event & (select.POLLIN | select.POLLHUP | select.POLLERR):
                        self.pump()
                    if not self.pty_open:
                        poller.unregister(self.master)
                    else:
                        poller.modify(self.master, select.POLLIN | self._want_out())
                elif fd == wake_fd:
                    signals = _drain(wake_fd)
                    self.reap()
                    if signal.SIGTERM in signals or signal.SIGHUP in signals:
                        self.request_kill(KillRequest(KillReason.SIGNAL, 3.0))
                elif fd == control_fd:
                    control_buf += _drain(control_fd)
                    *lines, control_buf = control_buf.split(b"\n")
                    for line in lines:
                        self.handle_control(line)
                    if len(control_buf) > 65536:  # no newline in sight: garbage
                        _log(f"ignored {len(control_buf):,} bytes of control input: no newline")
                        control_buf = b""
                elif fd == stdin_fd:
                    self.pending_input += _drain(stdin_fd)
                    self.feed_input()
                    if self.pty_open:
                        poller.modify(self.master, select.POLLIN | self._want_out())
                elif fd == owner_fd:
                    poller.unregister(owner_fd)
                    self.request_kill(KillRequest(KillReason.OWNER_EXIT, 1.0))
                elif fd in watched:
                    poller.unregister(fd)
                    watched.discard(fd)
                    os.close(fd)
                    self.pidfds = {p: f for p, f in self.pidfds.items() if f != fd}
            if self.pty_open and self.phase is not Phase.RUNNING:
                self.pump()
            if self.step():
                return

    def _want_out(self) -> int:
        return select.POLLOUT if self.pending_input else 0


def _log(message: str) -> None:
    """A line in ``supervisor.log`` (its stderr) — never an error of its own: on a full disk
    the line is lost, not the job."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"bgview supervisor: {message}\n")
        sys.stderr.flush()


def _drain(fd: int) -> bytes:
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return data
        if not chunk:
            return data
        data += chunk


def _watch_owner(request: Request) -> tuple[int | None, bool]:
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


def main(argv: list[str]) -> int:
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
    _become_subreaper()
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
    owner_fd, owner_gone = _watch_owner(request)
    if owner_gone:
        supervisor.request_kill(KillRequest(KillReason.OWNER_EXIT, 1.0))
    try:
        supervisor.run(control_fd, stdin_fd, wake_r, owner_fd)
    except BaseException as exc:
        supervisor.crashed(exc)
        raise  # the traceback goes to supervisor.log
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
