"""Matching a user's pattern against a window of a job's log: the search (``/``, ``n``, ``N``)
and the filter (``f``), in plain Python (no Textual).

What is matched is each line's plain text — colours removed, ``\\r`` overwrites applied — as
the command line's filters see it (:func:`bgview.runtime.clean.clean_bytes`). The window is
read in blocks of about :data:`BLOCK_BYTES` and each block is searched whole by the pattern's
engine (RE2 on bytes, jumping from match to match: no Python step for a line that does not
match), so a search with no match over 30 MB is some 240 reads and engine calls. A match that
runs across a newline is tried again on its line alone: a line matches exactly when the
pattern matches the line on its own.

A long scan runs in a worker thread over a :class:`Window`, a frozen copy of the index, while
the view's own index goes on growing; it asks ``cancelled()`` between blocks. Each block is a
short stretch of work (well under the 50 ms the UI may wait for the GIL), and each read
releases the GIL, so the UI thread gets its turn between blocks.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from bgview.runtime.clean import clean_bytes, needs_cleaning
from bgview.runtime.errors import InvalidRequest
from bgview.runtime.patterns import MAX_PATTERN_CHARS, UserPattern
from bgview.runtime.text import visible
from bgview.ui.log_file import LogFile, LogGone
from bgview.ui.log_index import LineIndex

BLOCK_BYTES = 128 * 1024
"""Bytes read and matched in one step: ~0.2 ms of plain text, ~6 ms of coloured text."""
LINE_CAP = 64 * 1024
"""A line longer than this is matched on its first ``LINE_CAP`` bytes (the view draws 16 KiB)."""
INLINE_BYTES = 256 * 1024
"""A scan over less than this is run at once in the UI thread (a few milliseconds): a small
log answers before the next frame, with no worker and no progress to show."""

Cancelled = Callable[[], bool]
Progress = Callable[[float], object]


def never() -> bool:
    """A scan that is never cancelled (one run inline)."""
    return False


def compile_query(query: str) -> UserPattern:
    """A user's query as a regex, run as the command line's filters are (RE2, in linear time;
    :mod:`bgview.runtime.patterns`): case-insensitive unless it has a capital (smart case); a
    query that is not a valid regex is taken literally rather than refused."""
    ignore_case = not any(c.isupper() for c in query)
    try:
        return UserPattern(query, "search", ignore_case=ignore_case)
    except InvalidRequest:
        # Taken literally; a query too long for a pattern even so is searched for its start.
        literal = re.escape(query)
        if len(literal) > MAX_PATTERN_CHARS:
            literal = re.escape(query[: MAX_PATTERN_CHARS // 4])
        return UserPattern(literal, "search", ignore_case=ignore_case)


def no_match_text(query: str) -> str:
    """The toast for a search that found nothing, saying if it was taken literally."""
    try:
        UserPattern(query, "search")
    except InvalidRequest:
        return f"no match for {visible(query)!r} (not a valid regex: searched as plain text)"
    return f"no match for {visible(query)!r}"


@dataclass(frozen=True)
class Window:
    """What a scan reads: the log file and an index of the lines to look at."""

    file: LogFile
    index: LineIndex

    def bytes_between(self, first: int, last: int) -> int:
        """How many bytes lines ``[first, last)`` take up."""
        if first >= last:
            return 0
        return self.index.span(last - 1)[1] - self.index.span(first)[0]


def matching_lines(window: Window, first: int, last: int, pattern: UserPattern) -> list[int]:
    """Numbers of the lines in ``[first, last)`` whose plain text matches ``pattern``."""
    found: list[int] = []
    for a, b in blocks_forward(window.index, first, last):
        found.extend(block_matches(window, a, b, pattern))
    return found


def scan_blocks(
    window: Window, first: int, last: int, pattern: UserPattern, cancelled: Cancelled
) -> Iterator[tuple[int, list[int]]]:
    """``(lines looked at, matching lines)`` block by block over ``[first, last)``, until done
    or ``cancelled()``: what the filter's worker runs."""
    for a, b in blocks_forward(window.index, first, last):
        if cancelled():
            return
        yield b - a, block_matches(window, a, b, pattern)


