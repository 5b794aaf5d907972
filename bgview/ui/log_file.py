"""A job's log file read by logical byte offset: what the log view draws from, without Textual.

Offsets are logical (bytes since the job started); the runtime's size cap may drop the oldest
bytes and swap the file underneath at any time, announced in ``log.state``
(:mod:`bgview.runtime.logstate`). Reads here never mix two versions of the file: the drawing
path makes one attempt and says "not now" while a swap is under way (it must not wait in the UI
thread), the rest waits for it as ``consistent_read`` does.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bgview.runtime.logstate import consistent_read, open_log
from bgview.ui.ansi import MAX_LINE_BYTES
from bgview.ui.log_index import LineIndex

T = TypeVar("T")


class LogGone(Exception):
    """The job's log (or its whole directory) is gone."""


class LogFile:
    """One job's ``output.log``, by logical offset."""

    def __init__(self, job_dir: Path) -> None:
        self.job_dir = job_dir

    @property
    def name(self) -> str:
        return self.job_dir.name

    def attempt(self, read: Callable[[int, int], T]) -> T | None:
        """``read(fd, dropped)`` once, consistently; ``None`` while the size cap swaps the file.

        ``fd`` is -1 when there is no log file.
        """
        if not self.job_dir.is_dir():
            raise LogGone(f"{self.name} is gone: its directory was deleted")
        opened = open_log(self.job_dir)
        if opened is None:
            return None
        fd, dropped = opened
        try:
            return read(fd, dropped)
        finally:
            if fd >= 0:
                os.close(fd)

    def consistent(self, read: Callable[[int, int], T]) -> T:
        """``read(fd, dropped)`` consistently, waiting out a swap (a few milliseconds)."""
        if not self.job_dir.is_dir():
            raise LogGone(f"{self.name} is gone: its directory was deleted")
        try:
            return consistent_read(self.job_dir, read)
        except FileNotFoundError as exc:
            raise LogGone(f"{self.name}'s log is gone") from exc

    def extent(self) -> tuple[int, int]:
        """``(logical size, dropped)`` of the log right now."""

        def measure(fd: int, dropped: int) -> tuple[int, int]:
            if fd < 0:
                raise LogGone(f"{self.name} has no log")
            return dropped + os.fstat(fd).st_size, dropped

        return self.consistent(measure)

    def read(self, start: int, stop: int) -> bytes:
        """Bytes ``[start, stop)`` (what is still on disk of them)."""
        return self.read_at(start, stop)[1]

    def read_at(self, start: int, stop: int) -> tuple[int, bytes]:
        """``(lo, bytes [lo, stop))``: ``lo`` is ``start``, or the first byte still on disk
        if the size cap dropped the beginning of the range."""

        def take(fd: int, dropped: int) -> tuple[int, bytes]:
            if fd < 0:
                raise LogGone(f"{self.name} has no log")
            lo = max(start, dropped)
            return lo, os.pread(fd, stop - lo, lo - dropped) if stop > lo else b""

        return self.consistent(take)

    def growth(self, end: int, step: int, skip_over: int | None) -> tuple[int, int, bytes] | None:
        """``(size, dropped, bytes from end)``: up to ``step`` new bytes, none if more than
        ``skip_over`` wait (the caller jumps to the tail instead). ``None`` during a swap."""

        def take(fd: int, dropped: int) -> tuple[int, int, bytes]:
            if fd < 0:
                raise LogGone(f"{self.name} has no log")
            size = dropped + os.fstat(fd).st_size
            lo = max(end, dropped)
            hi = min(size, lo + step)
            if skip_over is not None and size - lo > skip_over:
                hi = lo
            return size, dropped, os.pread(fd, hi - lo, lo - dropped) if hi > lo else b""

        return self.attempt(take)

    def read_lines(self, spans: list[tuple[int, int]]) -> list[bytes | None] | None:
        """Each span's bytes (at most what :mod:`~bgview.ui.ansi` draws; ``None`` for one the
        size cap dropped) in one open; ``None`` for all during a swap."""

        def take(fd: int, dropped: int) -> list[bytes | None]:
            out: list[bytes | None] = []
            for start, stop in spans:
                if fd < 0 or start < dropped:
                    out.append(None)
                else:
                    out.append(os.pread(fd, min(stop - start, MAX_LINE_BYTES + 1), start - dropped))
            return out

        return self.attempt(take)

    def tail(self, window: int, first: int = 0) -> tuple[LineIndex, int]:
        """An index of the last ``window`` bytes (from a line start) and the dropped count."""
        size, dropped = self.extent()
        base = max(dropped, size - window)
        data = self.read(base, size) if size > base else b""
        if base > dropped:
            cut = data.find(b"\n") + 1  # we landed inside a line: start at the next one
            if cut:
                base, data = base + cut, data[cut:]
        index = LineIndex(base, first)
        index.feed(data)
        return index, dropped
