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
import shutil
import struct
import termios
from collections.abc import Iterator


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


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to ``fd`` (a blocking terminal may take them in pieces)."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            # prompt_toolkit may have left stdout non-blocking: wait for room, then go on.
            import select

            select.select([], [fd], [], 1.0)
