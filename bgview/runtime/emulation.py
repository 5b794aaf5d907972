"""A cursor read's terminal, carried from one read to the next.

A cleaned read (:func:`bgview.runtime.output.scan`) goes through the log a block at a time.
A block that needs no terminal (:func:`~bgview.runtime.clean.plain_text`) is cleaned on the
fast path and costs nothing more; the first block that does starts a terminal of the job's
size (:class:`~bgview.runtime.screen.Terminal`), which then reads on until it is *settled*
(nothing on screen can change how plain lines read: see ``Terminal.settled``) and plain output
comes again. The lines it gives are final lines only, each once (a line becomes final when it
leaves the screen or the program's reach, and at the job's end); a full-screen program is
given as its current screen, after a one-line note.

Reads are incremental, so the terminal's state must go on from where the last read stopped.
What a read leaves is saved beside the consumer's cursor (``cursors/NAME+screen``: ``+`` is in
no consumer's name), a few KB: the screen, the cursor, the program's reach, and any final lines
the read's character cap kept back. It is valid only for the offset it names; without a valid
one (the first read that meets such output, a cursor moved by ``skip_to``, a file the disk had
no room for) the terminal is rebuilt from the last 64 KiB before the read starts, every row of
it taken as already given: only what comes after is new.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bgview.runtime.clean import needs_cleaning, plain_text
from bgview.runtime.fsio import FULL_DISK, open_private, read_json
from bgview.runtime.ptyexec import PTY_COLS, PTY_ROWS

if TYPE_CHECKING:
    from bgview.runtime.screen import Terminal

SEED_BYTES = 64 * 1024
"""How much output before a read's start rebuilds a terminal that was not saved."""
FEED_CHUNK = 16 * 1024
"""The terminal is fed this much at a time, so that the lines a read's cap keeps back (saved
with the terminal) stay few."""
SUFFIX = "+screen"
_MAGIC = b"bgview-screen 1"


@dataclass(frozen=True)
class Saved:
    """A terminal's state after reading up to a logical offset."""

    offset: int
    data: bytes
    """:meth:`Terminal.dump`'s output."""
    screen_due: bool = False
    """A full-screen program's screen changed but did not fit in the last read."""


class Sink(Protocol):
    """Where a read's lines go: ``offer`` takes the first lines that fit (filtered), and says
    how many it took; ``show`` takes a full-screen program's screen whole, or not at all."""

    def offer(self, lines: list[str]) -> int: ...
    def show(self, note: str, lines: list[str]) -> bool: ...


