"""A job's terminal from outside its supervisor: how big it is, whether it echoes, and the
sizes users give for it.

The viewer's input box must know whether what is typed will be echoed (a password prompt turns
echo off); attaching must know the job's terminal size now, to give it back on detaching. Both
are the pty's own state, so they are read from the pty itself, not guessed from the output:
the supervisor leads a session whose controlling terminal is the job's pty (the command's
leader has it as its terminal in every case), so ``/proc/PID/stat`` names the device, and
opening that ``/dev/pts/N`` with ``O_NOCTTY`` reads its termios and window size without
changing anything for the job. The device opened is checked to be the one named, and the
process to be the job's own (its recorded start time): a reused PID or pty number is never
read as the job's.

Stdlib only: ``bgview run`` takes the caller's terminal size from here.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import stat
import struct
import termios
from dataclasses import dataclass

from bgview.runtime.errors import InvalidRequest
from bgview.runtime.model import Job
from bgview.runtime.record import MAX_COLUMNS, MAX_ROWS, MIN_SIDE, check_winsize

DEFAULT_SIZE = (120, 40)
"""A job's terminal when the terminal that started it has no size (no terminal at all)."""
PTS_MAJORS = range(136, 144)
"""Linux's Unix98 pty slaves (``/dev/pts/N``): majors 136 to 143, 256 minors each."""
_SIZE = re.compile(r"\s*(\d{1,9})\s*[x×X]\s*(\d{1,9})\s*")


def parse_size(text: str) -> tuple[int, int]:
    """``"120x40"`` → ``(120, 40)``; :class:`InvalidRequest` in one line for anything else."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise InvalidRequest(
            f"not a terminal size: {text[:40]!r} (COLUMNSxROWS, like 120x40)"
        ) from None
    try:
        return check_winsize(int(match.group(1)), int(match.group(2)))
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


def clamp_size(columns: int, rows: int) -> tuple[int, int]:
    """A real window's size brought into the range a job's terminal may have (a window wider
    than :data:`MAX_COLUMNS` still attaches, at the widest size allowed)."""
    return (
        min(max(columns, MIN_SIDE), MAX_COLUMNS),
        min(max(rows, MIN_SIDE), MAX_ROWS),
    )


def window_size(fd: int) -> tuple[int, int] | None:
    """``(columns, rows)`` of the terminal on ``fd``; ``None`` if it is none or has no size."""
    try:
        rows, columns, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return None
    return (columns, rows) if columns and rows else None


def caller_size() -> tuple[int, int]:
    """The size of the terminal this process was started from (its stdin, stdout or stderr,
    the first that is a terminal with a size), in range; else :data:`DEFAULT_SIZE`."""
    for fd in (0, 1, 2):
        size = window_size(fd)
        if size is not None:
            return clamp_size(*size)
    return DEFAULT_SIZE


@dataclass(frozen=True, slots=True)
class TtyMode:
    """A job's terminal as it is set now."""

    echo: bool
    """Typed characters are echoed (off at a password prompt)."""
    canonical: bool
    """Input is read a line at a time (off for a full-screen program or a raw REPL)."""
    columns: int
    rows: int


def tty_mode(job: Job) -> TtyMode | None:
    """How ``job``'s terminal is set now; ``None`` once it has ended, or if its terminal
    cannot be found or opened (not a Linux pty, or not this user's)."""
    if not job.running:
        return None
    for pid, start in ((job.supervisor_pid, job.supervisor_start), (job.pid, None)):
        if pid is None:
            continue
        fd = _open_terminal(pid, start)
        if fd is None:
            continue
        try:
            attrs = termios.tcgetattr(fd)
            size = window_size(fd) or DEFAULT_SIZE
        except termios.error:  # hung up meanwhile: the job is ending
            return None
        finally:
            os.close(fd)
        lflag = attrs[3]
        return TtyMode(bool(lflag & termios.ECHO), bool(lflag & termios.ICANON), *size)
    return None


def _open_terminal(pid: int, start: int | None) -> int | None:
    """The controlling terminal of ``pid`` (the process that started at ``start``, when
    given), opened read-only without becoming ours; ``None`` if it has none we may open."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    if len(fields) < 20 or (start is not None and fields[19] != str(start).encode()):
        return None
    tty_nr = int(fields[4])
    major, minor = os.major(tty_nr), os.minor(tty_nr)
    if major not in PTS_MAJORS:
        return None
    path = f"/dev/pts/{(major - PTS_MAJORS.start) * 256 + minor}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with contextlib.suppress(OSError):
        info = os.fstat(fd)
        if stat.S_ISCHR(info.st_mode) and info.st_rdev == tty_nr:
            return fd
    os.close(fd)
    return None


__all__ = [
    "DEFAULT_SIZE",
    "TtyMode",
    "caller_size",
    "clamp_size",
    "parse_size",
    "tty_mode",
    "window_size",
]
