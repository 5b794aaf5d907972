"""The lines of a whole log that match a search or a filter: found block by block, kept by span.

A search (``/``) and a filter (``f``) go over the whole log, from its first kept byte, in a
worker (:func:`scan_range`), and then follow what the job writes next. What they find is kept
as the byte spans of the matching lines (:class:`Matches`: 16 bytes a match, at most
:data:`MAX_MATCHES`), not as line numbers: spans stay right while the lines are being
counted, and the filter draws its rows straight from them.

Matching is what the command line's filters do (:func:`~bgview.ui.log_scan.matching_rows`:
each line's plain text, RE2 over a whole block at a time). Output that moves the cursor (a
multi-bar progress, a spinner, a full-screen program) is matched as the pane draws it: the
rows a terminal of the job's size draws for it (:mod:`bgview.ui.log_termscan`), each a match
of its own, its text kept (:attr:`Matches.drawn`) for the filter to show.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Final, Literal

from bgview.runtime.clean import needs_cleaning
from bgview.runtime.emulation import job_size
from bgview.runtime.patterns import UserPattern
from bgview.ui.ansi import render_row
from bgview.ui.log_file import LogFile, LogGone
from bgview.ui.log_rows import TAKE_OVER_BYTES
from bgview.ui.log_scan import LINE_CAP, matching_rows
from bgview.ui.log_termscan import Piece, Rows, TermScan, needs_terminal

SCAN_BLOCK = 256 * 1024
"""Bytes read and matched in one step of a scan (a few milliseconds at most)."""
MAX_MATCHES = 2_000_000
"""The most matches kept (32 MB); past it a scan goes on counting none (the bar says so)."""

Found = tuple[int, list[int], list[int]]
"""What one step of a scan found: the offset it reached, the spans' starts and stops."""


class Matches:
    """Spans ``[start, stop)`` of matching lines, in order."""

    def __init__(self) -> None:
        self.starts = array("q")
        self.stops = array("q")
        self.full = False
        """:data:`MAX_MATCHES` were reached: some matches were not kept."""
        self.drawn: dict[int, str] = {}
        """The rows a terminal drew (with their SGR and OSC 8 escapes), by the offset their
        match starts at: what the filter shows for them. Written by a scan's worker."""

    def __len__(self) -> int:
        return len(self.starts)

    def add(self, starts: list[int], stops: list[int]) -> int:
        """Put in matches of one stretch no other matches fall inside; the row they go in at."""
        if not starts:
            return 0
        room = MAX_MATCHES - len(self.starts)
        if room < len(starts):
            self.full = True
            starts, stops = starts[:room], stops[:room]
            if not starts:
                return len(self.starts)
        row = bisect_left(self.starts, starts[0])
        self.starts[row:row] = array("q", starts)
        self.stops[row:row] = array("q", stops)
        return row

    def drop_before(self, offset: int) -> int:
        """Forget matches that start before ``offset`` (the cap dropped them); how many."""
        gone = bisect_left(self.starts, offset)
        del self.starts[:gone]
        del self.stops[:gone]
        self._forget_drawn(lambda at: at < offset)
        return gone

    def drop_between(self, a: int, b: int) -> None:
        """Forget matches that start in ``[a, b)`` (lines a terminal took over)."""
        i, j = bisect_left(self.starts, a), bisect_left(self.starts, b)
        del self.starts[i:j]
        del self.stops[i:j]
        self._forget_drawn(lambda at: a <= at < b)

    def drop_from(self, offset: int) -> None:
        """Forget matches that start at ``offset`` or later (a line matched again as it grew)."""
        keep = bisect_left(self.starts, offset)
        del self.starts[keep:]
        del self.stops[keep:]
        self._forget_drawn(lambda at: at >= offset)

    def _forget_drawn(self, gone: Callable[[int], bool]) -> None:
        if self.drawn:
            for at in [at for at in list(self.drawn) if gone(at)]:  # a worker may be adding
                self.drawn.pop(at, None)

    def row_of(self, start: int) -> int | None:
        """The row of the match starting at ``start``, or ``None``."""
        i = bisect_left(self.starts, start)
        return i if i < len(self.starts) and self.starts[i] == start else None

    def first_after(self, offset: int) -> int | None:
        i = bisect_right(self.starts, offset)
        return i if i < len(self.starts) else None

    def last_before(self, offset: int) -> int | None:
        i = bisect_left(self.starts, offset) - 1
        return i if i >= 0 else None


