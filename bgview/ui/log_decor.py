"""The log pane's lines as a person arranges them: wrapped or cut at the edge, with a gutter of
arrival times, with a selection (visual mode) — on top of how the lines themselves are drawn
(:class:`~bgview.ui.log_term.TermLines`).

- Wrapping keeps one row of the scrollbar per line of the log (a gigabyte's scrollbar stays a
  line count, as ``less`` does): the screen is laid out from the line at the top, each line
  taking as many screen rows as it needs, or from the last line up when at the end.
- The gutter shows when each line came, ``14:03:27``, from the job's time index
  (:mod:`bgview.runtime.timeindex`): the time of the last entry at or before the line's first
  byte, so the line came then or a little later (within 15 s under a firehose).
- Visual mode (``v``) puts a cursor on the current line; the movement keys move it, the lines
  from where it started to where it is are selected, ``y`` copies them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from rich.segment import Segment
from textual import events
from textual.reactive import reactive
from textual.strip import Strip

from bgview.runtime import timeindex
from bgview.ui.log_term import TermLines

GUTTER = 9
"""``14:03:27`` and a space."""
TIMES_EVERY = 1.0
"""How often, at most, the time index is read again while the log grows."""
MOVES = {
    "up": -1,
    "k": -1,
    "down": 1,
    "j": 1,
    "pageup": -20,
    "pagedown": 20,
    "home": -(1 << 62),
    "g": -(1 << 62),
    "end": 1 << 62,
    "G": 1 << 62,
}
"""What each movement key does to the cursor in visual mode (page keys: by a screen)."""

QueryMode = Literal["search", "filter", "goto"]
QUERY_KEYS: dict[str, QueryMode] = {"slash": "search", "f": "filter", "colon": "goto"}
"""Keys that open the panel's query line."""

Piece = tuple[int, int]
"""A screen row of a wrapped layout: the view row, and which piece of it."""


