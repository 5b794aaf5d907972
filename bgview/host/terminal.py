"""The user's terminal while a foreground job owns it: keys pass through raw, output cooked.

Input goes raw (no echo, no line editing, no signals: Ctrl+C must reach the job's own pty as
``\\x03``, where the job's line discipline turns it into SIGINT for the job's foreground group).
Output post-processing stays on: job ptys are set up without ``OPOST``, so the log holds bare
``\\n`` and the user's terminal must add the ``\\r`` the job's own terminal would have added.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import shutil
import struct
import termios
from collections.abc import Iterator

_PRIVATE_MODE = re.compile(rb"\x1b\[\?([0-9;]+)([hl])")
RESTORE: dict[int, bytes] = {
    1049: b"\x1b[?1049l",  # the alternate screen (vim, less, htop) …
    1047: b"\x1b[?1047l",
    47: b"\x1b[?47l",
    1000: b"\x1b[?1000l",  # … mouse reporting …
    1002: b"\x1b[?1002l",
    1003: b"\x1b[?1003l",
    1006: b"\x1b[?1006l",
    1015: b"\x1b[?1015l",
    1004: b"\x1b[?1004l",  # … focus events …
}
"""Private modes a full-screen program turns on and must turn off; the sequence that does."""
_SHOWN_CURSOR = 25


class TerminalModes:
    """Follows the modes a foreground job's output switches on, so that the prompt can come
    back to a sane terminal when the job is sent to the background (or dies) while, say,
    ``less`` has the alternate screen and the mouse."""

    def __init__(self) -> None:
        self.on: set[int] = set()
        self.cursor_hidden = False

    def feed(self, data: bytes) -> None:
        if b"\x1b[?" not in data:
            return
        for match in _PRIVATE_MODE.finditer(data):
            enable = match.group(2) == b"h"
            for raw in match.group(1).split(b";"):
                if not raw.isdigit():
                    continue
                mode = int(raw)
                if mode == _SHOWN_CURSOR:
                    self.cursor_hidden = not enable
                elif mode in RESTORE:
                    (self.on.add if enable else self.on.discard)(mode)

    def restore(self) -> bytes:
        """The bytes that undo what is still switched on (empty when all is well)."""
        out = b"".join(RESTORE[mode] for mode in sorted(self.on, reverse=True))
        return out + (b"\x1b[?25h" if self.cursor_hidden else b"")


@contextlib.contextmanager
def keys_raw(fd: int) -> Iterator[None]:
    """Put ``fd`` (a tty) in raw input mode for the block; restore it however the block ends.

    Not a tty (tests piping input, a script): nothing to change.
    """
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    attrs = termios.tcgetattr(fd)
    iflag, lflag = 0, 3
    attrs[iflag] &= ~(
        termios.BRKINT | termios.ICRNL | termios.INPCK | termios.ISTRIP | termios.IXON
    )
    attrs[lflag] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN | termios.ISIG)
    attrs[6][termios.VMIN] = 1
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    try:
        yield
    finally:
        # TCSANOW, not TCSADRAIN: keys typed after the job ended stay queued for the prompt.
        # A terminal that went away meanwhile has no modes left to restore (EIO).
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSANOW, saved)


def window_size(fd: int) -> tuple[int, int]:
    """``(columns, rows)`` of the terminal on ``fd``, or of the environment's guess."""
    try:
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        rows = cols = 0
    if rows and cols:
        return cols, rows
    size = shutil.get_terminal_size()
    return size.columns, size.lines


def job_size(fd: int) -> tuple[int, int]:
    """The size a job's terminal takes from the terminal on ``fd``: its window's, brought into
    the range a job's terminal may have (a window 1,200 columns wide gives a job 1,000 columns
    rather than a refused size), as ``bgview run`` and attaching do (:func:`clamp_size`)."""
    from bgview.runtime.jobpty import clamp_size

    return clamp_size(*window_size(fd))


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to ``fd`` (a blocking terminal may take them in pieces)."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            # prompt_toolkit may have left stdout non-blocking: wait for room, then go on.
            select.select([], [fd], [], 1.0)