Kind = Literal["search", "filter"]
WAIT: Final = -1
"""What :meth:`Scan.next` says when the answer lies where the scan has not been yet."""


@dataclass
class Scan:
    """A search or a filter over a whole log: its matches so far and where it has not been."""

    kind: Kind
    pattern: UserPattern
    generation: int
    holes: list[tuple[int, int]]
    """Stretches ``[a, b)`` of the log not matched yet (a worker's), in order."""
    matches: Matches = field(default_factory=Matches)
    live: TermScan | None = None
    """The terminal drawing at the end of the log as last matched (see :func:`scan_range`)."""

    @property
    def done(self) -> bool:
        return not self.holes

    def scanned(self, a: int, b: int) -> bool:
        """Whether all of ``[a, b)`` has been matched."""
        return not any(lo < b and a < hi for lo, hi in self.holes)

    def cover(self, a: int, b: int) -> None:
        """``[a, b)`` has been matched."""
        holes: list[tuple[int, int]] = []
        for lo, hi in self.holes:
            if hi <= a or b <= lo:
                holes.append((lo, hi))
                continue
            if lo < a:
                holes.append((lo, a))
            if b < hi:
                holes.append((b, hi))
        self.holes = holes

    def forget_before(self, offset: int) -> int:
        """The cap dropped everything before ``offset``; the matches that went with it."""
        self.holes = [(max(lo, offset), hi) for lo, hi in self.holes if hi > offset]
        if self.live is not None and self.live.rows.pos <= offset:
            self.live = None
        return self.matches.drop_before(offset)

    def plan(self, pos: int) -> list[tuple[int, int]]:
        """The holes in the order a worker should fill them: from ``pos`` to the end first
        (a search's next match is after the screen), then from the start."""
        after = [(max(lo, pos), hi) for lo, hi in self.holes if hi > pos]
        before = [(lo, min(hi, pos)) for lo, hi in self.holes if lo < pos]
        return after + before

    def position(self, current: int | None, base: int) -> str:
        """``match 3 of 41`` (``41+`` while scanning; ``?`` until the scan has been over
        everything before the current match), or ``41 matches`` with no current one."""
        found = self.matches
        total = f"{len(found):,}{'' if self.done and not found.full else '+'}"
        if current is None:
            return f"{total} {'matches' if self.done else 'found'}"
        row = found.row_of(current)
        known = row is not None and self.scanned(base, current)
        return f"match {row + 1 if known and row is not None else '?'} of {total}"

    def next(self, ref: int, forward: bool, base: int, end: int) -> int | None:
        """The row of the first match after (before) offset ``ref``, wrapping around once;
        ``None``: there is none; :data:`WAIT`: not known until the scan gets further."""
        found = self.matches
        if forward:  # lines that start after ref: from ref + 1 on
            i = found.first_after(ref)
            if i is not None:
                return i if self.scanned(ref + 1, found.starts[i]) else WAIT
            if not self.scanned(ref + 1, end):
                return WAIT
            if len(found):
                return 0 if self.scanned(base, found.starts[0]) else WAIT
            return None if self.done else WAIT
        i = found.last_before(ref)
        if i is not None:
            return i if self.scanned(found.stops[i], ref) else WAIT
        if not self.scanned(base, ref):
            return WAIT
        if len(found):
            last = len(found) - 1
            return last if self.scanned(found.stops[last], end) else WAIT
        return None if self.done else WAIT


