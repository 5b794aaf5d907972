"""A scan's look at output that moves the cursor: the rows a terminal draws for it, as the pane
shows them, rather than the log's raw lines with their escapes taken out.

A multi-bar progress writes a few raw lines holding hundreds of frames (``\\r``, erase, cursor
up); a spinner, one raw line of every frame. The pane draws what a terminal of the job's size
shows for those bytes (:mod:`bgview.ui.log_rows`), and the search and the filter are to match —
and the filter to show — those same rows. :class:`TermScan` tells a scanned stretch apart the
way the pane does, with the pane's own :class:`~bgview.ui.log_rows.TermRows` fed in the scan's
worker: plain stretches (whole raw lines, matched as before) and the rows a terminal drew
(:data:`Rows`), each given an offset of its own inside the bytes that drew it, about where it
was drawn, so that the filter's rows and a search's matches stay spans in order.
"""

from __future__ import annotations

from collections.abc import Callable

from bgview.runtime.emulation import job_size
from bgview.ui.log_file import LogFile, LogGone
from bgview.ui.log_rows import Splice, TermRows, plain_prefix

Plain = tuple[int, int]
"""Whole raw lines ``[a, b)`` that need no terminal."""
Rows = list[tuple[int, str]]
"""Rows a terminal drew (text with SGR and OSC 8 escapes), each with the offset it stands at."""
Piece = Plain | Rows


def needs_terminal(data: bytes, columns: int) -> bool:
    """Whether whole lines ``data`` hold output only a terminal can draw (as the pane says)."""
    return plain_prefix(data, columns) < len(data)


class TermScan:
    """One scan's terminal over a stretch of a log, block after block (see the module's
    docstring)."""

    def __init__(self, file: LogFile, start: int, floor: int | None = None) -> None:
        """From ``start``; ``floor``: a terminal starting in the first block may take over the
        lines back to there (already matched as plain lines: see :attr:`taken_from`)."""
        self.file = file
        self.columns, self.lines = job_size(file.job_dir)
        self.rows = TermRows((self.columns, self.lines), start if floor is None else floor)
        self.rows.pos = start
        self._floor = floor
        self.taken_from: int | None = None
        """Where a terminal that took over lines before ``start`` began: the plain lines'
        matches from there to ``start`` are the terminal's rows now."""
        self._start = start
        self.cursor = start
        """Everything before this has been handed out, as plain lines or as rows."""
        self._splice: Splice | None = None
        self._emitted = 0
        """Final rows of :attr:`_splice` handed out."""
        self._last = start - 1
        """The offset the last row handed out stands at."""
        self._before_screen = self._last
        self.screen_from: int | None = None
        """Where the rows of the screen :meth:`finish` gave begin."""

    @property
    def drawing(self) -> bool:
        """A terminal is drawing: what follows is fed to it, plain or not."""
        return self.rows.term is not None

    def _read(self, start: int, stop: int) -> bytes:
        try:
            return self.file.read(start, stop)
        except LogGone:
            return b""

    def block(self, pos: int, end: int, cancelled: Callable[[], bool]) -> list[Piece]:
        """Whole lines ``[pos, end)``, the next block of the stretch, told apart."""
        rows = self.rows
        if not self.drawing:
            # What came before was matched: no terminal takes over lines before the block
            # (but for the first, back to the floor it was given).
            rows.trim(pos if self._floor is None else self._floor)
            rows.pos = max(rows.pos, pos)
            self._floor = None
            self.cursor = max(self.cursor, pos)
        out: list[Piece] = []
        while rows.pos < end and not cancelled():
            work = rows.advance(self._read, end, follow=False)
            if work is None:
                break  # plain to the end
            before = rows.pos
            result = work.run(self._read, cancelled)
            gone = rows.apply(result) or 0
            first = rows.splices[0].start if rows.splices else None
            if first is not None and first < self._start and self.taken_from is None:
                self.taken_from = first
            if self._splice is rows.splices[-1]:
                self._emitted = max(0, self._emitted - gone)
            out += self._pieces(before, rows.pos)
            if result.pos <= before:
                # No byte fed: the log went, or a terminal given plain lines it takes over
                # let go of them at once (and would again). What is left is drawn plain.
                break
        if not cancelled():
            out += self._pieces(rows.pos, end)
        return out

    def finish(self) -> Rows:
        """The end of the stretch: a terminal still drawing gives its screen as it is now
        (not final: :meth:`take_back_screen` before going on with more of the log)."""
        splice = self.rows.drawing
        self._before_screen = self._last
        if splice is None or splice is not self._splice:
            self.screen_from = None
            return []
        rows = self._spread(splice.live, self._last + 1, self.rows.pos, self.rows.pos)
        self.screen_from = rows[0][0] if rows else None
        return rows

    def take_back_screen(self) -> int | None:
        """Going on with what the log gained: the screen :meth:`finish` gave is to be given
        again as it is then; where its rows began (their matches are to go)."""
        self._last = self._before_screen
        return self.screen_from

    def _pieces(self, fed_from: int, upto: int) -> list[Piece]:
        """What is known up to ``upto`` since the last call: plain lines before a splice, the
        rows that became final (drawn by the bytes fed from ``fed_from``), plain lines after a
        splice that ended."""
        out: list[Piece] = []
        for splice in self.rows.splices:
            if splice is not self._splice and splice.end is not None and splice.end <= self.cursor:
                continue  # handed out before
            if splice.start > self.cursor:
                out.append((self.cursor, splice.start))
                self.cursor = splice.start
            if splice is not self._splice:
                self._splice, self._emitted = splice, 0
            new = splice.final[self._emitted :]
            self._emitted = len(splice.final)
            stop = splice.end if splice.end is not None else self.rows.pos
            if new:
                lo = max(fed_from, self.cursor)
                # Over the first half of the bytes: the screen given at the end needs room.
                out.append(self._spread(new, lo, lo + max(0, stop - lo) // 2, stop))
            if splice.end is None:
                self.cursor = max(self.cursor, self.rows.pos)
                return out
            self.cursor = splice.end
            self._splice = None
        if self.cursor < upto:
            out.append((self.cursor, upto))
            self.cursor = upto
        return out

    def _spread(self, rows: list[str], lo: int, hi: int, limit: int) -> Rows:
        """Offsets for ``rows``, drawn by the bytes ``[lo, hi)``: spread over them, each after
        the last one handed out, none at or past ``limit`` (a row too many is left out)."""
        out: Rows = []
        span = max(0, hi - lo)
        for i, row in enumerate(rows):
            at = max(self._last + 1, lo + i * span // max(1, len(rows)))
            if at >= limit:
                break
            out.append((at, row))
            self._last = at
        return out
