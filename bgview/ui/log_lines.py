"""The lines of one job's log, drawn from its file by byte offset: the widget that draws a
:class:`~bgview.ui.log_model.LogModel`, follows its tail and reads what it gains.

Only the lines on screen are read (one open, one ``pread`` each), styled
(:mod:`bgview.ui.ansi`) and kept in a bounded :class:`~textual.cache.LRUCache`. New output
is read when the screen says the log grew (its live feed is woken by inotify), never on a
timer of the view's own. Following the tail until a person scrolls up is
:class:`~bgview.ui.log_follow.FollowingView`'s (``end`` follows again);
:class:`~bgview.ui.log_view.LogView` adds search and filter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.timer import Timer

from bgview.runtime.patterns import UserPattern
from bgview.runtime.text import visible
from bgview.ui.ansi import render_line
from bgview.ui.log_file import LogFile, LogGone
from bgview.ui.log_follow import FollowingView
from bgview.ui.log_index import LineIndex
from bgview.ui.log_model import LogModel, LogState

MIN_UPDATE_INTERVAL = 0.04
"""The least time between two updates from the file after one that took in a lot (see
:meth:`LogLines.request_update`)."""
BURST_BYTES = 64 * 1024
"""An update that took in less than this (a person's pace of output, not a firehose) lets the
next one come at once."""
CACHE_LINES = 2048
"""Drawn lines kept: a few screens' worth, whatever the log's size."""
RETRY_SWAP = 0.005
"""How soon to look again while the size cap swaps the file (it takes a few milliseconds)."""

CacheKey = tuple[int, int, int, bool]
"""A drawn line: its byte span, the search it was drawn for, whether it is the current match."""


class LogLines(FollowingView, can_focus=True):
    """A job's output, following its tail until you scroll up."""

    DEFAULT_CSS = """
    LogLines {
        background: $surface;
        scrollbar-gutter: stable;
    }
    LogLines .log--match { background: $warning 40%; }
    LogLines .log--current { background: $accent 30%; }
    LogLines .log--note { color: $text-muted; text-style: italic; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"log--match", "log--current", "log--note"}

    search: reactive[UserPattern | None] = reactive(None)
    """What is highlighted (and what ``LogView.find`` looks for)."""

    @dataclass
    class Changed(Message):
        """The log's state changed (size, follow, cut, problem, a scan's progress); the panel
        redraws its bar."""

        view: LogLines
        state: LogState

        @property
        def control(self) -> LogLines:
            return self.view

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.model = LogModel()
        self._cache: LRUCache[CacheKey, Strip] = LRUCache(CACHE_LINES)
        self._max_width = 0
        self._style: Style | None = None
        self._last_update = 0.0
        self._update_timer: Timer | None = None
        self._redraw_timer: Timer | None = None
        self._search_gen = 0
        """Counts patterns searched for: lines drawn for an older one are drawn again."""

    # ---- what the screens (and tests) read ----------------------------------------------

    @property
    def job_dir(self) -> Path | None:
        return self.model.job_dir

    @property
    def file(self) -> LogFile | None:
        return self.model.file

    @property
    def index(self) -> LineIndex:
        return self.model.index

    @property
    def dropped(self) -> int:
        return self.model.dropped

    @property
    def problem(self) -> str | None:
        return self.model.problem

    @property
    def current_match(self) -> int | None:
        return self.model.current_match

    @property
    def row_count(self) -> int:
        return self.model.row_count

    @property
    def state(self) -> LogState:
        return self.model.state(self.follow)

    # ---- what a subclass adds -----------------------------------------------------------

    def _window_changed(self) -> None:
        """A new window was opened (another log, a truncation, a jump to the tail)."""

    def _jumped(self) -> None:
        """A backlog was skipped to the tail: what lies between is to be counted, scanned."""

    def _renumbered(self, delta: int) -> None:
        """The lines before the tail were counted: rows moved by ``delta``; keep the place."""
        if self.follow:
            self._scroll_to_end()
        else:
            self._scroll_quietly(self.scroll_y + delta)
        self._sync_size()
        self.refresh()
        self._changed()

    # ---- opening and growing ------------------------------------------------------------

    def open(self, job_dir: Path | None) -> None:
        """Show ``job_dir``'s log from its tail (``None``: show nothing)."""
        self.model.open(job_dir)
        self._cache.clear()
        self._max_width = 0  # another log: as wide as its lines turn out to be
        self._window_changed()
        self._sync_size()
        self.follow = True
        self._scroll_to_end()
        # Before the first layout the view has no height to scroll by: follow again after it.
        self.call_after_refresh(self._scroll_to_end_if_following)
        self._changed()

    def request_update(self) -> None:
        """The log grew: take it in now, or — if we took in a lot (:data:`BURST_BYTES`) less
        than :data:`MIN_UPDATE_INTERVAL` ago — once that interval is up. A quiet job's line
        shows at once; a firehose costs at most ~25 updates a second, leaving the loop to the
        keys."""
        if self._update_timer is not None:
            return
        wait = self._last_update + MIN_UPDATE_INTERVAL - time.monotonic()
        if wait <= 0:
            self.update_log()
        else:
            self._update_timer = self.set_timer(wait, self._timed_update)

    def _timed_update(self) -> None:
        self._update_timer = None
        self.update_log()

    def update_log(self) -> None:
        """Take in whatever the log gained since the last call (cheap when nothing did).

        The read is in this thread, bounded (at most ``READ_STEP`` bytes, from the page cache
        the job just wrote to): a hop to a worker would add to every line's latency."""
        result = self.model.update(self.follow)
        if result.took >= BURST_BYTES:
            # Only an update that took in a lot counts towards the rate limit: a quiet job's
            # next line must never wait behind one that found nothing, or one line.
            self._last_update = time.monotonic()
        if result.retry and self._update_timer is None:
            self._update_timer = self.set_timer(RETRY_SWAP, self._timed_update)
        if result.reopened:
            # The same width as before: a firehose jumping to its tail again and again would
            # otherwise lay the whole screen out again on each jump (a new width each time).
            self._cache.clear()
            self._window_changed()
        if result.jumped:
            self._jumped()
        if result.truncated:
            self.app.notify(
                "the log was truncated; showing it again from its start",
                title="log",
                severity="warning",
                markup=False,
            )
        if result.rows_gone and not self.follow:
            self._scroll_quietly(self.scroll_y - result.rows_gone)
        if result.more:
            self.request_update()  # more than one step behind: the rest shortly
        if result.changed:
            self._sync_size()
            if self.follow:
                self._scroll_to_end()
            self.refresh()
            self._changed()

    # ---- drawing ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base_style = self._base_style()
        if self.model.problem is not None:
            text = Text(visible(self.model.problem) if y == 0 else "", style="italic")
            return Strip(list(text.render(self.app.console)), text.cell_len).crop_extend(
                0, width, base_style
            )
        row = scroll_y + y
        strip = self._strip(row) if row < self.model.row_count else None
        if strip is None:
            return Strip.blank(width, base_style)
        return strip.crop_extend(scroll_x, scroll_x + width, base_style).apply_style(base_style)

    def _base_style(self) -> Style:
        """The widget's own style, worked out once per style change rather than per line
        drawn (it was a fifth of the cost of a frame)."""
        if self._style is None:
            self._style = self.rich_style
        return self._style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None
        self._cache.clear()  # component styles (matches, notes) may have changed too

    def _key(self, span: tuple[int, int]) -> CacheKey:
        return span[0], span[1], self._search_gen, span[0] == self.model.current_match

    def _strip(self, row: int) -> Strip | None:
        """The drawn line from the cache, reading every missing line on screen in one go (one
        open, one pread each); ``None`` while the size cap swaps the file (drawn again soon)."""
        model = self.model
        # The usual frame finds its line drawn already: look that one up alone (the spans of
        # the whole screen, for every line of every frame, were most of an idle frame's work).
        one = model.row_spans(range(row, row + 1))
        if one and one[0] is not None:
            cached = self._cache.get(self._key(one[0]))
            if cached is not None:
                return cached
        top = max(0, self.scroll_offset.y)
        rows = range(top, min(model.row_count, top + self.size.height + 1))
        if row not in rows:
            rows = range(row, row + 1)
        spans = model.row_spans(rows)
        span = spans[row - rows.start] if row - rows.start < len(spans) else None
        if span is None:
            return None
        strip = self._cache.get(self._key(span))
        if strip is not None:
            return strip
        missing = [s for s in spans if s is not None and self._key(s) not in self._cache]
        try:
            chunks = model.file.read_lines(missing) if model.file is not None else None
        except LogGone:
            chunks = [None] * len(missing)
        if chunks is None:
            if self._redraw_timer is None:
                self._redraw_timer = self.set_timer(RETRY_SWAP * 2, self._redraw)
            return None
        for line_span, raw in zip(missing, chunks, strict=True):
            self._store(line_span, raw)
        return self._cache.get(self._key(span))

    def _redraw(self) -> None:
        self._redraw_timer = None
        self.refresh()

    def _store(self, span: tuple[int, int], raw: bytes | None) -> None:
        if raw is None:
            note = self.get_component_rich_style("log--note")
            text = Text("(dropped by the log size cap)", style=note)
        else:
            text = render_line(raw)
        if self.search is not None:
            match_style = self.get_component_rich_style("log--match")
            for match in self.search.finditer(text.plain):
                if match.end() > match.start():
                    text.stylize(match_style, match.start(), match.end())
        if span[0] == self.model.current_match:
            text.stylize(self.get_component_rich_style("log--current"))
        strip = Strip(list(text.render(self.app.console)), text.cell_len)
        self._cache.set(self._key(span), strip)
        if strip.cell_length > self._max_width:
            self._max_width = strip.cell_length
            self.call_after_refresh(self._sync_size)

    def _sync_size(self) -> None:
        old = self.virtual_size
        height = self.model.row_count if self.model.problem is None else 1
        new = Size(max(self._max_width, 1), height)
        if new == old:
            return
        rows = self.container_size.height
        if new.width == old.width and (old.height > rows) == (new.height > rows):
            # Only longer, and no scrollbar comes or goes: no need for a layout of the whole
            # screen (which assigning ``virtual_size`` asks for, and which costs more than
            # everything else here under a firehose). Widget._size_updated does the same.
            self.set_reactive(LogLines.virtual_size, new)
            self._scroll_update(new)
        else:
            self.virtual_size = new
            # A line wider than the view brings a horizontal scrollbar, which takes the
            # bottom row: once it is laid out, the end is one row further down.
            self.call_after_refresh(self._scroll_to_end_if_following)

    def _changed(self) -> None:
        self.post_message(self.Changed(self, self.state))

    # ---- searching -------------------------------------------------------------------

    def watch_search(self) -> None:
        self._search_gen += 1
        self.model.current_match = None
        self._cache.clear()
        self.refresh()
