"""What the log pane shows of one job's log, in plain Python (no Textual): the window of lines
it holds, how it grows, and the rows a filter keeps.

Like toolong, and unlike ``RichLog``, this never holds the log's text: a
:class:`~bgview.ui.log_index.LineIndex` keeps where lines start in a bounded window at the
log's tail, and the widget (:mod:`bgview.ui.log_view`) reads only the lines it draws
(:mod:`bgview.ui.log_file`). A gigabyte log opens as fast as a small one, and memory does not
grow with it.

Rows are what is drawn: every line of the window, or under a filter the lines that match
(:attr:`LogModel.visible`). The filter's matches over the window as it was when the filter
was set come from a scan (:mod:`bgview.ui.log_scan`, in a worker for a big window) and are
added with :meth:`LogModel.add_matches` as they arrive; lines that arrive later are matched
here as they are taken in (at most :data:`READ_STEP` bytes at a time).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

from bgview.runtime.patterns import UserPattern
from bgview.ui.log_file import LogFile, LogGone
from bgview.ui.log_index import LineIndex
from bgview.ui.log_scan import Window, matching_lines

OPEN_WINDOW = 4 * 1024 * 1024
"""How much of the tail is indexed when a log opens (more is read as you scroll up)."""
READ_STEP = 512 * 1024
"""The most new output indexed per update: the UI stays responsive under a firehose."""
JUMP_AFTER = 2 * 1024 * 1024
"""While following, a backlog bigger than this is skipped: we reopen at the tail."""
JUMP_WINDOW = 256 * 1024
"""How much of the tail a jump reopens with (a firehose would bury more before it is read)."""
EXTEND_STEP = 4 * 1024 * 1024
"""How much earlier output one scroll to the top brings in."""
MAX_EXTENDED = 8 * OPEN_WINDOW
"""Scrolling up reads earlier output in until the window holds this much."""


@dataclass(frozen=True)
class LogState:
    """What the panel around the log shows about it."""

    follow: bool
    size: int
    """Logical size of the log: every byte the job wrote."""
    dropped: int
    """Bytes the runtime's size cap dropped from the front."""
    base: int
    """First byte the view holds (``> dropped`` when only the tail is indexed)."""
    lines: int
    shown: int
    """Lines shown (fewer than ``lines`` under a filter)."""
    problem: str | None = None
    """A message instead of the log: gone, unreadable, truncated."""
    busy: str | None = None
    """A search or filter under way, and how far it got: ``searching… 40%``."""


@dataclass(frozen=True)
class Update:
    """What one look at the log file changed, for the widget to act on."""

    changed: bool = False
    """Rows, sizes or the problem changed: size the view again, redraw, redraw the bar."""
    reopened: bool = False
    """A new window (another file, a truncation, a jump to the tail): drawn lines are stale,
    and a filter must scan the window again."""
    truncated: bool = False
    """The log was truncated under the view (it is shown again from its start)."""
    retry: bool = False
    """The size cap is swapping the file right now: look again very soon."""
    more: bool = False
    """More output waits than one step takes in: look again shortly."""
    took: int = 0
    """Bytes of output taken in (what the widget's rate limit counts)."""
    rows_gone: int = 0
    """Rows dropped from the top (a paused view moves up by as many to stay put)."""


