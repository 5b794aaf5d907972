"""What the log pane shows of one job's log, in plain Python (no Textual): every line of it,
from its first kept byte, and the rows a filter keeps.

Like toolong, and unlike ``RichLog``, this never holds the log's text. Three small structures
stand for a log of any size:

- the *tail* (:class:`~bgview.ui.log_index.LineIndex`): where each line of the last few
  megabytes starts; it follows what the job writes;
- the *map* (:class:`~bgview.ui.log_map.LineMap`): a line number every 64 KiB of everything
  before (and under) the tail, so any line is one small read away;
- the *seat*: an index of the stretch the view shows when that is not the tail, read on demand
  around the lines drawn.

A log bigger than the tail opens at once at its tail; its lines before are counted by a worker
(:meth:`LogModel.count_job`, :meth:`LogModel.counted`). Meanwhile the tail's line numbers are an
estimate, made exact when the count lands (the view keeps its place by byte offset).

Rows are what is drawn: every line (row 0 is the first kept line), or under a filter the lines
that match (:mod:`bgview.ui.log_matches`), found by a scan of the whole log in a worker and,
for what the job writes later, here as it is taken in.
"""

from __future__ import annotations

from pathlib import Path

from bgview.runtime.patterns import UserPattern
from bgview.ui.log_file import LogFile, LogGone
from bgview.ui.log_index import LineIndex
from bgview.ui.log_map import LineMap, next_line_start, read_seat
from bgview.ui.log_matches import Kind, Scan, match_new
from bgview.ui.log_state import LogState, Update

OPEN_WINDOW = 4 * 1024 * 1024
"""How much of the tail is indexed when a log opens (the rest is counted by a worker)."""
READ_STEP = 512 * 1024
"""The most new output indexed per update: the UI stays responsive under a firehose."""
JUMP_AFTER = 2 * 1024 * 1024
"""While following, a backlog bigger than this is skipped: we reopen at the tail."""
JUMP_WINDOW = 256 * 1024
"""How much of the tail a jump reopens with (a firehose would bury more before it is read)."""
LINE_BACK = 64 * 1024
"""How far back from an offset the start of its line is looked for."""
SEAT_MARGIN = 200
"""Lines a seat starts before the first line asked for (scrolling up reads no new seat)."""

Span = tuple[int, int]

__all__ = ["LogModel", "LogState", "Update"]


