"""Where every line of a whole log is, in a few kilobytes: a line number every :data:`STEP` bytes.

The log pane scrolls over the whole log, from its first kept byte, but keeps no offset per
line (8 bytes a line would be 160 MB for a 1 GiB log of short lines). A :class:`LineMap`
keeps, every 64 KiB, the number of the line holding that byte — 16,384 checkpoints for a
gigabyte — so that the start of any line, or the line holding any byte, is one read of at most
64 KiB away (:meth:`LineMap.start_of`, :meth:`LineMap.line_at`).

Lines are numbered as the view numbers them (:class:`~bgview.ui.log_index.LineIndex`): the
first line counted is given a number and numbers only grow; when the size cap drops the front,
the map's first checkpoint moves up to the first kept byte (:meth:`LineMap.drop_before`).

A map is counted by :func:`count_range` (in a worker for a big log: ~1 s a gigabyte here) and
then kept up to date with what the view takes in (:meth:`LineMap.feed`), in plain Python.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator

from bgview.ui.log_index import LineIndex

STEP = 64 * 1024
"""Bytes between two checkpoints: what one look-up reads at most."""
SEAT_BYTES = 512 * 1024
"""How much a seat away from the tail reads at a time (thousands of lines: many screens)."""
MAX_SEAT = 8 * 1024 * 1024
"""The most a seat reads (a screen of lines longer than that is drawn in part)."""
COUNT_BLOCK = 256 * 1024
"""Bytes counted in one step of :func:`count_range` (well under a millisecond of the GIL)."""

Reader = Callable[[int, int], tuple[int, bytes]]
"""``read_at(start, stop)``: ``(lo, bytes [lo, stop))``, ``lo > start`` if the cap dropped some."""


class LineMap:
    """Exact line numbers over ``[base, end)`` of a log."""

    def __init__(self, base: int, first: int) -> None:
        self._offs = array("q", [base])
        self._lines = array("q", [first])
        """The number of the line holding each checkpoint's byte."""
        self.end = base
        self.end_line = first
        """The number of the line that holds (or would hold) byte ``end``."""

    @property
    def base(self) -> int:
        return self._offs[0]

    @property
    def first(self) -> int:
        """The number of the first line (the one holding ``base``)."""
        return self._lines[0]

    def copy(self) -> LineMap:
        twin = LineMap(0, 0)
        twin._offs, twin._lines = array("q", self._offs), array("q", self._lines)
        twin.end, twin.end_line = self.end, self.end_line
        return twin

    def feed(self, data: bytes) -> None:
        """Count ``data``, which continues the log at ``end``."""
        pos = 0
        while pos < len(data):
            boundary = self._offs[-1] + STEP
            take = min(len(data) - pos, boundary - self.end)
            self.end_line += data.count(b"\n", pos, pos + take)
            pos += take
            self.end += take
            if self.end == boundary:
                self._offs.append(self.end)
                self._lines.append(self.end_line)

    def adopt(self, other: LineMap) -> None:
        """Take over ``other``, a copy of this map counted further (in a worker)."""
        self._offs, self._lines = other._offs, other._lines
        self.end, self.end_line = other.end, other.end_line

    def skip_to_index(self, index: LineIndex) -> None:
        """Go on over what ``index`` holds past ``end`` (its lines known, nothing read again);
        ``index`` must start at or before ``end``, its numbers agreeing with the map's."""
        if index.end <= self.end or index.base > self.end:
            return
        boundary = self._offs[-1] + STEP
        while boundary < index.end:
            if boundary > self.end:
                self._offs.append(boundary)
                self._lines.append(index.line_at(boundary))
            boundary += STEP
        self.end = index.end
        self.end_line = index.last - 1 if index.partial else index.last

    def drop_before(self, offset: int, read_at: Reader) -> bool:
        """The size cap dropped everything before ``offset``: start the map there (counting
        from the next checkpoint back); ``False`` if even that much is gone now."""
        if offset <= self.base:
            return True
        if offset >= self.end:
            self._offs, self._lines = array("q", [offset]), array("q", [self.end_line])
            self.end = offset
            return True
        i = bisect_right(self._offs, offset)
        if i < len(self._offs):
            stop, stop_line = self._offs[i], self._lines[i]
        else:
            stop, stop_line = self.end, self.end_line
        lo, data = read_at(offset, stop)
        if lo > offset:
            return False
        line = stop_line - data.count(b"\n")
        self._offs = array("q", [offset]) + self._offs[i:]
        self._lines = array("q", [line]) + self._lines[i:]
        return True

    def line_at(self, offset: int, read_at: Reader) -> int | None:
        """The number of the line holding ``offset`` (in ``[base, end)``); ``None`` if it is
        outside the map or the cap dropped it under us."""
        if not self.base <= offset <= self.end:
            return None
        i = bisect_right(self._offs, offset) - 1
        start = self._offs[i]
        if offset == start:
            return self._lines[i]
        lo, data = read_at(start, offset)
        if lo > start:
            return None
        return self._lines[i] + data.count(b"\n")

    def start_of(self, line: int, read_at: Reader) -> int | None:
        """The logical offset where line ``line`` starts (``first`` starts at ``base``, which
        may be inside a line the cap cut); ``None`` outside the map or if it was dropped."""
        if line == self.first:
            return self.base
        if not self.first < line <= self.end_line:
            return None
        # The checkpoint before the line's start: the newline ending line - 1 is after it.
        i = bisect_right(self._lines, line - 1) - 1
        start = self._offs[i]
        stop = self._offs[i + 1] if i + 1 < len(self._offs) else self.end
        lo, data = read_at(start, stop)
        if lo > start:
            return None
        need = line - self._lines[i]  # the need-th newline from ``start`` ends line - 1
        parts = data.split(b"\n", need)
        if len(parts) <= need:
            return None
        return start + sum(map(len, parts[:need])) + need

    def estimate_line(self, offset: int, bytes_per_line: float) -> int:
        """The number of the line at ``offset`` past ``end``, by ``bytes_per_line``."""
        return self.end_line + int(max(0, offset - self.end) / max(bytes_per_line, 1.0))

    @property
    def bytes_per_line(self) -> float:
        lines = self.end_line - self.first
        return (self.end - self.base) / lines if lines > 0 else 80.0