class LogModel:
    """The shown window of one job's log (or of none)."""

    def __init__(self) -> None:
        self.job_dir: Path | None = None
        self.file: LogFile | None = None
        self.index = LineIndex()
        self.dropped = 0
        """Bytes the size cap dropped from the front, as last seen."""
        self.problem: str | None = None
        """Why there is no log to show (gone, no log file), or ``None``."""
        self.current_match: int | None = None
        """Absolute line number of the match ``n``/``N`` moved to."""
        self.filter: UserPattern | None = None
        self.visible: array[int] = array("q")
        """Absolute numbers of the lines shown while a filter is on, in order."""
        self._filter_gen = 0
        self._matched_from = 0
        """Lines from here on are matched here as they arrive; earlier ones by scans."""

    # ---- opening and growing ------------------------------------------------------------

    def open(self, job_dir: Path | None, window: int | None = None) -> None:
        """Show ``job_dir``'s log from its tail (``None``: nothing). A filter stays set, with no
        matches yet: :meth:`start_filter` says what to scan."""
        self.job_dir = job_dir
        self.file = LogFile(job_dir) if job_dir is not None else None
        self.problem = None
        self.current_match = None
        self.index = LineIndex()
        self.dropped = 0
        if self.file is not None:
            try:
                self.index, self.dropped = self.file.tail(window or OPEN_WINDOW)
            except LogGone as exc:
                self.problem = str(exc)
        self._forget_matches()

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
        index = self.index
        if self.problem is not None:  # it was gone: is it back?
            self.open(self.job_dir)
            return Update(changed=True, reopened=True)
        got = file.growth(index.end, READ_STEP, JUMP_AFTER if follow else None)
        if got is None:
            return Update(retry=True)
        size, dropped, data = got
        if size < index.end and dropped <= self.dropped:
            # Shorter than before with nothing dropped: someone truncated the log. Start over.
            self.open(self.job_dir)
            return Update(changed=True, reopened=True, truncated=True)
        changed = False
        gone = 0
        if dropped > self.dropped:
            self.dropped = dropped
            changed = True
            if dropped > index.base:
                if dropped >= index.end:
                    return self._reopen_at_tail(file)
                first = index.first
                index.drop_before(dropped)
                gone += self._forget_before(first)
        more = False
        if size > index.end:
            if follow and size - index.end > JUMP_AFTER:
                return self._reopen_at_tail(file)
            if data:
                last, was_partial = index.last, index.partial
                index.feed(data)
                if self.filter is not None:
                    self._match_new(last - 1 if was_partial else last)
                excess = index.over_budget()
                if excess:
                    first = index.first
                    index.drop_front(excess)
                    gone += self._forget_before(first)
                changed = True
            more = index.end < size
        return Update(changed=changed, more=more, took=len(data), rows_gone=gone)

    def _reopen_at_tail(self, file: LogFile) -> Update:
        first = self.index.last + 1  # numbers keep growing: old matches can never collide
        self.index, self.dropped = file.tail(JUMP_WINDOW, first)
        self.current_match = None
        self._forget_matches()
        return Update(changed=True, reopened=True, took=self.index.size)

    def _forget_before(self, first_before: int) -> int:
        """Rows gone now that lines before ``index.first`` (which was ``first_before``) went."""
        first = self.index.first
        if self.current_match is not None and self.current_match < first:
            self.current_match = None
        if self.filter is None:
            return first - first_before
        gone = bisect_left(self.visible, first)
        del self.visible[:gone]
        return gone

    def extend_back(self) -> tuple[int, int] | None:
        """Read some earlier output into the window (scrolled to its top); the lines added,
        ``(first, last)``, or ``None`` when there is no more (or no room for more)."""
        index = self.index
        if self.file is None or index.base <= self.dropped or index.size >= MAX_EXTENDED:
            return None
        base = max(self.dropped, index.base - EXTEND_STEP)
        data = self.file.read(base, index.base)
        if base > self.dropped:
            cut = data.find(b"\n") + 1  # we landed inside a line: start at the next one
            if not cut:
                return None
            base, data = base + cut, data[cut:]
        if not data:
            return None
        added = index.prepend(base, data)
        return (index.first, index.first + added) if added else None

    # ---- rows ---------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.visible) if self.filter is not None else len(self.index)

    def row_line(self, row: int) -> int:
        """The absolute line number drawn at ``row``."""
        return self.visible[row] if self.filter is not None else self.index.first + row

    def row_of(self, line: int) -> int | None:
        """The row that draws ``line``, or ``None`` (not in the window, or filtered out)."""
        if self.filter is None:
            row = line - self.index.first
            return row if 0 <= row < len(self.index) else None
        i = bisect_left(self.visible, line)
        return i if i < len(self.visible) and self.visible[i] == line else None

    def window(self) -> Window:
        """The window as it is now, for a scan in another thread (the index is copied)."""
        assert self.file is not None
        return Window(self.file, self.index.copy())

    def live_window(self) -> Window:
        """The window itself, for a scan run at once in this thread."""
        assert self.file is not None
        return Window(self.file, self.index)

    # ---- the filter ---------------------------------------------------------------------

    def start_filter(self, pattern: UserPattern | None) -> tuple[int, int, int]:
        """Show only lines matching ``pattern`` from now on (``None``: every line); returns
        ``(generation, first, last)``: the lines a scan must match and hand to
        :meth:`add_matches` with that generation (none for ``None`` or an empty window)."""
        self.filter = pattern
        self.current_match = None
        self._filter_gen += 1
        self._forget_matches()
        if pattern is None or self.file is None:
            return self._filter_gen, 0, 0
        self._match_new(self._matched_from)  # a partial last line: matched here as it grows
        return self._filter_gen, self.index.first, self._matched_from

    def add_matches(self, generation: int, lines: list[int]) -> tuple[int, int]:
        """Matches a scan found (in order, from a stretch of lines no other scan covers);
        ``(row, count)``: where they went in and how many. Matches of an older filter, or of
        lines no longer in the window, are left out."""
        if generation != self._filter_gen or self.filter is None:
            return 0, 0
        lines = [n for n in lines if self.index.first <= n < self._matched_from]
        if not lines:
            return 0, 0
        row = bisect_left(self.visible, lines[0])
        self.visible[row:row] = array("q", lines)
        return row, len(lines)

    def _forget_matches(self) -> None:
        self.visible = array("q")
        index = self.index
        self._matched_from = index.last - 1 if index.partial else index.last

    def _match_new(self, first: int) -> None:
        """Match lines from ``first`` (new, or a partial line that grew) against the filter."""
        assert self.filter is not None and self.file is not None
        while self.visible and self.visible[-1] >= first:
            self.visible.pop()
        found = matching_lines(self.live_window(), first, self.index.last, self.filter)
        self.visible.extend(found)

    # ---- what the panel shows -----------------------------------------------------------

    def state(self, follow: bool, busy: str | None = None) -> LogState:
        return LogState(
            follow=follow,
            size=self.index.end,
            dropped=self.dropped,
            base=self.index.base,
            lines=len(self.index),
            shown=self.row_count,
            problem=self.problem,
            busy=busy,
        )
