"""The per-job supervisor: one small process per job, outliving whoever asked for the job.

It runs the command in its own pty and session (so it is the leader of its own process
group), copies every byte it writes to ``output.log``, enforces the timeout, carries out kill
requests (SIGTERM to the whole group, a grace period, then SIGKILL), ends the job when its
owner session ends, and records the final status. It holds ``supervisor.lock`` for as long as
it lives, which is how everyone else can tell a live supervisor from a vanished one.

Started as ``python -m bgview.runtime.supervisor JOB_DIR LOCK_FD``; stdlib only, so it starts
fast and stays small.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path
from typing import Any

from bgview.runtime import proc
from bgview.runtime.fsio import FILE_MODE, read_json, write_json_atomic
from bgview.runtime.journal import META, finalize
from bgview.runtime.logstate import DEFAULT_MAX_LOG, MIN_MAX_LOG, write_state

CHUNK = 65536
PTY_COLS, PTY_ROWS = 120, 40
EXIT_DRAIN = 0.5
"""Seconds the rest of the group gets to go after the leader exits (they were sent SIGHUP)."""
PR_SET_CHILD_SUBREAPER = 36
RESERVE = 64 * 1024
"""Bytes of disk set aside per job so that its final record can be written on a full disk."""


def _become_subreaper() -> None:
    """Adopt orphaned descendants so their zombies are reaped here, not left to a PID 1 that
    may never reap them (common in containers) — a zombie still counts as a group member."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _configure_pty(slave: int, columns: int = PTY_COLS, rows: int = PTY_ROWS) -> None:
    """No output post-processing (``\\n`` stays ``\\n``), and a sensible window size."""
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _winsize(meta: dict[str, Any]) -> tuple[int, int]:
    """The ``(columns, rows)`` the job asked for, else the default."""
    size = meta.get("winsize")
    if isinstance(size, list) and len(size) == 2 and all(isinstance(n, int) for n in size):
        columns, rows = size
        if 0 < columns <= 10_000 and 0 < rows <= 10_000:
            return columns, rows
    return PTY_COLS, PTY_ROWS