def count_range(
    lmap: LineMap, stop: int, read_at: Reader, cancelled: Callable[[], bool]
) -> Iterator[int]:
    """Count ``[lmap.end, stop)`` into ``lmap`` (a copy, in a worker), yielding the offset
    reached after each block; stops early when ``cancelled()`` or the cap dropped what is
    to be read (the map then starts again at the first kept byte, its numbers going on)."""
    while lmap.end < stop:
        if cancelled():
            return
        lo, data = read_at(lmap.end, min(stop, lmap.end + COUNT_BLOCK))
        if lo > lmap.end:
            # Dropped before we counted it: those lines are gone, numbers go on past them.
            lmap.drop_before(lo, read_at)
            continue
        if not data:
            return
        lmap.feed(data)
        yield lmap.end


def read_seat(
    read: Callable[[int, int], bytes], start: int, first: int, limit: int, hi: int
) -> LineIndex:
    """An index of the lines from ``start`` (line ``first``) to past line ``hi``, read
    :data:`SEAT_BYTES` at a time, whole lines only, never past ``limit``."""
    seat = LineIndex(start, first)
    pos = start
    while pos < limit and pos - start < MAX_SEAT:
        data = read(pos, min(limit, pos + SEAT_BYTES))
        if not data:
            break
        if pos + len(data) < limit and (cut := data.rfind(b"\n") + 1):
            data = data[:cut]  # whole lines: a long one is read on in the next step
        seat.feed(data)
        pos += len(data)
        if seat.last > hi and not seat.partial:
            break
    return seat


def next_line_start(read: Callable[[int, int], bytes], offset: int, limit: int) -> int:
    """The start of the first line after ``offset`` (``offset`` itself if none is near)."""
    data = read(offset, min(limit, offset + SEAT_BYTES))
    cut = data.find(b"\n")
    return offset + cut + 1 if cut >= 0 else offset