class DecoratedLines(TermLines):
    """Log lines with wrapping, a time gutter and a selection."""

    DEFAULT_CSS = """
    DecoratedLines .log--selected { background: $accent 40%; }
    DecoratedLines .log--gutter { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"log--selected", "log--gutter"}  # noqa: RUF012 - Textual's own type

    wrap: reactive[bool] = reactive(False, bindings=True)
    """Long lines go on in the rows below rather than being cut at the edge."""
    times: reactive[bool] = reactive(False, bindings=True)
    """The gutter of arrival times is shown."""
    visual: reactive[bool] = reactive(False, bindings=True)
    """A selection is being made (``v``)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.sel_anchor = 0
        self.sel_cursor = 0
        self._times = timeindex.TimeIndex()
        self._times_read = 0.0
        self._pieces: tuple[tuple[object, ...], list[Piece]] | None = None
        self._relayout = True
        self.type_ahead: Callable[[events.Key], bool] | None = None
        """Set while the panel's query line opens: keys typed ahead of it go there."""
        self.open_query: Callable[[QueryMode], None] | None = None
        """The panel's: open its query line for a search, a filter or a line to go to."""

    # ---- which rows are meant ----------------------------------------------------------

    def current_row(self) -> int:
        """The line a copy or a pager means: the cursor (visual mode), the current match when
        it is on screen, the last line while following, else the top line."""
        if self.visual:
            return self.sel_cursor
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        match = self.model.current_match
        row = self.model.row_of_offset(match) if match is not None else None
        if row is not None and top <= row < top + height:
            return row
        if self.follow:
            return max(0, self.row_count - 1)
        return top

    def selection(self) -> tuple[int, int]:
        return min(self.sel_anchor, self.sel_cursor), max(self.sel_anchor, self.sel_cursor)

    def model_rows(self, first: int, last: int) -> list[int | str]:
        """What view rows ``first``..``last`` draw: model rows, or a terminal's rows' text."""
        layout = self._layout()
        out: list[int | str] = []
        for row in range(first, last + 1):
            target = self._resolve(row, layout) if layout else row
            if target is not None:
                out.append(target)
        return out

    # ---- visual mode ----------------------------------------------------------------------

    def start_visual(self) -> None:
        self.sel_cursor = self.sel_anchor = self.current_row()
        self.follow = False
        self.visual = True
        self.refresh()

    def watch_visual(self) -> None:
        self.refresh()

    async def _on_key(self, event: events.Key) -> None:
        if self.type_ahead is not None and self.type_ahead(event):
            event.stop()
            event.prevent_default()
            return
        if event.key == "v" and not self.visual and self.row_count:
            event.stop()  # here, in turn: the movement keys behind it select
            event.prevent_default()
            self.start_visual()
            return
        mode = QUERY_KEYS.get(event.key)
        if mode is not None and self.open_query is not None and not self.visual:
            # Opened here, in turn with the keys behind it, not once the key has bubbled up
            # to the screen's binding: those keys would reach the view first and be lost.
            event.stop()
            event.prevent_default()
            self.open_query(mode)
            return
        if self.visual and event.key in MOVES:
            event.stop()
            event.prevent_default()
            step = MOVES[event.key]
            if event.key in ("pageup", "pagedown"):
                step = step // 20 * max(1, self.scrollable_content_region.height)
            self.sel_cursor = max(0, min(self.row_count - 1, self.sel_cursor + step))
            self._keep_cursor_in_view()
            self.refresh()
            return
        if self.visual and event.key == "escape":
            event.stop()
            event.prevent_default()
            self.visual = False
            return
        await super()._on_key(event)

    def _keep_cursor_in_view(self) -> None:
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        if self.sel_cursor < top:
            self._scroll_quietly(self.sel_cursor)
        elif self.sel_cursor >= top + height:
            self._scroll_quietly(self.sel_cursor - height + 1)

    # ---- wrap and times ---------------------------------------------------------------------

    def watch_wrap(self, wrap: bool) -> None:
        self.styles.overflow_x = "hidden" if wrap else "auto"
        if wrap:
            self.scroll_to(x=0, animate=False, immediate=True)
        self._pieces = None
        self.refresh()

    def watch_times(self, times: bool) -> None:
        if times:
            self._read_times(force=True)
        self.refresh()

    def update_log(self) -> None:
        super().update_log()
        if self.times:
            self._read_times()

    def _read_times(self, force: bool = False) -> None:
        now = time.monotonic()
        job_dir = self.model.job_dir
        if job_dir is None or (not force and now - self._times_read < TIMES_EVERY):
            return
        self._times_read = now
        self._times = timeindex.load(Path(job_dir))

    def open(self, job_dir: Path | None) -> None:
        self.visual = False
        self._times = timeindex.TimeIndex()
        super().open(job_dir)
        if self.times:
            self._read_times(force=True)

    # ---- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        plain = not (self.wrap or self.times or self.visual)
        if plain or self.model.problem is not None:
            return super().render_line(y)
        width = self.scrollable_content_region.width  # less the scrollbar
        gutter = GUTTER if self.times else 0
        text_width = max(1, width - gutter)
        base = self._base_style()
        if self.wrap:
            if y == 0:
                self._relayout = True  # a new frame: lines may have grown or changed
            pieces = self._wrapped(text_width)
            if y >= len(pieces):
                return Strip.blank(width, base)
            row, piece = pieces[y]
            strip = self._row_strip(row)
            x = piece * text_width
        else:
            row, piece = self.scroll_offset.y + y, 0
            strip = self._row_strip(row) if row < self.row_count else None
            x = self.scroll_offset.x
        if strip is None:
            line = Strip.blank(text_width, base)
        else:
            line = strip.crop_extend(x, x + text_width, base).apply_style(base)
        if self.visual and row < self.row_count:
            first, last = self.selection()
            if first <= row <= last:
                selected = self.get_component_rich_style("log--selected")
                # Over the line's own styles (post_style): a selection shows on coloured text.
                line = Strip(Segment.apply_style(list(line), post_style=selected), text_width)
        if gutter:
            stamp = self._stamp(row) if piece == 0 else ""
            style = base + self.get_component_rich_style("log--gutter")
            line = Strip.join([Strip([Segment(stamp.ljust(gutter), style)], gutter), line])
        return line

    def _row_strip(self, row: int) -> Strip | None:
        """View row ``row`` drawn whole (not yet cut to the screen)."""
        layout = self._layout()
        target = self._resolve(row, layout) if layout else row
        if isinstance(target, str):
            return self._term_strip(target)
        return self._strip(target) if target is not None else None

    def _stamp(self, row: int) -> str:
        layout = self._layout()
        target = self._resolve(row, layout) if layout else row
        if not isinstance(target, int) or not self._times:
            return ""
        offset = self.model.offset_of_row(target)
        when = self._times.time_at(offset) if offset is not None else None
        return time.strftime("%H:%M:%S", time.localtime(when)) if when is not None else ""

    def _wrapped(self, width: int) -> list[Piece]:
        """The screen's rows when wrapping: from the top line down, or from the end up."""
        height = self.scrollable_content_region.height
        top = self.scroll_offset.y
        at_end = self.follow or top >= self.max_scroll_y
        key = (top, width, height, self.row_count, at_end)
        if self._pieces is not None and self._pieces[0] == key and not self._relayout:
            return self._pieces[1]
        self._relayout = False
        pieces: list[Piece] = []
        if at_end:
            row = self.row_count - 1
            while row >= 0 and len(pieces) < height:
                n = self._pieces_of(row, width)
                pieces[:0] = [(row, i) for i in range(n)]
                row -= 1
            pieces = pieces[-height:] if len(pieces) > height else pieces
        else:
            row = top
            while row < self.row_count and len(pieces) < height:
                pieces.extend((row, i) for i in range(self._pieces_of(row, width)))
                row += 1
            pieces = pieces[:height]
        self._pieces = (key, pieces)
        return pieces

    def _pieces_of(self, row: int, width: int) -> int:
        strip = self._row_strip(row)
        return max(1, -(-strip.cell_length // width)) if strip is not None else 1