def find(
    window: Window,
    pattern: UserPattern,
    start: int,
    forward: bool,
    keep: Sequence[int] | None = None,
    cancelled: Cancelled = never,
    progress: Progress | None = None,
) -> int | None:
    """The first line from ``start`` (going ``forward`` or back, and wrapping around the window
    once) that matches, or ``None``; ``keep``: only these lines count (a filter is on).

    ``None`` too when ``cancelled()`` says so; the caller knows which.
    """
    index = window.index
    first, last = index.first, index.last
    if first >= last:
        return None
    start = min(max(start, first), last - 1)
    if forward:
        spans = [blocks_forward(index, start, last), blocks_forward(index, first, start)]
    else:
        spans = [blocks_backward(index, first, start + 1), blocks_backward(index, start + 1, last)]
    total, done = last - first, 0
    for blocks in spans:
        for a, b in blocks:
            if cancelled():
                return None
            lines = block_matches(window, a, b, pattern)
            if keep is not None:
                lines = [n for n in lines if _holds(keep, n)]
            if lines:
                return lines[0] if forward else lines[-1]
            done += b - a
            if progress is not None:
                progress(done / total)
    return None


def _holds(lines: Sequence[int], line: int) -> bool:
    i = bisect_left(lines, line)
    return i < len(lines) and lines[i] == line


def blocks_forward(index: LineIndex, first: int, last: int) -> Iterator[tuple[int, int]]:
    """``[a, b)`` blocks of lines covering ``[first, last)`` in order."""
    a = first
    while a < last:
        b = index.block_after(a, last, BLOCK_BYTES)
        yield a, b
        a = b


def blocks_backward(index: LineIndex, first: int, last: int) -> Iterator[tuple[int, int]]:
    """``[a, b)`` blocks of lines covering ``[first, last)``, the last block first."""
    b = last
    while b > first:
        a = index.block_before(b, first, BLOCK_BYTES)
        yield a, b
        b = a


def block_matches(window: Window, a: int, b: int, pattern: UserPattern) -> list[int]:
    """The lines in ``[a, b)`` that match, read in one go (lines the size cap dropped match
    nothing; a log that is gone matches nothing)."""
    index = window.index
    start, stop = index.span(a)[0], index.span(b - 1)[1]
    if b - a == 1:
        stop = min(stop, start + LINE_CAP)
    try:
        lo, data = window.file.read_at(start, stop)
    except LogGone:
        return []
    if lo > start:  # the size cap dropped the first lines since the window was taken
        a = index.line_at(lo)
        if index.span(a)[0] < lo:
            a += 1
        if a >= b:
            return []
        data = data[index.span(a)[0] - lo :]
    return [a + row for row in matching_rows(data, b - a, pattern)]


def matching_rows(data: bytes, count: int, pattern: UserPattern) -> list[int]:
    """Which of the ``count`` lines in ``data`` match, counted from 0 (see the module's
    docstring for how)."""
    if not data.isascii() or needs_cleaning(data):
        data = clean_bytes(data).encode("utf-8", "surrogatepass")
    search = pattern.byte_search(data.isascii())
    if search is None:  # the fallback engine: one line at a time, each within its budget
        lines = data.decode("utf-8", "surrogatepass").split("\n")[:count]
        return [row for row, line in enumerate(lines) if pattern.search(line)]
    rows: list[int] = []
    end = len(data)
    pos = row = 0
    while pos <= end and row < count:
        found = search(data, pos, end)
        if found is None:
            break
        first, last = found
        row += data.count(b"\n", pos, first)
        if row >= count:
            break
        line_start = data.rfind(b"\n", 0, first) + 1
        newline = data.find(b"\n", first)
        line_end = end if newline < 0 else newline
        if last <= line_end or pattern.search(
            data[line_start:line_end].decode("utf-8", "surrogatepass")
        ):
            rows.append(row)
        if newline < 0:
            break
        pos, row = newline + 1, row + 1
    return rows


class Throttle:
    """``report(done)`` at most every ``every`` seconds: a scan's progress, for the bar."""

    def __init__(self, report: Progress, every: float = 0.05) -> None:
        self.report = report
        self.every = every
        self._last = time.monotonic()

    def __call__(self, done: float) -> None:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self.report(done)
