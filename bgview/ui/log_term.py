"""The log pane's lines with output that moves the cursor drawn as a terminal draws it.

:class:`TermLines` is :class:`~bgview.ui.log_lines.LogLines` — a line of the log a row, read
and styled when drawn — where the log needs a terminal (:mod:`bgview.ui.log_rows`): there, the
rows a terminal of the job's size drew (the lines it scrolled into its history, then its
screen as it is now; a full-screen program's current screen) stand in for the log's lines.
Plain output takes no step more than before: it is told apart from the rest by a ``translate``
of the bytes as they come, and with no splice the drawing is the base class's own.

The terminal is fed in a worker thread (``@work(thread=True)``), a step at a time; each step's
rows come back in a message, so the UI thread never waits for pyte. While following a
full-screen program, the pane shows its screen from the top (its meters and headings), as a
terminal window of the job's size would.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.worker import get_current_worker

from bgview.runtime.emulation import job_size
from bgview.runtime.ptyexec import PTY_COLS, PTY_ROWS
from bgview.ui.ansi import render_row
from bgview.ui.log_file import LogFile, LogGone
from bgview.ui.log_lines import CACHE_LINES, LogLines
from bgview.ui.log_rows import Result, Splice, TermRows, Work

WORKER_NICENESS = 10
SWITCH_INTERVAL = 0.001
"""Seconds a thread holds the GIL while another waits for it, once a terminal is fed in a
worker (Python's default is 5 ms). pyte is pure Python: feeding it, the worker asks for the
GIL back as soon as the UI thread releases it (every write to the terminal, every poll), so at
the default a key's handling waits up to 5 ms for each of these, many times over."""
DRAW_GAP = 0.08
"""The least time between two of the terminal's steps drawn in the pane (a redraw-heavy job
is drawn ~12 times a second, not once per 50 ms beat of its output): each draws the pane
anew on the UI thread, which answers keys. The worker waits out the rest before handing a
step over, and the next one takes in all that came meanwhile."""
Layout = list[tuple[int, int, Splice]]
"""Each splice with the model rows it stands in for, ``[first, last)``."""


class TermLines(LogLines):
    """A job's output, following its tail until you scroll up, drawn as a terminal would."""

    DEFAULT_CSS = """
    TermLines:ansi { background: ansi_default; color: ansi_default; }
    """
    """With the terminal's own palette (the viewer's ``ansi_color``), a job's output is drawn
    on the terminal's own background, in its own foreground: as it would be in a terminal."""

    @dataclass
    class _Drawn(Message, bubble=False):
        """A step of the terminal's work came back with the rows it drew."""

        result: Result

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.term_rows = TermRows((PTY_COLS, PTY_ROWS))
        self._tail: object | None = None
        """The model's tail index the splices were made for (a new one: a new window)."""
        self._term_cache: LRUCache[tuple[str, int], Strip] = LRUCache(CACHE_LINES)
        self._drawn_at = 0.0
        """When the terminal's last step was drawn (monotonic seconds)."""

    # ---- taking the log in --------------------------------------------------------------

    def open(self, job_dir: Path | None) -> None:
        self._tail = None
        self._drawn_at = 0.0  # another log's first step is drawn at once
        self.workers.cancel_group(self, "terminal")
        super().open(job_dir)
        self._take_in()

    def update_log(self) -> None:
        super().update_log()
        self._take_in()

    def _take_in(self) -> None:
        """Tell plain output from what needs the terminal as the log grows, and set the
        terminal to work on the latter."""
        model, rows = self.model, self.term_rows
        file = model.file
        if file is None or model.problem is not None:
            return
        index = model.index
        if index is not self._tail:  # another log, a jump to the tail, a truncation
            size = job_size(file.job_dir) if self._tail is None else (rows.columns, rows.lines)
            rows.reset(size, index.base)
            self._tail = index
            self._term_cache.clear()
        rows.trim(index.base)
        try:
            job = rows.advance(file.read, index.end, self.follow)
        except LogGone:
            return
        if job is not None:
            self._feed_terminal(file, job)

    @work(thread=True, group="terminal")
    def _feed_terminal(self, file: LogFile, job: Work) -> None:
        worker = get_current_worker()
        # A lower priority for this thread (Linux keeps one per thread): on a busy machine the
        # UI thread, which answers keys, gets the CPU first whenever both could run.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)

        def read(start: int, stop: int) -> bytes:
            try:
                return file.read(start, stop)
            except LogGone:
                return b""

        result = job.run(read, lambda: worker.is_cancelled)
        wait = self._drawn_at + DRAW_GAP - time.monotonic()
        if wait > 0 and not result.released:
            time.sleep(wait)
        if not worker.is_cancelled:
            self.post_message(self._Drawn(result))

    @on(_Drawn)
    def _drawn(self, message: _Drawn) -> None:
        gone = self.term_rows.apply(message.result)
        if gone is None:
            return
        self._drawn_at = time.monotonic()
        if gone and not self.follow:
            self._scroll_quietly(self.scroll_y - gone)
        self._sync_size()
        if self.follow:
            self._scroll_to_end()
        self.refresh()
        self._take_in()  # what came meanwhile

    # ---- rows ---------------------------------------------------------------------------

    def _layout(self) -> Layout:
        """The splices the view shows now (none under a filter: its rows are its matches)."""
        model = self.model
        splices = self.term_rows.splices
        if not splices or model.filter is not None or model.file is None:
            return []
        index, count = model.index, model.row_count

        def model_row(offset: int | None) -> int:
            if offset is None or offset >= index.end:
                return count
            line = index.line_at(offset) if offset >= index.base else index.first
            return max(0, count - (index.last - line))

        return [(model_row(s.start), model_row(s.end), s) for s in splices]

    @property
    def row_count(self) -> int:
        return self.model.row_count + sum(s.rows - (b - a) for a, b, s in self._layout())

    def _resolve(self, row: int, layout: Layout) -> int | str | None:
        """What view row ``row`` draws: a model row (a line of the log), or a terminal's row."""
        shift = 0
        for first, last, splice in layout:
            start = first + shift
            if row < start:
                break
            if row < start + splice.rows:
                return splice.row(row - start)
            shift += splice.rows - (last - first)
        row -= shift
        return row if 0 <= row < self.model.row_count else None

    def view_row_of_offset(self, offset: int) -> int | None:
        """The view row that draws what the log holds at ``offset`` (a search's match): the
        model's row, moved by the terminal's rows above it, or about where a terminal drew it.
        """
        layout = self._layout()
        shift = 0
        for first, last, splice in layout:
            if splice.start <= offset and (splice.end is None or offset < splice.end):
                return first + shift + splice.row_of(offset) if splice.rows else None
            if offset < splice.start:
                break
            shift += splice.rows - (last - first)
        row = self.model.row_of_offset(offset)
        return None if row is None else row + shift

    def _screen_row(self) -> int | None:
        """Where a full-screen program's screen starts, when the log ends in one."""
        shift = 0
        for first, last, splice in self._layout():
            if splice.end is None and splice.full_screen and splice.live:
                return first + shift + len(splice.final)
            shift += splice.rows - (last - first)
        return None

    # ---- drawing ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        layout = self._layout()
        if not layout or self.model.problem is not None:
            return super().render_line(y)
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base_style = self._base_style()
        target = self._resolve(scroll_y + y, layout)
        strip: Strip | None = None
        if isinstance(target, str):
            strip = self._term_strip(target)
        elif target is not None:
            strip = self._strip(target)
        if strip is None:
            return Strip.blank(width, base_style)
        return strip.crop_extend(scroll_x, scroll_x + width, base_style).apply_style(base_style)

    def _term_strip(self, row: str) -> Strip:
        key = (row, self._search_gen)
        strip = self._term_cache.get(key)
        if strip is not None:
            return strip
        text: Text = render_row(row)
        if self.search is not None:
            match_style = self.get_component_rich_style("log--match")
            for match in self.search.finditer(text.plain):
                if match.end() > match.start():
                    text.stylize(match_style, match.start(), match.end())
        strip = Strip(list(text.render(self.app.console)), text.cell_len)
        self._term_cache.set(key, strip)
        if strip.cell_length > self._max_width:
            self._max_width = strip.cell_length
            self.call_after_refresh(self._sync_size)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._term_cache.clear()

    def watch_search(self) -> None:
        super().watch_search()
        self._term_cache.clear()

    # ---- sizes and following (as LogLines does, counting the terminal's rows) -----------

    def _sync_size(self) -> None:
        old = self.virtual_size
        height = self.row_count if self.model.problem is None else 1
        new = Size(max(self._max_width, 1), height)
        if new == old:
            return
        rows = self.container_size.height
        if new.width == old.width and (old.height > rows) == (new.height > rows):
            self.set_reactive(LogLines.virtual_size, new)  # see LogLines._sync_size
            self._scroll_update(new)
        else:
            self.virtual_size = new
            self.call_after_refresh(self._scroll_to_end_if_following)

    def _scroll_to_end(self) -> None:
        target = max(self.max_scroll_y, self.row_count - self.scrollable_content_region.height)
        screen = self._screen_row()
        if screen is not None:
            target = min(target, screen)  # a full-screen program: its screen from the top
        self._scroll_quietly(target)
        if self.scroll_y < target:
            self.call_after_refresh(self._scroll_to_end_if_following)