class Emulation:
    """The terminal of one read (see the module docstring)."""

    def __init__(self, fd: int, saved: Saved | None, size: Callable[[], tuple[int, int]]) -> None:
        self.fd = fd
        self._size = size
        self._columns_rows: tuple[int, int] | None = None
        self.term: Terminal | None = None
        self.screen_due = False
        self.fed = False
        """Output reached the terminal in this read (a full-screen program's screen is
        shown again only then)."""
        self.releasing = False
        """The terminal is settled and plain output follows: once its last lines are taken,
        it goes."""
        self._tail: tuple[bytes, int, int] | None = None
        """The last plain block read (``data[:end]`` at physical ``start``): what a terminal
        is rebuilt from."""
        self._loaded = saved.data if saved is not None else None
        if saved is not None:
            from bgview.runtime.screen import Terminal

            try:
                self.term = Terminal.load(saved.data)
                self.screen_due = saved.screen_due
            except ValueError:
                self.term = None

    @property
    def size(self) -> tuple[int, int]:
        """``(columns, rows)`` of the job's terminal (read once, when first needed)."""
        if self._columns_rows is None:
            self._columns_rows = self._size()
        return self._columns_rows

    def classify(self, block: bytes, end: int, plain: bool = False) -> bool | str:
        """How ``block[:end]`` is read: ``True`` through the terminal; ``False`` as it is (no
        cleaning needed); or its cleaned text. ``plain``: the log's map already says the whole
        block is plain ASCII (:mod:`~bgview.runtime.dirtymap`). A settled terminal is released
        here."""
        if self.term is not None and not self.term.settled:
            return True
        cleaned: bool | str = False
        if not plain and needs_cleaning(block):  # the whole block: quicker than a copy, and as good
            text = plain_text(block[:end], self.size[0])
            if text is None:
                return True
            cleaned = text
        if self.term is not None and not self.releasing:
            self.term.settle(everything_above=True)
            self.releasing = True
        return cleaned

    def plain_read(self, block: bytes, end: int, start: int) -> None:
        """``block[:end]``, at physical offset ``start``, was read without the terminal."""
        self._tail = (block, end, start)

    def feed(self, block: bytes, end: int, pos: int, final: bool, sink: Sink) -> int:
        """Feed ``block[:end]`` (at physical offset ``pos``) to the terminal, giving ``sink``
        the lines that become final as they come; how many bytes were fed (fewer than
        ``end`` when the sink is full: the rest is for the next read)."""
        if not final and block[end - 1 : end] != b"\n":
            # A line too long to wait for: stop at its last \r, where a rewrite starts, so
            # that no escape or character is cut in two between reads.
            end = block.rfind(b"\r", 0, end) + 1 or end
        at = 0
        while at < end:
            stop = end
            if end - at > FEED_CHUNK:
                stop = block.rfind(b"\n", at, at + FEED_CHUNK) + 1
                if stop <= at:
                    stop = block.find(b"\n", at + FEED_CHUNK, end) + 1 or end
            self._write(block[at:stop], pos + at)
            at = stop
            if not self.drain(sink):
                break
        return at

    def _write(self, data: bytes, pos: int) -> None:
        if self.term is None:
            self.term = self._rebuild(pos)
        self.releasing = False
        self.fed = True
        self.term.feed(data.decode("utf-8", "replace"))

    def _rebuild(self, pos: int) -> Terminal:
        """A terminal showing what the output before physical offset ``pos`` left on screen,
        all of it taken as given already."""
        from bgview.runtime.screen import Terminal

        term = Terminal(*self.size)
        if self._tail is not None:
            block, end, start = self._tail
            seed = block[max(0, end - SEED_BYTES) : end]
            whole = start == 0 and end <= SEED_BYTES
        else:
            start = max(0, pos - SEED_BYTES)
            seed = os.pread(self.fd, pos - start, start) if self.fd >= 0 and pos else b""
            whole = start == 0
        if not whole:
            seed = seed[seed.find(b"\n") + 1 :]  # from a line's start
        if seed:
            term.feed(seed.decode("utf-8", "replace"))
            term.mark_all_emitted()
        return term

    def drain(self, sink: Sink) -> bool:
        """Give ``sink`` the final lines waiting; ``False`` if some did not fit."""
        if self.term is None:
            return True
        pending = self.term.pending
        if pending:
            del pending[: sink.offer(pending)]
            if pending:
                return False
        if self.releasing:
            self.term = None
            self.releasing = False
        return True

    def finish(self, final: bool, sink: Sink) -> bool:
        """At the end of a read: the rows out of reach (every row, at the job's end), then a
        full-screen program's screen. ``False`` if some did not fit."""
        if self.term is None:
            return True
        self.term.settle(final=final)
        if not self.drain(sink) or self.term is None:
            return self.term is None
        if self.term.full_screen and (self.fed or self.screen_due):
            from bgview.runtime.screen import FULL_SCREEN_NOTE

            self.screen_due = not sink.show(FULL_SCREEN_NOTE, self.term.current())
            return not self.screen_due
        self.screen_due = False
        return True

    def save(self, offset: int) -> Saved | None:
        """The state to go on from at logical ``offset``; ``None`` with no terminal."""
        if self.term is None:
            return None
        return Saved(offset, self.term.dump(), self.screen_due)


# ---- beside the cursor ---------------------------------------------------------------------


def saved_path(cursor: Path) -> Path:
    return cursor.with_name(cursor.name + SUFFIX)


def load_saved(cursor: Path) -> Saved | None:
    """The terminal saved beside ``cursor``; ``None`` if there is none or it is damaged."""
    try:
        fd = open_private(saved_path(cursor), os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        data = os.read(fd, 1 << 22)
    except OSError:
        return None
    finally:
        os.close(fd)
    head, _, body = data.partition(b"\n")
    fields = head.split()
    if head[: len(_MAGIC)] != _MAGIC or len(fields) != 5:
        return None
    try:
        offset, due, length = (int(f) for f in fields[2:])
    except ValueError:
        return None
    if length != len(body):
        return None  # torn: a write that did not finish
    return Saved(offset, body, bool(due))


def store_saved(cursor: Path, saved: Saved | None, before: Saved | None) -> None:
    """Keep ``saved`` beside ``cursor`` (or remove what is there when there is no terminal).
    Rewritten in place, then cut to its length; a disk with no room leaves the old state,
    which names another offset and so is not used: the next read rebuilds its terminal."""
    path = saved_path(cursor)
    if saved is None:
        if before is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        return
    if saved == before:
        return
    data = b"%s %d %d %d\n%s" % (
        _MAGIC,
        saved.offset,
        saved.screen_due,
        len(saved.data),
        saved.data,
    )
    try:
        fd = open_private(path, os.O_RDWR | os.O_CREAT)
    except OSError as exc:
        if exc.errno in FULL_DISK:
            return
        raise
    try:
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
    except OSError as exc:
        if exc.errno not in FULL_DISK and exc.errno != errno.EFBIG:
            raise
    finally:
        os.close(fd)


def job_size(job_dir: Path) -> tuple[int, int]:
    """``(columns, rows)`` of a job's pty, from its request (``meta.json``'s ``winsize``)."""
    meta = read_json(job_dir / "meta.json") or {}
    size = meta.get("winsize")
    if isinstance(size, list) and len(size) == 2 and all(type(n) is int for n in size):
        columns, rows = size
        if 2 <= columns <= 1000 and 2 <= rows <= 1000:
            return columns, rows
    return PTY_COLS, PTY_ROWS
