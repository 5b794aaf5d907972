"""Starting a command in a pty of its own: fork, its own process group in the pty's
foreground, exec.

The pty is the controlling terminal of the caller (the supervisor, which leads a session of
its own), not of the command: the command is no session leader, so when it exits the kernel
neither hangs up its terminal nor sends SIGHUP to what it left running. A background child
that writes after its parent's exit (``(sleep 1; echo late) & echo early``) goes on writing,
and is captured, as it would in a terminal; the supervisor decides when it ends.

As ptyprocess does, a failed ``exec`` is reported through a close-on-exec pipe: a successful
exec closes it with nothing written, a failure writes the stage and the errno. Stdlib only.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import struct
import termios

from bgview.runtime.tree import MARK, SUPERVISOR

PTY_COLS, PTY_ROWS = 120, 40


def open_pty(columns: int, rows: int) -> tuple[int, int]:
    """``(master, slave)`` with no output post-processing (``\\n`` stays ``\\n``) and the
    job's window size."""
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    set_winsize(slave, columns, rows)
    return master, slave


def set_winsize(fd: int, columns: int, rows: int) -> None:
    """Set the pty's size; the kernel sends SIGWINCH to its foreground group."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _take_terminal(slave: int) -> bool:
    """Make the pty the calling process's controlling terminal; ``False`` if it cannot be
    (the caller leads no session, or already has a terminal)."""
    try:
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    except OSError:
        return False
    return True


def spawn(argv: list[str], cwd: str, mark: str, columns: int, rows: int) -> tuple[int, int, str]:
    """Fork and exec ``argv`` in a new pty; ``(pid, master, "")`` or ``(0, -1, reason)``.

    The command leads a process group of its own (its PID), in the pty's foreground. The pty
    is the caller's controlling terminal; where it cannot be, the command leads a session of
    its own instead (and its exit then hangs up the terminal).
    """
    master, slave = open_pty(columns, rows)
    shared = _take_terminal(slave)
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(err_r)
        _exec_child(slave, master, err_w, argv, cwd, mark, shared)
    os.close(err_w)
    os.close(slave)
    report = b""
    while chunk := os.read(err_r, 1024):
        report += chunk
    os.close(err_r)
    if report:
        os.waitpid(pid, 0)
        os.close(master)
        return 0, -1, failure_reason(report, argv, cwd)
    return pid, master, ""


def _exec_child(
    slave: int, master: int, errpipe: int, argv: list[str], cwd: str, mark: str, shared: bool
) -> None:
    """In the forked child: a group of its own in the terminal's foreground (or, when the
    terminal is not the parent's, a session of its own with the pty as its terminal), exec."""
    stage = "start"
    try:
        if shared:
            os.setpgid(0, 0)
            # Taking the foreground from a background group would stop us with SIGTTOU.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTTOU})
            os.tcsetpgrp(slave, os.getpid())
        else:
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
        # No COLUMNS or LINES, as in a tmux pane: the pty's size is the one to read, and it
        # changes (a terminal attached); curses prefers them to it and would never follow.
        env.pop("COLUMNS", None)
        env.pop("LINES", None)
        env[MARK] = mark  # every process of the job inherits it: see bgview.runtime.tree
        env.pop(SUPERVISOR, None)  # that is the supervisor's own, not its job's
        os.execvpe(argv[0], argv, env)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.write(errpipe, f"{stage}:{exc.errno}:{exc.strerror}".encode())
    finally:
        os._exit(127)


def failure_reason(report: bytes, argv: list[str], cwd: str) -> str:
    stage, _, rest = report.decode("utf-8", "replace").partition(":")
    code, _, message = rest.partition(":")
    if stage == "cwd":
        return f"cannot use working directory {cwd}: {message}"
    if stage == "exec" and code.isdigit() and int(code) == errno.ENOENT:
        return f"command not found: {argv[0]}"
    if stage == "exec":
        return f"cannot run {argv[0]}: {message}"
    return f"could not start: {message}"
