"""Where each line of a window of a job's log starts, by logical byte offset.

The log view never holds the log's text: it keeps this index (8 bytes a line) over a bounded
window ``[base, end)`` and reads just the lines it draws. Offsets are logical (bytes since the
job started), so they stay valid while the runtime's size cap trims the file underneath.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from itertools import accumulate, islice, repeat
from operator import add

MAX_WINDOW_BYTES = 32 * 1024 * 1024
"""The most of a log the view indexes at once: a gigabyte log opens in its last 32 MiB."""
MAX_WINDOW_LINES = 1_000_000
"""…and at most this many lines of it (8 MB of offsets)."""


class LineIndex:
    """Line starts over ``[base, end)``; the last line may be partial (no newline yet).

    Lines are numbered absolutely: ``first`` is the number of the line at ``base``, and it
    grows when lines are dropped from the front, so numbers held elsewhere (search matches,
    filter results) stay valid.
    """

    def __init__(self, base: int = 0, first: int = 0) -> None:
        self.base = base
        """Logical offset of the first indexed line."""
        self.end = base
        """Logical offset just after the last indexed byte."""
        self.first = first
        """Absolute number of the line starting at ``base``."""
        self._starts = array("q", [base])
        """Starts of every line, plus the start of the line after the last newline."""

    def __len__(self) -> int:
        """Lines in the window, counting a trailing partial line."""
        return len(self._starts) - 1 + (1 if self.end > self._starts[-1] else 0)

    @property
    def last(self) -> int:
        """Absolute number just past the last line."""
        return self.first + len(self)

    @property
    def partial(self) -> bool:
        """Whether the last line has no newline yet (it will be redrawn as it grows)."""
        return self.end > self._starts[-1]

    def span(self, line: int) -> tuple[int, int]:
        """``(start, end)`` logical offsets of absolute line ``line`` (its newline included)."""
        i = line - self.first
        if not 0 <= i < len(self):
            raise IndexError(line)
        stop = self._starts[i + 1] if i + 1 < len(self._starts) else self.end
        return self._starts[i], stop

    def line_at(self, offset: int) -> int:
        """The absolute number of the line holding logical ``offset`` (clamped to the window)."""
        i = bisect_right(self._starts, offset) - 1
        return self.first + max(0, min(i, len(self) - 1))

    def feed(self, data: bytes) -> int:
        """Index ``data``, which continues the log at ``end``; returns how many lines it adds
        (a partial line that grows or is completed counts as changed, not added)."""
        before = len(self)
        parts = data.split(b"\n")
        if len(parts) > 1:
            # Each newline starts a line; accumulate's first value (``end``) is not one. Built
            # from C iterators only (no Python step per line): a firehose indexes ~1 GB/s.
            starts = accumulate(map(add, map(len, parts[:-1]), repeat(1)), initial=self.end)
            self._starts.extend(islice(starts, 1, None))
        self.end += len(data)
        return len(self) - before

    def prepend(self, base: int, data: bytes) -> int:
        """Index ``data`` found at ``[base, self.base)``; returns how many lines were added.

        ``base`` must start a line (or be the first byte still on disk).
        """
        if base + len(data) != self.base:
            raise ValueError("prepended data must end where the window starts")
        before = len(self)
        parts = data.split(b"\n")
        head = list(accumulate(map(add, map(len, parts[:-1]), repeat(1)), initial=base))
        if head[-1] == self._starts[0]:
            head.pop()
        else:
            # ``data`` ends inside what the window took as its first line: it started earlier.
            del self._starts[0]
        self._starts = array("q", head) + self._starts
        self.base = base
        added = len(self) - before
        self.first -= added
        return added

    def drop_front(self, lines: int) -> None:
        """Forget the first ``lines`` lines (keeping at least the last one)."""
        lines = min(lines, len(self._starts) - 1)
        if lines <= 0:
            return
        del self._starts[:lines]
        self.base = self._starts[0]
        self.first += lines

    def drop_before(self, offset: int) -> int:
        """Forget every line that starts before ``offset``; returns how many went."""
        lines = bisect_left(self._starts, offset)
        lines = min(lines, len(self._starts) - 1)
        self.drop_front(lines)
        return max(lines, 0)

    @property
    def size(self) -> int:
        """Bytes in the window."""
        return self.end - self.base

    def over_budget(self) -> int:
        """How many lines to drop from the front to get back within the window's limits."""
        excess_lines = len(self._starts) - 1 - MAX_WINDOW_LINES
        if self.size <= MAX_WINDOW_BYTES and excess_lines <= 0:
            return 0
        target = self.end - MAX_WINDOW_BYTES // 2  # drop to half: not again on the next batch
        by_bytes = bisect_left(self._starts, target) if self.size > MAX_WINDOW_BYTES else 0
        by_lines = excess_lines + MAX_WINDOW_LINES // 2 if excess_lines > 0 else 0
        return max(by_bytes, by_lines)
