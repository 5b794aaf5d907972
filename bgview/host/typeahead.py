"""Type-ahead, as in bash: keys typed while a foreground command runs, and that it does not
read, are the next prompt's input; a command typed ahead with Enter runs after this one.

In bash the keys wait in the terminal until someone reads them. Here they go on to the job's
own pty (the job may want them: ``read``, a password prompt, ``less``), where whatever the job
leaves unread would vanish with it. So the shell holds the job's pty open from its side
(:class:`JobTerminal`) and watches the job's leader through a pidfd: when the leader exits,
what is still queued in the pty's input is taken back — then, nobody is left to read it — and
the shell stops reading keys, which stay in the user's terminal for the prompt. Keys that
were on their way to the job through its supervisor as the leader exited are picked up too,
until the pty closes. The prompt then reads all of them first, as if typed at it
(:meth:`bgview.host.prompt.ShellPrompt.type_ahead`).
"""

from __future__ import annotations

import contextlib
import os
import select
import stat
import termios
from pathlib import Path

PTS_MAJORS = range(136, 144)
"""Linux's Unix98 pty slaves (``/dev/pts/N``): majors 136 to 143, 256 minors each."""


class JobTerminal:
    """A foreground job's pty, opened from the shell's side, and a pidfd on the job's leader.

    :meth:`open` it once the job's pid is known; :attr:`leader` becomes readable when the
    leader exits; then :meth:`take_unread`; :meth:`close` in the end.
    """

    def __init__(self, fd: int, leader: int) -> None:
        self.fd = fd
        """The pty's slave side (``O_NOCTTY``: it never becomes the shell's terminal)."""
        self.leader = leader
        """A pidfd on the job's leader: readable once it has exited."""

    @classmethod
    def open(cls, pid: int, supervisor_pid: int | None) -> JobTerminal | None:
        """The terminal of the job led by ``pid``; ``None`` if its terminal is not a pty
        this shell may open. Raises :class:`ProcessLookupError` if the leader has gone
        already (or ``pid`` is no child of the job's supervisor: it was reused)."""
        leader = os.pidfd_open(pid)  # ProcessLookupError (ESRCH): gone already
        try:
            # The pidfd came first: if the process is ours now, it stays the one it names.
            fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
        except FileNotFoundError:  # exited, and reaped, since the pidfd was opened
            os.close(leader)
            raise ProcessLookupError(pid) from None
        if fields[0] == b"Z" or (supervisor_pid is not None and int(fields[1]) != supervisor_pid):
            os.close(leader)
            raise ProcessLookupError(pid)
        try:
            fd = _open_pts(int(fields[4]))
        except (OSError, LookupError):  # not a pty, or not ours to open
            os.close(leader)
            return None
        return cls(fd, leader)

    def leader_exited(self) -> bool:
        """Whether the leader has exited, asked now rather than when the loop gets to the
        pidfd: keys read in the same turn as its exit must not go to a pty nobody reads."""
        return bool(select.select([self.leader], [], [], 0)[0])

    def take_unread(self) -> bytes:
        """Everything queued in the pty's input that nobody read, half-typed lines included.

        The pty is left in non-canonical mode (its leader is gone, nobody else reads it):
        keys still on their way through the supervisor land there readable at once, for
        :meth:`read_late`, until the supervisor closes the pty.
        """
        try:
            attrs = termios.tcgetattr(self.fd)
            attrs[3] &= ~termios.ICANON
            attrs[6][termios.VMIN] = 0
            attrs[6][termios.VTIME] = 0
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        except termios.error:  # hung up: the supervisor closed the pty, the queue is gone
            return b""
        data = b""
        while chunk := _read(self.fd):
            data += chunk
        return data

    def read_late(self) -> bytes | None:
        """What arrived in the pty's input since :meth:`take_unread`; ``None`` once the pty
        is gone (it only wakes a reader then: no data and no end of file otherwise)."""
        data = b""
        while chunk := _read(self.fd):
            data += chunk
        return data or None

    def close(self) -> None:
        for fd in (self.fd, self.leader):
            with contextlib.suppress(OSError):
                os.close(fd)


def _open_pts(tty_nr: int) -> int:
    """Open the pty slave whose device number is ``tty_nr`` and check it is that device."""
    major, minor = os.major(tty_nr), os.minor(tty_nr)
    if major not in PTS_MAJORS:
        raise LookupError("no pty")
    path = f"/dev/pts/{(major - PTS_MAJORS.start) * 256 + minor}"
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    info = os.fstat(fd)
    if not stat.S_ISCHR(info.st_mode) or info.st_rdev != tty_nr:
        os.close(fd)
        raise LookupError("another device")
    return fd


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # nothing more (EAGAIN), or hung up meanwhile (EIO)
        return b""
