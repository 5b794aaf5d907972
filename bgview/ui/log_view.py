"""The live log of one job, drawn from its file by byte offset.

Like toolong, and unlike ``RichLog``, this never holds the log's text: a
:class:`~bgview.ui.log_index.LineIndex` keeps where lines start in a bounded window at the
log's tail, and only the lines on screen are read (:mod:`bgview.ui.log_file`: ``os.pread``
by logical offset, never mixing two versions of a file the size cap is trimming), styled
(:mod:`bgview.ui.ansi`) and kept in a small cache. A gigabyte log opens as fast as a
small one, and memory does not grow with it.

Bindings (on top of ScrollView's arrows, page keys and home):

| key | action |
| --- | --- |
| end | scroll to the end and follow new output again |
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bgview.runtime.patterns import UserPattern
from bgview.runtime.text import visible
from bgview.ui.ansi import render_line
from bgview.ui.log_file import SEARCH_BLOCK, LogFile, LogGone
from bgview.ui.log_index import LineIndex

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
MIN_UPDATE_INTERVAL = 0.04
"""The least time between two updates from the file (see :meth:`LogView.request_update`)."""
CACHE_LINES = 2048


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


class LogView(ScrollView, can_focus=True):
    """A job's output, following its tail until you scroll up."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("end", "follow", "Follow", tooltip="Scroll to the end and follow new output"),
    ]

    DEFAULT_CSS = """
    LogView {
        background: $surface;
        scrollbar-gutter: stable;
    }
    LogView .log--match { background: $warning 40%; }
    LogView .log--current { background: $accent 30%; }
    LogView .log--note { color: $text-muted; text-style: italic; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"log--match", "log--current", "log--note"}

    follow: reactive[bool] = reactive(True)
    """Whether new output scrolls into view. Scrolling up stops it; ``end`` resumes."""

    class Changed(Message):
        """The log's state changed (size, follow, cut, problem); the panel redraws its bar."""

        def __init__(self, view: LogView, state: LogState) -> None:
            super().__init__()
            self.view = view
            self.state = state

        @property
        def control(self) -> LogView:
            return self.view

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.job_dir: Path | None = None
        self.file: LogFile | None = None
        self.index = LineIndex()
        self.dropped = 0
        self.problem: str | None = None
        self._cache: OrderedDict[tuple[int, int, int, bool], Strip] = OrderedDict()
        self._max_width = 0
        self._programmatic = False
        self._redraw_pending = False
        self._style: Style | None = None
        self._last_update = 0.0
        self._update_scheduled = False
        self._search: UserPattern | None = None
        self._search_gen = 0
        self.current_match: int | None = None
        """Absolute line number of the match ``n``/``N`` moved to."""
        self._filter: UserPattern | None = None
        self._visible: list[int] = []
        """Absolute line numbers shown while a filter is on."""

    # ---- opening and growing --------------------------------------------------------------

    def open(self, job_dir: Path | None) -> None:
        """Show ``job_dir``'s log from its tail (``None``: show nothing)."""
        self.job_dir = job_dir
        self.file = LogFile(job_dir) if job_dir is not None else None
        self.problem = None
        self._cache.clear()
        self._max_width = 0
        self.current_match = None
        self.index = LineIndex()
        self.dropped = 0
        if job_dir is not None:
            try:
                self._open_tail()
            except LogGone as exc:
                self.problem = str(exc)
        if self._filter is not None:
            self._visible = self._match(self.index.first, self.index.last, self._filter)
        self._sync_size()
        self._set_follow(True)
        self._scroll_to_end()
        # Before the first layout the view has no height to scroll by: follow again after it.
        self.call_after_refresh(self._scroll_to_end_if_following)
        self._changed()

    def _scroll_to_end_if_following(self) -> None:
        if self.follow:
            self._scroll_to_end()

    def on_resize(self) -> None:
        self.call_after_refresh(self._scroll_to_end_if_following)

    def _open_tail(self, first: int = 0, window: int = OPEN_WINDOW) -> None:
        assert self.file is not None
        self.index, self.dropped = self.file.tail(window, first)

    def request_update(self) -> None:
        """The log grew: take it in now, or — if we took some in less than
        :data:`MIN_UPDATE_INTERVAL` ago — once that interval is up. A quiet job's line shows
        at once; a firehose costs at most ~25 updates a second, leaving the loop to the keys."""
        if self._update_scheduled:
            return
        wait = self._last_update + MIN_UPDATE_INTERVAL - time.monotonic()
        if wait <= 0:
            self.update_log()
        else:
            self._update_scheduled = True
            self.set_timer(wait, self._scheduled_update)

    def _scheduled_update(self) -> None:
        self._update_scheduled = False
        self.update_log()

    def update_log(self) -> None:
        """Take in whatever the log gained since the last call (cheap when nothing did)."""
        if self.job_dir is None:
            return
        try:
            self._update()
        except LogGone as exc:
            if self.problem != str(exc):
                self.problem = str(exc)
                self._cache.clear()
                self.refresh()
                self._changed()

    def _update(self) -> None:
        index = self.index
        if self.problem is not None:
            self.problem = None
            self.open(self.job_dir)
            return

        assert self.file is not None
        got = self.file.growth(index.end, READ_STEP, JUMP_AFTER if self.follow else None)
        if got is None:  # the size cap is swapping the file right now: look again very soon
            if not self._update_scheduled:
                self._update_scheduled = True
                self.set_timer(0.005, self._scheduled_update)
            return
        size, dropped, data = got
        if size < index.end and dropped <= self.dropped:
            # Shorter than before with nothing dropped: someone truncated the log. Start over.
            self.open(self.job_dir)
            self.notify_note("the log was truncated; showing it again from its start")
            return
        changed = False
        if dropped > self.dropped:
            self.dropped = dropped
            changed = True
            if dropped > index.base:
                if dropped >= index.end:
                    self._reopen_at_tail()
                    return
                self._drop_front(index.drop_before(dropped))
        if size > index.end:
            if self.follow and size - index.end > JUMP_AFTER:
                self._reopen_at_tail()
                return
            if data:
                # Only an update that took something in counts towards the rate limit: a
                # quiet job's next line must never wait behind an update that found nothing.
                self._last_update = time.monotonic()
                last_before = index.last - 1
                was_partial = index.partial
                index.feed(data)
                if was_partial:
                    self._forget_line(last_before)
                self._filter_new(last_before if was_partial else last_before + 1)
                excess = index.over_budget()
                if excess:
                    self._drop_front(excess)
                changed = True
            if index.end < size:
                # More than one step behind: the rest shortly, leaving the loop free for keys.
                self.request_update()
        if changed:
            self._sync_size()
            if self.follow:
                self._scroll_to_end()
            self.refresh()
            self._changed()

    def _reopen_at_tail(self) -> None:
        self._last_update = time.monotonic()  # took something in: counts towards the rate limit
        first = self.index.last + 1  # numbers keep growing: old matches can never collide
        self._open_tail(first, JUMP_WINDOW)
        self._cache.clear()
        if self._filter is not None:
            self._visible = self._match(self.index.first, self.index.last, self._filter)
        self.current_match = None
        self._sync_size()
        if self.follow:
            self._scroll_to_end()
        self.refresh()
        self._changed()

    def _drop_front(self, lines: int) -> None:
        if lines <= 0:
            return
        first_before = self.index.first
        self.index.drop_front(lines)
        gone = self.index.first - first_before
        if self._filter is not None:
            kept = [n for n in self._visible if n >= self.index.first]
            gone = len(self._visible) - len(kept)
            self._visible = kept
        if not self.follow:
            self._programmatic = True
            self.scroll_to(y=max(0, self.scroll_y - gone), animate=False, immediate=True)
            self._programmatic = False

    def _extend_back(self) -> None:
        """Scrolled to the top of the window with more log before it: read some of it in."""
        index = self.index
        if index.base <= self.dropped or index.size >= OPEN_WINDOW * 8:
            return
        base = max(self.dropped, index.base - EXTEND_STEP)
        assert self.file is not None
        data = self.file.read(base, index.base)
        if base > self.dropped:
            cut = data.find(b"\n") + 1
            if not cut:
                return
            base, data = base + cut, data[cut:]
        if not data:
            return
        added = index.prepend(base, data)
        if self._filter is not None:
            earlier = self._match(index.first, index.first + added, self._filter)
            self._visible = earlier + self._visible
            added = len(earlier)
        self._sync_size()
        self._programmatic = True
        self.scroll_to(y=self.scroll_y + added, animate=False, immediate=True)
        self._programmatic = False
        self.refresh()
        self._changed()

    # ---- drawing ----------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._visible) if self._filter is not None else len(self.index)

    def row_line(self, row: int) -> int:
        """The absolute line number drawn at ``row``."""
        return self._visible[row] if self._filter is not None else self.index.first + row

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base_style = self._base_style()
        row = scroll_y + y
        if self.problem is not None:
            text = Text(visible(self.problem) if y == 0 else "", style="italic")
            return Strip(list(text.render(self.app.console)), text.cell_len).crop_extend(
                0, width, base_style
            )
        if row >= self.row_count:
            return Strip.blank(width, base_style)
        line = self.row_line(row)
        strip = self._strip(row, line)
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

    def _key(self, line: int) -> tuple[int, int, int, bool]:
        start, stop = self.index.span(line)
        return start, stop, self._search_gen, line == self.current_match

    def _strip(self, row: int, line: int) -> Strip | None:
        """The drawn line from the cache, reading every missing line on screen in one go (one
        open, one pread each); ``None`` while the size cap swaps the file (drawn again soon)."""
        key = self._key(line)
        strip = self._cache.get(key)
        if strip is not None:
            self._cache.move_to_end(key)
            return strip
        first_row = max(0, self.scroll_offset.y)
        rows = range(first_row, min(self.row_count, first_row + self.size.height + 1))
        lines = [self.row_line(r) for r in rows] if row in rows else [line]
        missing = [n for n in lines if self._key(n) not in self._cache]
        try:
            chunks = (
                self.file.read_lines([self.index.span(n) for n in missing])
                if self.file is not None
                else None
            )
        except LogGone:
            chunks = [None] * len(missing)
        if chunks is None:
            if not self._redraw_pending:
                self._redraw_pending = True
                self.set_timer(0.01, self._redraw)
            return None
        for n, raw in zip(missing, chunks, strict=True):
            self._store(n, raw)
        return self._cache.get(key)

    def _redraw(self) -> None:
        self._redraw_pending = False
        self.refresh()

    def _store(self, line: int, raw: bytes | None) -> None:
        if raw is None:
            text = Text(
                "(dropped by the log size cap)", style=self.get_component_rich_style("log--note")
            )
        else:
            text = render_line(raw)
        if self._search is not None:
            match_style = self.get_component_rich_style("log--match")
            for match in self._search.finditer(text.plain):
                if match.end() > match.start():
                    text.stylize(match_style, match.start(), match.end())
        if line == self.current_match:
            text.stylize(self.get_component_rich_style("log--current"))
        segments = list(text.render(self.app.console))
        strip = Strip(segments, text.cell_len)
        key = self._key(line)
        self._cache[key] = strip
        if len(self._cache) > CACHE_LINES:
            self._cache.popitem(last=False)
        if strip.cell_length > self._max_width:
            self._max_width = strip.cell_length
            self.call_after_refresh(self._sync_size)

    def _forget_line(self, line: int) -> None:
        """Drop a grown partial line from the cache (its key changes anyway; this frees it)."""
        for key in [k for k in self._cache if k[1] <= self.index.end and k[0] == self._start(line)]:
            del self._cache[key]

    def _start(self, line: int) -> int:
        try:
            return self.index.span(line)[0]
        except IndexError:
            return -1

    def _sync_size(self) -> None:
        old = self.virtual_size
        new = Size(max(self._max_width, 1), self.row_count if self.problem is None else 1)
        if new == old:
            return
        height = self.container_size.height
        if new.width == old.width and (old.height > height) == (new.height > height):
            # Only longer, and no scrollbar comes or goes: no need for a layout of the whole
            # screen (which assigning ``virtual_size`` asks for, and which costs more than
            # everything else here under a firehose). Widget._size_updated does the same.
            self.set_reactive(LogView.virtual_size, new)
            self._scroll_update(new)
        else:
            self.virtual_size = new

    def _changed(self) -> None:
        self.post_message(self.Changed(self, self.state))

    @property
    def state(self) -> LogState:
        return LogState(
            follow=self.follow,
            size=self.index.end,
            dropped=self.dropped,
            base=self.index.base,
            lines=len(self.index),
            shown=self.row_count,
            problem=self.problem,
        )

    def notify_note(self, text: str) -> None:
        self.app.notify(text, title="log", severity="warning", markup=False)

    # ---- following ----------------------------------------------------------------------------

    def _set_follow(self, value: bool) -> None:
        if self.follow != value:
            self.follow = value

    def watch_follow(self, value: bool) -> None:
        if value:
            self._scroll_to_end()
        self._changed()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `end Follow` is offered only when it would do something.
        return not (action == "follow" and self.follow)

    def _scroll_to_end(self) -> None:
        target = max(0, self.row_count - self.scrollable_content_region.height)
        self._programmatic = True
        self.scroll_to(y=target, animate=False, immediate=True)
        self._programmatic = False
        if self.scroll_y < target:
            # The first time the log outgrows the view its scrollbar is not laid out yet and
            # the scroll is clamped short: finish it once the layout has caught up.
            self.call_after_refresh(self._scroll_to_end_if_following)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self._programmatic:
            return
        if new < old:
            self._set_follow(False)
        elif new >= self.max_scroll_y and self.row_count:
            self._set_follow(True)
        if new <= 0 and old > 0:
            self.call_later(self._extend_back)

    # A person scrolling up means "stop here": say so at once, not when an animation ends.
    def action_scroll_up(self) -> None:
        self._set_follow(False)
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._set_follow(False)
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._set_follow(False)
        super().action_scroll_home()

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._set_follow(False)
        super()._on_mouse_scroll_up(event)

    def action_follow(self) -> None:
        """``end``: back to the tail, following."""
        self._set_follow(True)
        self._scroll_to_end()

    # ---- search and filter -----------------------------------------------------------------------

    def set_search(self, pattern: UserPattern | None) -> None:
        """Highlight ``pattern`` everywhere it shows (``None``: no highlight)."""
        self._search = pattern
        self._search_gen += 1
        self.current_match = None
        self._cache.clear()
        self.refresh()

    def find(self, forward: bool = True) -> int | None:
        """Move to the next (or previous) line matching the search; its number, or ``None``.

        Starts after (before) the current match, or from the top (bottom) of the screen, and
        wraps around the window once.
        """
        if self._search is None or not self.row_count:
            return None
        rows = self.row_count
        if self.current_match is not None and self._row_of(self.current_match) is not None:
            start = self._row_of(self.current_match) or 0
            start = start + 1 if forward else start - 1
        else:
            start = self.scroll_offset.y if forward else self.scroll_offset.y + self.size.height - 1
        order = (
            list(range(start, rows)) + list(range(0, start))
            if forward
            else list(range(start, -1, -1)) + list(range(rows - 1, start, -1))
        )
        for block in range(0, len(order), SEARCH_BLOCK):
            chunk = order[block : block + SEARCH_BLOCK]
            lines = [self.row_line(r) for r in chunk]
            for row, line, text in zip(chunk, lines, self._plain(lines), strict=True):
                if self._search.search(text):
                    self._goto(row, line)
                    return line
        return None

    def _goto(self, row: int, line: int) -> None:
        self.current_match = line
        self._set_follow(False)
        self._programmatic = True
        self.scroll_to(y=max(0, row - self.size.height // 2), animate=False, immediate=True)
        self._programmatic = False
        self.refresh()

    def _row_of(self, line: int) -> int | None:
        if self._filter is None:
            row = line - self.index.first
            return row if 0 <= row < len(self.index) else None
        from bisect import bisect_left

        i = bisect_left(self._visible, line)
        return i if i < len(self._visible) and self._visible[i] == line else None

    def set_filter(self, pattern: UserPattern | None) -> None:
        """Show only lines matching ``pattern`` (``None``: every line again)."""
        self._filter = pattern
        self._visible = self._match(self.index.first, self.index.last, pattern) if pattern else []
        self.current_match = None
        self._cache.clear()
        self._sync_size()
        if self.follow:
            self._scroll_to_end()
        else:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()
        self._changed()

    def _filter_new(self, first: int) -> None:
        if self._filter is not None:
            if self._visible and self._visible[-1] >= first:
                self._visible = [n for n in self._visible if n < first]
            self._visible.extend(self._match(first, self.index.last, self._filter))

    def _match(self, first: int, last: int, pattern: UserPattern) -> list[int]:
        if self.file is None or first >= last:
            return []
        return self.file.matching(self.index, first, last, pattern)

    def _plain(self, lines: list[int]) -> list[str]:
        return self.file.plain_lines(self.index, lines) if self.file is not None else []