class LogModel:
    """Every line of one job's log (or of none), and its search and filter."""

    def __init__(self) -> None:
        self.job_dir: Path | None = None
        self.file: LogFile | None = None
        self.tail = LineIndex()
        self.map = LineMap(0, 0)
        self.seat: LineIndex | None = None
        self.gap = False
        """The lines between ``map.end`` and ``tail.base`` are not counted yet."""
        self.dropped = 0
        self.problem: str | None = None
        self.current_match: int | None = None
        """Where the line ``n``/``N`` moved to starts (a logical offset)."""
        self.scans: dict[Kind, Scan] = {}
        self._generation = 0
        self.live_from = 0
        """New lines from here on are matched here as they come; earlier ones by scans."""

    @property
    def index(self) -> LineIndex:
        """The tail (what older callers called the window)."""
        return self.tail

    @property
    def filter(self) -> UserPattern | None:
        scan = self.scans.get("filter")
        return scan.pattern if scan is not None else None

    # ---- opening and growing ------------------------------------------------------------

    def open(self, job_dir: Path | None, window: int | None = None) -> None:
        """Show ``job_dir``'s log from its tail (``None``: nothing). Scans are dropped: the
        view starts them again (:meth:`start_scan`)."""
        self.job_dir = job_dir
        self.file = LogFile(job_dir) if job_dir is not None else None
        self.problem = None
        self.current_match = None
        self.tail, self.map, self.seat, self.gap = LineIndex(), LineMap(0, 0), None, False
        self.dropped = 0
        self.scans.clear()
        if self.file is not None:
            try:
                self._open_tail(self.file, window or OPEN_WINDOW, keep_map=False)
            except LogGone as exc:
                self.problem = str(exc)
        self.live_from = self._complete_end()

    def _open_tail(self, file: LogFile, window: int, keep_map: bool) -> None:
        tail, self.dropped = file.tail(window)
        if not keep_map:  # a fresh map from the first kept byte
            self.map = LineMap(self.dropped, 0)
        elif self.dropped > self.map.base and not self.map.drop_before(self.dropped, file.read_at):
            self.map = LineMap(self.dropped, self.map.end_line)
        line = self.map.line_at(tail.base, file.read_at) if tail.base <= self.map.end else None
        if line is not None:
            tail.first = line
            self.gap = False
            self.tail = tail
            self.map.skip_to_index(tail)
        else:
            per_line = tail.size / max(len(tail), 1) if len(tail) else self.map.bytes_per_line
            tail.first = self.map.estimate_line(tail.base, per_line)
            self.gap = True
            self.tail = tail

    def _complete_end(self) -> int:
        """Where the last complete line ends (a partial line is matched as it grows)."""
        tail = self.tail
        return tail.span(tail.last - 1)[0] if tail.partial else tail.end

    def update(self, follow: bool) -> Update:
        """Take in whatever the log gained since the last call (cheap when nothing did);
        ``follow``: a backlog too big to read is skipped, the view jumps to the tail."""
        if self.file is None:
            return Update()
        try:
            return self._update(self.file, follow)
        except LogGone as exc:
            if self.problem == str(exc):
                return Update()
            self.problem = str(exc)
            return Update(changed=True, reopened=True)

    def _update(self, file: LogFile, follow: bool) -> Update:
        tail = self.tail
        if self.problem is not None:  # it was gone: is it back?
            self.open(self.job_dir)
            return Update(changed=True, reopened=True)
        got = file.growth(tail.end, READ_STEP, JUMP_AFTER if follow else None)
        if got is None:
            return Update(retry=True)
        size, dropped, data = got
        if size < tail.end and dropped <= self.dropped:
            # Shorter than before with nothing dropped: someone truncated the log. Start over.
            self.open(self.job_dir)
            return Update(changed=True, reopened=True, truncated=True)
        changed = False
        gone = 0
        if dropped > self.dropped:
            changed = True
            gone = self._drop_before(file, dropped)
            if dropped >= tail.end:
                return self._jump(file, gone)
        more = False
        if size > tail.end:
            if follow and size - tail.end > JUMP_AFTER:
                return self._jump(file, gone)
            if data:
                tail.feed(data)
                if not self.gap:
                    self.map.feed(data)
                self._match_new()
                excess = tail.over_budget()
                if excess:  # its lines stay rows: the map knows where they are
                    tail.drop_front(excess)
                changed = True
            more = tail.end < size
        return Update(changed=changed, more=more, took=len(data), rows_gone=gone)

    def _jump(self, file: LogFile, gone: int) -> Update:
        """Reopen the tail at the log's end; what was skipped is counted and scanned later."""
        skipped_from = self._complete_end()
        self._open_tail(file, JUMP_WINDOW, keep_map=True)
        for scan in self.scans.values():
            if self.tail.base > skipped_from:
                scan.holes.append((skipped_from, self.tail.base))
        self.live_from = self.tail.base
        for scan in self.scans.values():
            scan.live = None  # what it drew is behind the jump now
        self._match_new()
        return Update(changed=True, jumped=True, took=self.tail.size, rows_gone=gone)

    def _drop_before(self, file: LogFile, dropped: int) -> int:
        """The size cap dropped the log's front up to ``dropped``: the rows that went."""
        self.dropped = dropped
        first = self.map.first
        if not self.map.drop_before(dropped, file.read_at):
            self.map = LineMap(dropped, self.map.end_line)
            self.gap = self.tail.base > dropped
        if dropped > self.tail.base:
            self.tail.drop_before(dropped)
        if self.seat is not None and self.seat.base < dropped:
            self.seat = None
        if self.current_match is not None and self.current_match < dropped:
            self.current_match = None
        gone = {kind: scan.forget_before(dropped) for kind, scan in self.scans.items()}
        return gone["filter"] if "filter" in gone else self.map.first - first

    # ---- counting the lines before the tail ---------------------------------------------

    def count_job(self) -> tuple[LineMap, int] | None:
        """What a worker is to count (a copy of the map, and where to count to), if anything."""
        if not self.gap:
            return None
        return self.map.copy(), self.tail.base

    def counted(self, lmap: LineMap) -> int | None:
        """A worker counted the map up to the tail (or as far as it was told): take it in.
        The rows moved by this many (``None``: not yet all counted; count again)."""
        if not self.gap or lmap.base < self.map.base:
            return None
        self.map.adopt(lmap)
        if self.map.end < self.tail.base or self.file is None:
            return None
        line = self.map.line_at(self.tail.base, self.file.read_at)
        if line is None:
            return None
        delta = line - self.tail.first
        self.tail.first = line
        self.gap = False
        self.map.skip_to_index(self.tail)
        self.seat = None  # seated by an estimate: seat again by the map
        return delta

    # ---- rows ---------------------------------------------------------------------------

    @property
    def first_line(self) -> int:
        return self.map.first

    @property
    def line_count(self) -> int:
        return self.tail.last - self.map.first

    @property
    def row_count(self) -> int:
        scan = self.scans.get("filter")
        return len(scan.matches) if scan is not None else self.line_count

    def row_spans(self, rows: range) -> list[Span | None]:
        """The byte spans of ``rows`` (``None`` for one that cannot be read just now)."""
        scan = self.scans.get("filter")
        if scan is not None:
            found = scan.matches
            return [(found.starts[r], found.stops[r]) if r < len(found) else None for r in rows]
        first = self.map.first
        lines = range(first + max(0, rows.start), first + rows.stop)
        below = [n for n in lines if n < self.tail.first]
        seat = self._seat_for(below[0], below[-1]) if below else None
        out: list[Span | None] = []
        for n in lines:
            if n >= self.tail.last:
                out.append(None)
            elif n >= self.tail.first:
                out.append(self.tail.span(n))
            elif seat is not None and seat.first <= n < seat.last:
                out.append(seat.span(n))
            else:
                out.append(None)
        return out

    def _seat_for(self, lo: int, hi: int) -> LineIndex | None:
        """A seat holding lines ``lo``…``hi`` (all before the tail), read if need be."""
        seat = self.seat
        if seat is not None and seat.first <= lo and hi < seat.last:
            return seat
        assert self.file is not None
        first = max(self.map.first, lo - SEAT_MARGIN)
        try:
            start = self.map.start_of(first, self.file.read_at)
            if start is None:  # not counted yet: where it would be, by the bytes a line takes
                guess = self.map.end + int((first - self.map.end_line) * self.map.bytes_per_line)
                start = max(self.map.end, min(guess, self.tail.base - 1))
                start = next_line_start(self.file.read, start, self.tail.base)
            self.seat = read_seat(self.file.read, start, first, self.tail.base, hi)
        except LogGone:
            return None
        return self.seat

    def seat_at(self, offset: int) -> None:
        """Make sure the line holding ``offset`` and a few hundred before it can be drawn
        where :meth:`row_of_offset` puts them while the lines before the tail are still being
        counted: a seat numbered by the estimate (made exact when the count lands)."""
        if not self.gap or self.file is None or not self.map.end < offset < self.tail.base:
            return
        lo = max(self.map.end, offset - LINE_BACK)
        try:
            before = self.file.read(lo, offset)
        except LogGone:
            return
        cuts: list[int] = []  # line starts, the last few hundred before offset
        end = len(before)
        while len(cuts) < SEAT_MARGIN and (newline := before.rfind(b"\n", 0, end)) >= 0:
            cuts.insert(0, newline + 1)
            end = newline
        begin = lo + cuts[0] if cuts else offset
        line = self._estimate(offset) - (len(cuts) - 1 if cuts else 0)
        try:
            self.seat = read_seat(self.file.read, begin, line, self.tail.base, line + 400)
        except LogGone:
            return

    def row_of_offset(self, offset: int) -> int | None:
        """The row that draws the line starting at (or holding) ``offset``."""
        scan = self.scans.get("filter")
        if scan is not None:
            return scan.matches.row_of(offset)
        row = self.line_row(offset)
        return row if row is not None and 0 <= row < self.row_count else None

    def line_row(self, offset: int) -> int | None:
        """The row the line holding ``offset`` has with no filter on (its line number in the
        log as kept, from 0)."""
        if offset >= self.tail.base:
            line = self.tail.line_at(offset)
        elif self.file is None:
            return None
        else:
            try:
                known = self.map.line_at(offset, self.file.read_at)
            except LogGone:
                return None
            line = known if known is not None else self._estimate(offset)
        return line - self.map.first

    def _estimate(self, offset: int) -> int:
        """The line at ``offset`` in the stretch not counted yet (between map and tail)."""
        gap_bytes = self.tail.base - self.map.end
        if gap_bytes <= 0:
            return self.map.end_line
        share = (offset - self.map.end) / gap_bytes
        return self.map.end_line + int(share * (self.tail.first - self.map.end_line))

    def offset_of_row(self, row: int) -> int | None:
        spans = self.row_spans(range(row, row + 1))
        return spans[0][0] if spans and spans[0] is not None else None

    # ---- search and filter --------------------------------------------------------------

    def start_scan(self, kind: Kind, pattern: UserPattern | None) -> Scan | None:
        """Match ``pattern`` over the whole log from now on (``None``: no search / filter);
        the scan whose holes a worker is to fill (``None`` when there is nothing to scan)."""
        self.current_match = None
        self._generation += 1
        if pattern is None or self.file is None:
            self.scans.pop(kind, None)
            return None
        hole = [(self.map.base, self.live_from)] if self.live_from > self.map.base else []
        scan = Scan(kind, pattern, self._generation, hole)
        self.scans[kind] = scan
        self._match_new(only=scan)
        return scan

    def add_found(self, scan: Scan, a: int, b: int, starts: list[int], stops: list[int]) -> int:
        """A worker matched ``[a, b)`` for ``scan``; the row its matches went in at (``-1``:
        the scan is no longer current)."""
        if self.scans.get(scan.kind) is not scan:
            return -1
        keep = [i for i, s in enumerate(starts) if s >= self.dropped]
        scan.cover(max(a, self.dropped), b)
        return scan.matches.add([starts[i] for i in keep], [stops[i] for i in keep])

    def _match_new(self, only: Scan | None = None) -> None:
        """Match lines from ``live_from`` (new, or a partial line that grew) for every scan."""
        end = self.tail.end
        if self.file is None or (end <= self.live_from and only is None):
            return
        for scan in [only] if only is not None else list(self.scans.values()):
            match_new(scan, self.file, self.live_from, end, self.tail.base, fresh=only is not None)
        if only is None:
            self.live_from = self._complete_end()

    def drawn_row(self, start: int) -> str | None:
        """The row a terminal drew that the filter's match at ``start`` stands for (text with
        SGR and OSC 8 escapes), or ``None``: that match is a line of the log."""
        scan = self.scans.get("filter")
        return scan.matches.drawn.get(start) if scan is not None else None

    def match_text(self) -> str | None:
        scan = self.scans.get("search")
        return scan.position(self.current_match, self.map.base) if scan is not None else None

    # ---- what the panel shows -----------------------------------------------------------

    def state(self, follow: bool, busy: str | None = None) -> LogState:
        return LogState(
            follow=follow,
            size=self.tail.end,
            dropped=self.dropped,
            lines=self.line_count,
            shown=self.row_count,
            counting=self.gap,
            problem=self.problem,
            busy=busy,
            match=self.match_text(),
            full="filter" in self.scans and self.scans["filter"].matches.full,
        )