def _exec_child(slave: int, master: int, errpipe: int, argv: list[str], cwd: str) -> None:
    """In the forked child: new session, the pty as controlling terminal, then exec.

    A failure is written to ``errpipe`` (close-on-exec, so a successful exec closes it with
    nothing written: the parent learns the outcome from EOF or data, as ptyprocess does).
    """
    stage = "start"
    try:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        os.close(master)
        signal.set_wakeup_fd(-1)
        # Python ignores SIGPIPE and ignored signals survive exec: give the command defaults.
        for sig in (signal.SIGPIPE, signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        stage = "cwd"
        os.chdir(cwd)
        stage = "exec"
        env = dict(os.environ)
        env.setdefault("TERM", "xterm-256color")
        size = os.get_terminal_size(0)  # the pty's, as set by _configure_pty
        env["COLUMNS"], env["LINES"] = str(size.columns), str(size.lines)
        os.execvpe(argv[0], argv, env)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.write(errpipe, f"{stage}:{exc.errno}:{exc.strerror}".encode())
    finally:
        os._exit(127)


def _failure_reason(report: bytes, argv: list[str], cwd: str) -> str:
    stage, _, rest = report.decode("utf-8", "replace").partition(":")
    code, _, message = rest.partition(":")
    if stage == "cwd":
        return f"cannot use working directory {cwd}: {message}"
    if stage == "exec" and code.isdigit() and int(code) == errno.ENOENT:
        return f"command not found: {argv[0]}"
    if stage == "exec":
        return f"cannot run {argv[0]}: {message}"
    return f"could not start: {message}"


class Supervisor:
    """The event loop of one job: pty output, signals, control requests, deadlines."""

    def __init__(self, job_dir: Path, meta: dict[str, Any]) -> None:
        self.job_dir = job_dir
        self.meta = meta
        self.argv: list[str] = list(meta["argv"])
        self.cwd: str = meta.get("cwd") or os.getcwd()
        self.max_log = max(int(meta.get("max_log") or DEFAULT_MAX_LOG), MIN_MAX_LOG)
        self.log_fd = os.open(
            job_dir / "output.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE
        )
        self.log_size = os.fstat(self.log_fd).st_size
        self.dropped = 0
        self.gen = 0
        self.written = 0
        self.lost_at: int | None = None
        self.reserve = job_dir / ".reserve"
        _make_reserve(self.reserve)
        self.next_log_check = 0.0
        self.pid = 0
        self.leader_status: int | None = None
        self.pty_open = True
        self.kill_by: str | None = None
        self.kill_deadline: float | None = None
        self.sigkill_sent = False
        self.exit_deadline: float | None = None
        timeout = meta.get("timeout")
        self.timeout_at = time.monotonic() + float(timeout) if timeout else None
        self.pending_input = b""

    # ---- start -------------------------------------------------------------------------------

    def start(self) -> bool:
        """Fork and exec the command; ``False`` (and a ``failed`` record) if it cannot start."""
        master, slave = os.openpty()
        _configure_pty(slave, *_winsize(self.meta))
        err_r, err_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(err_r)
            _exec_child(slave, master, err_w, self.argv, self.cwd)
        os.close(err_w)
        os.close(slave)
        report = b""
        while chunk := os.read(err_r, 1024):
            report += chunk
        os.close(err_r)
        if report:
            os.waitpid(pid, 0)
            os.close(master)
            with contextlib.suppress(OSError):
                os.unlink(self.reserve)
            finalize(
                self.job_dir,
                {
                    "status": "failed",
                    "reason": _failure_reason(report, self.argv, self.cwd),
                    "ended_at": time.time(),
                },
            )
            return False
        self.pid = pid
        self.master = master
        os.set_blocking(master, False)
        self.meta.update(
            pid=pid, pid_start=proc.start_time(pid), supervisor_pid=os.getpid(), pgid=pid
        )
        write_json_atomic(self.job_dir / META, self.meta)
        return True

    # ---- output ------------------------------------------------------------------------------

    def pump(self) -> None:
        """Copy what the pty has to the log; stop at EAGAIN (or after a bounded burst, so
        control requests are still seen under a firehose).

        A pty read gives at most 4 KiB (the line discipline's buffer), so reads are gathered
        and written in batches of up to :data:`CHUNK`: one ``write`` per sixteen reads
        instead of one each (under a firehose those writes were a fifth of its system time).
        """
        self.check_log_file()
        batch: list[bytes] = []
        size = 0
        try:
            for _ in range(256):
                try:
                    # Never more than CHUNK in a batch: the log may pass its cap by one
                    # batch at most.
                    data = os.read(self.master, CHUNK - size)
                except BlockingIOError:
                    return
                except OSError as exc:
                    if exc.errno == errno.EIO:  # every holder of the pty's other end is gone
                        self.pty_open = False
                        return
                    raise
                if not data:
                    self.pty_open = False
                    return
                batch.append(data)
                size += len(data)
                if size >= CHUNK:
                    self.write_log(b"".join(batch))
                    batch.clear()
                    size = 0
        finally:
            if batch:
                self.write_log(b"".join(batch))

    def check_log_file(self) -> None:
        """Twice a second, make sure ``output.log`` is still the file we write: if someone
        deleted or replaced it, new output goes to a fresh ``output.log`` rather than to an
        unlinked inode where no reader will ever find it."""
        now = time.monotonic()
        if now < self.next_log_check:
            return
        self.next_log_check = now + 0.5
        st = os.fstat(self.log_fd)
        if st.st_nlink > 0:
            self.log_size = st.st_size  # also notices a truncation by hand
            return
        with contextlib.suppress(OSError):
            fd = os.open(
                self.job_dir / "output.log",
                os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                FILE_MODE,
            )
            os.close(self.log_fd)
            self.log_fd = fd
            self.log_size = os.fstat(fd).st_size

    def write_log(self, data: bytes) -> None:
        if self.lost_at is not None:  # the disk is full: the job runs on, its output is dropped
            self.written += len(data)
            return
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.log_fd, view)
            except OSError as exc:
                if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO):
                    raise
                self.note_lost(exc)
                self.written += len(view)
                return
            view = view[n:]
            self.written += n
            self.log_size += n
        if self.log_size > self.max_log:
            self.trim()

    def note_lost(self, exc: OSError) -> None:
        """The disk refused the output: keep the job running, and say what was lost."""
        if self.lost_at is not None:
            return
        self.lost_at = self.dropped + self.log_size
        # Free the space set aside at start, so this record and the final one can be written.
        with contextlib.suppress(OSError):
            os.unlink(self.reserve)
        self.meta["output_lost"] = (
            f"output from byte {self.lost_at} on could not be written: {exc.strerror}"
        )
        with contextlib.suppress(OSError):
            write_json_atomic(self.job_dir / META, self.meta)

    def trim(self) -> None:
        """Keep the newest half of the cap, drop the rest (see :mod:`logstate`)."""
        keep = self.max_log // 2
        cut = self.log_size - keep
        tmp = self.job_dir / ".output.log.trim"
        # Not O_APPEND yet: copy_file_range refuses an append-mode destination (EBADF).
        new_fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE
        )
        src = os.open(self.job_dir / "output.log", os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            # Cut at a line start when one is near, so readers never begin mid-line.
            newline = os.pread(src, min(CHUNK, keep), cut).find(b"\n")
            if newline >= 0:
                cut += newline + 1
            offset = cut
            while offset < self.log_size:
                n = os.copy_file_range(src, new_fd, self.log_size - offset, offset)
                if n == 0:
                    break
                offset += n
        finally:
            os.close(src)
        fcntl.fcntl(new_fd, fcntl.F_SETFL, fcntl.fcntl(new_fd, fcntl.F_GETFL) | os.O_APPEND)
        self.gen += 1
        write_state(self.job_dir, self.gen, self.dropped)
        os.replace(tmp, self.job_dir / "output.log")
        os.close(self.log_fd)
        self.log_fd = new_fd
        self.dropped += cut
        self.log_size -= cut
        self.gen += 1
        write_state(self.job_dir, self.gen, self.dropped)
        self.meta["dropped_bytes"] = self.dropped
        write_json_atomic(self.job_dir / META, self.meta)

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

    # ---- ending --------------------------------------------------------------------------------

    def request_kill(self, by: str, grace: float) -> None:
        """SIGTERM to the whole group now, SIGKILL when the grace runs out."""
        now = time.monotonic()
        if self.kill_by is None:
            self.kill_by = by
        deadline = now + max(0.0, grace)
        if self.kill_deadline is None or deadline < self.kill_deadline:
            self.kill_deadline = deadline
        for pgid in self.groups():
            proc.signal_group(pgid, signal.SIGTERM)
            proc.signal_group(pgid, signal.SIGCONT)  # a stopped job must wake to die
        if grace <= 0:
            self.hard_kill()

    def hard_kill(self) -> None:
        self.sigkill_sent = True
        for pgid in self.groups():
            proc.signal_group(pgid, signal.SIGKILL)

    def groups(self) -> set[int]:
        """The job's group, plus the pty's foreground group if a shell inside made another."""
        groups = {self.pid}
        if self.pty_open:
            with contextlib.suppress(OSError):
                fg = os.tcgetpgrp(self.master)
                if fg > 0 and fg != os.getpgrp():
                    groups.add(fg)
        return groups

    def reap(self) -> None:
        """Collect every finished child (we are a subreaper); remember the leader's status."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.pid:
                self.leader_status = status
                if self.exit_deadline is None:
                    self.exit_deadline = time.monotonic() + EXIT_DRAIN

    def done(self) -> bool:
        """The job is over once its leader is reaped and no process of its group remains."""
        if self.leader_status is None:
            return False
        return not proc.group_exists(self.pid)

    def result(self) -> dict[str, Any]:
        status = self.leader_status or 0
        fields: dict[str, Any] = {"ended_at": time.time()}
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        if self.kill_by == "timeout":
            fields.update(status="timeout", killed_by="timeout")
        elif self.kill_by is not None:
            fields.update(status="killed", killed_by=self.kill_by)
            if self.kill_by == "owner-exit":
                fields["reason"] = f"its session (pid {self.meta.get('owner_pid')}) ended"
        elif sig is not None:
            fields.update(status="killed")
        else:
            fields.update(status="exited")
        fields["exit_code"] = code
        if sig is not None:
            fields["signal"] = proc.signal_name(sig)
        elif self.kill_by is not None:
            # It handled our signal and exited by itself: record the signal we sent.
            fields["signal"] = "SIGKILL" if self.sigkill_sent else "SIGTERM"
        if self.dropped:
            fields["dropped_bytes"] = self.dropped
        if "output_lost" in self.meta:
            fields["output_lost"] = self.meta["output_lost"]
        return fields

    # ---- the loop ------------------------------------------------------------------------------

    def run(self, control_fd: int, stdin_fd: int, wake_fd: int, owner_fd: int | None) -> None:
        poller = select.poll()
        poller.register(self.master, select.POLLIN)
        poller.register(control_fd, select.POLLIN)
        poller.register(stdin_fd, select.POLLIN)
        poller.register(wake_fd, select.POLLIN)
        if owner_fd is not None:
            poller.register(owner_fd, select.POLLIN)
        control_buf = b""
        while True:
            wait = self.next_wait()
            for fd, event in poller.poll(None if wait is None else max(0, int(wait * 1000) + 1)):
                if fd == self.master:
                    if event & select.POLLOUT:
                        self.feed_input()
                    if event & (select.POLLIN | select.POLLHUP | select.POLLERR):
                        self.pump()
                    if not self.pty_open:
                        poller.unregister(self.master)
                    elif self.pending_input:
                        poller.modify(self.master, select.POLLIN | select.POLLOUT)
                    else:
                        poller.modify(self.master, select.POLLIN)
                elif fd == wake_fd:
                    signals = _drain(wake_fd)
                    self.reap()
                    if signal.SIGTERM in signals or signal.SIGHUP in signals:
                        self.request_kill("signal", 3.0)
                elif fd == control_fd:
                    control_buf += _drain(control_fd)
                    *lines, control_buf = control_buf.split(b"\n")
                    for line in lines:
                        self.handle_control(line)
                elif fd == stdin_fd:
                    self.pending_input += _drain(stdin_fd)
                    self.feed_input()
                    if self.pending_input and self.pty_open:
                        poller.modify(self.master, select.POLLIN | select.POLLOUT)
                elif fd == owner_fd:
                    poller.unregister(owner_fd)
                    self.request_kill("owner-exit", 1.0)
            if self.check_deadlines():
                return

    def next_wait(self) -> float | None:
        now = time.monotonic()
        deadlines = [d for d in (self.timeout_at, self.kill_deadline) if d is not None]
        if self.sigkill_sent and self.kill_deadline is not None:
            deadlines.remove(self.kill_deadline)
        if self.leader_status is not None:
            deadlines.append(now + 0.01)  # watch the rest of the group go
        return max(0.0, min(deadlines) - now) if deadlines else None

    def check_deadlines(self) -> bool:
        """Act on what is due; ``True`` when the job is over and recorded."""
        now = time.monotonic()
        if self.timeout_at is not None and now >= self.timeout_at and self.kill_by is None:
            self.request_kill("timeout", 3.0)
        if self.kill_deadline is not None and now >= self.kill_deadline and not self.sigkill_sent:
            self.hard_kill()
        if self.leader_status is None:
            return False
        if self.pty_open:
            self.pump()
        if self.exit_deadline is not None and now >= self.exit_deadline and not self.sigkill_sent:
            # The leader is gone and the kernel sent the rest SIGHUP; what ignored it goes now.
            self.hard_kill()
        if not self.done():
            return False
        if self.pty_open:
            self.pump()  # what the last processes wrote just before they went
        # The reserve goes first: once the final status is visible, nothing else changes.
        with contextlib.suppress(OSError):
            os.unlink(self.reserve)
        finalize(self.job_dir, {**self.result(), "pid_start": self.meta.get("pid_start")})
        return True

    def crashed(self, exc: BaseException) -> None:
        """A bug or an unexpected error in this loop: take the job down with us (nothing may
        run unsupervised) and record it ``lost`` with the reason."""
        with contextlib.suppress(OSError):
            self.hard_kill()
        with contextlib.suppress(OSError):
            os.unlink(self.reserve)
        with contextlib.suppress(OSError):
            finalize(
                self.job_dir,
                {
                    "status": "lost",
                    "reason": f"its supervisor failed: {exc!r}"[:500],
                    "ended_at": time.time(),
                },
            )

    def handle_control(self, line: bytes) -> None:
        try:
            request = json.loads(line)
        except ValueError:
            return
        if isinstance(request, dict) and request.get("op") == "kill":
            grace = request.get("grace", 3.0)
            self.request_kill(str(request.get("by") or "user"), float(grace))
        elif isinstance(request, dict) and request.get("op") == "resize" and self.pty_open:
            size = [request.get("columns"), request.get("rows")]
            columns, rows = _winsize({"winsize": size})
            if [columns, rows] == size:  # a size that makes sense (else the request is ignored)
                # Setting the size makes the kernel send SIGWINCH to the pty's foreground group.
                with contextlib.suppress(OSError):
                    winsize = struct.pack("HHHH", rows, columns, 0, 0)
                    fcntl.ioctl(self.master, termios.TIOCSWINSZ, winsize)


def _make_reserve(path: Path) -> None:
    """Set a little disk space aside (freed when the disk fills) for the job's records."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
        try:
            os.write(fd, bytes(RESERVE))
        finally:
            os.close(fd)


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


def _watch_owner(meta: dict[str, Any]) -> tuple[int | None, bool]:
    """A pidfd that becomes readable when the owner session ends; ``(None, True)`` if it
    already has (or is not the process that started the job any more)."""
    owner = meta.get("owner_pid")
    if not owner or meta.get("keep"):
        return None, False
    if not proc.is_same_process(int(owner), meta.get("owner_start")):
        return None, True
    try:
        return os.pidfd_open(int(owner)), False
    except ProcessLookupError:
        return None, True


def main(argv: list[str]) -> int:
    job_dir = Path(argv[1])
    lock_fd = int(argv[2])
    os.set_inheritable(lock_fd, False)  # the command must not hold our liveness lock
    meta = read_json(job_dir / META)
    if meta is None:
        return 2
    _become_subreaper()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # FIFOs opened read-write: we never see EOF when a writer closes, and never block.
    control_fd = os.open(job_dir / "control", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    stdin_fd = os.open(job_dir / "stdin", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    supervisor = Supervisor(job_dir, meta)
    if not supervisor.start():
        return 0
    owner_fd, owner_gone = _watch_owner(meta)
    if owner_gone:
        supervisor.request_kill("owner-exit", 1.0)
    try:
        supervisor.run(control_fd, stdin_fd, wake_r, owner_fd)
    except BaseException as exc:
        supervisor.crashed(exc)
        raise  # the traceback goes to supervisor.log
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