def scan_range(
    file: LogFile,
    start: int,
    stop: int,
    pattern: UserPattern,
    cancelled: Callable[[], bool],
    drawn: dict[int, str] | None = None,
    carry: list[TermScan | None] | None = None,
    file_floor: int = 0,
) -> Iterator[Found]:
    """The matching lines in ``[start, stop)`` (both line starts), a block at a time, until
    done or ``cancelled()``. Lines the size cap drops meanwhile are passed over. Rows a
    terminal drew are matched as drawn, their text put in ``drawn``. ``carry``: the terminal
    to go on with (``start`` is where it got to) and, afterwards, the one to go on with next
    (following a job: a progress drawing across reads is fed each byte once); a terminal
    it starts may take over lines before ``start`` (not before ``file_floor``), as the pane's
    does (:attr:`TermScan.taken_from`)."""
    pos = start
    term: TermScan | None = carry[0] if carry else None
    floor = None if term is not None or not carry else max(file_floor, start - TAKE_OVER_BYTES)
    columns: int | None = None
    while pos < stop:
        if cancelled():
            return
        try:
            lo, data = file.read_at(pos, min(stop, pos + SCAN_BLOCK))
        except LogGone:
            return
        if lo > pos:  # dropped under us: go on from the next line start
            term = None
            cut = data.find(b"\n") + 1
            if not cut:
                pos = lo + len(data)
                continue
            lo, data = lo + cut, data[cut:]
        pos = lo
        if not data:
            return
        drawing = term is not None and term.drawing
        if pos + len(data) < stop:
            last = data.rfind(b"\n")
            if last < 0 and not drawing:  # one line longer than a block: match its start
                end = _line_end(file, pos + len(data), stop)
                rows = matching_rows(data[:LINE_CAP], 1, pattern)
                yield end, [pos] * len(rows), [end] * len(rows)
                pos = end
                continue
            if last >= 0:
                data = data[: last + 1]
        dirty = drawing or needs_cleaning(data)
        if dirty and not drawing:
            columns = columns or job_size(file.job_dir)[0]
            drawing = needs_terminal(data, columns)
        if not drawing:
            yield _block(pos, data, pattern, dirty)
            pos += len(data)
            continue
        term = term or TermScan(file, pos, floor)
        pieces = term.block(pos, pos + len(data), cancelled)
        yield _pieces(pos, data, pieces, pattern, drawn)
        pos += len(data)
    if term is not None and not cancelled():
        yield _pieces(pos, b"", [term.finish()], pattern, drawn)
    if carry is not None:
        carry[0] = term


def match_new(scan: Scan, file: LogFile, start: int, end: int, floor: int, fresh: bool) -> None:
    """Match what the log gained from ``start`` (a line start; a partial line that grew is
    matched again) to ``end`` for ``scan``, as the view takes it in. A progress drawing at the
    log's end goes on in the terminal that drew it (each byte fed once), the screen it gave
    last time taken back; a terminal starting here takes over lines back to ``floor`` at most.
    ``fresh``: the scan is new (nothing matched from ``start`` on yet)."""
    live = None if fresh else scan.live
    matches = scan.matches
    if live is not None:  # on from where its terminal got to
        screen = live.take_back_screen()
        matches.drop_from(screen if screen is not None else live.rows.pos)
        start = live.rows.pos
    else:
        matches.drop_from(start)
    carry = [live]
    for _, starts, stops in scan_range(
        file, start, end, scan.pattern, _never, matches.drawn, carry, floor
    ):
        matches.add(starts, stops)
    term = carry[0]
    if term is not None and live is None and term.taken_from is not None:
        matches.drop_between(term.taken_from, start)  # its rows now
    scan.live = term if term is not None and term.drawing else None


def _never() -> bool:
    return False


def _pieces(
    pos: int, data: bytes, pieces: list[Piece], pattern: UserPattern, drawn: dict[int, str] | None
) -> Found:
    """The matches in a block told apart (:class:`TermScan`), at ``pos``, as one step."""
    starts: list[int] = []
    stops: list[int] = []
    for piece in pieces:
        if isinstance(piece, tuple):
            a, b = piece
            _, got, ends = _block(a, data[a - pos : b - pos], pattern)
            starts += got
            stops += ends
        else:
            for at, row in _matching(piece, pattern):
                starts.append(at)
                stops.append(at + 1)
                if drawn is not None:
                    drawn[at] = row
    return pos + len(data), starts, stops


def _matching(rows: Rows, pattern: UserPattern) -> Rows:
    return [(at, row) for at, row in rows if pattern.search(render_row(row).plain)]


def _block(pos: int, data: bytes, pattern: UserPattern, dirty: bool | None = None) -> Found:
    """The matching lines of whole lines ``data`` found at ``pos``."""
    # Without its last newline, the block holds exactly its lines: no count of them needed
    # (the empty "line" after a final newline is no line).
    whole = data[:-1] if data.endswith(b"\n") else data
    rows = matching_rows(whole, len(data) + 1, pattern, dirty)
    end = pos + len(data)
    if not rows:
        return end, [], []
    bounds = list(accumulate((len(p) + 1 for p in data.split(b"\n")), initial=pos))
    return end, [bounds[r] for r in rows], [min(bounds[r + 1], end) for r in rows]


def _line_end(file: LogFile, pos: int, stop: int) -> int:
    """The offset after the newline ending the line that goes on at ``pos`` (or ``stop``)."""
    while pos < stop:
        _, data = file.read_at(pos, min(stop, pos + SCAN_BLOCK))
        if not data:
            return stop
        newline = data.find(b"\n")
        if newline >= 0:
            return pos + newline + 1
        pos += len(data)
    return stop
