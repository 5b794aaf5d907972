"""Starting a command in a pty of its own: fork, new session, controlling terminal, exec.

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


def spawn(argv: list[str], cwd: str, mark: str, columns: int, rows: int) -> tuple[int, int, str]:
    """Fork and exec ``argv`` in a new pty; ``(pid, master, "")`` or ``(0, -1, reason)``."""
    master, slave = open_pty(columns, rows)
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(err_r)
        _exec_child(slave, master, err_w, argv, cwd, mark)
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
    slave: int, master: int, errpipe: int, argv: list[str], cwd: str, mark: str
) -> None:
    """In the forked child: new session, the pty as controlling terminal, then exec."""
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
        size = os.get_terminal_size(0)  # the pty's, as set by open_pty
        env["COLUMNS"], env["LINES"] = str(size.columns), str(size.lines)
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
