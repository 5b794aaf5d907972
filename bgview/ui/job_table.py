"""The job table: one row per job, running jobs on top, newest first, drawn a line at a time.

A store of 10,000 jobs is 10,000 rows. Like the log view, the table keeps no rendered rows:
it holds the jobs in order (a sorted list of :func:`~bgview.runtime.present.sort_key`, the
order of ``bgview list``) and draws only the rows on screen, so it fills as fast for 10,000
jobs as for ten, and a job starting or ending moves one row by a binary search instead of
sorting the table. Rows are keyed by the job's directory (ids repeat across projects under
``--all``); the cursor stays on its job as rows move, and :class:`JobTable.Highlighted` says
so whenever the job under it changes. Columns fit their content (:mod:`table_layout`).

A job waiting for input keeps its place in the order (the one of ``bgview list``) but its row
stands out in the warning colour, with ``⌨ input`` as its status, and :attr:`JobTable.waiting`
counts such jobs for the footer's chip.

An idle viewer draws as little as it can: what changes by the second (runtimes, a growing
log's size, a busy job's CPU and memory) is drawn at :meth:`JobTable.tick`, all in one frame,
which the screen calls once a second or along with a frame it draws anyway (:data:`DUE_SECONDS`
is the longest a change waits without a tick). A store of 10,000 jobs is measured for its
columns' widths a chunk at a time after the first frame, the rows on screen first.

Bindings:

| key | action |
| --- | --- |
| up / down | the previous / next job |
| pageup / pagedown | a page up / down |
| home / end | the first / last job |
| enter | open the highlighted job (:class:`JobTable.Selected`) |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
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
from textual.timer import Timer

from bgview.runtime.model import Job
from bgview.ui.format import Clock
from bgview.ui.table_layout import COLUMNS, FIXED, cells, fit
from bgview.ui.table_order import JobOrder, facts_only, waits
from bgview.ui.table_row import RowStrips, draw_row

DUE_SECONDS = 1.0
"""The longest a row's new size or facts wait for a tick before they are drawn anyway."""
MEASURED_FIRST = 200
"""Rows measured for their columns' widths before the first frame (the rest after it)."""
MEASURE_STEP = 2000
"""Rows measured in one go after the first frame."""


class JobTable(ScrollView, can_focus=True):
    """Jobs as rows; :meth:`upsert` and :meth:`discard` keep it in step with the feed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First job", show=False),
        Binding("end", "last", "Last job", show=False),
        Binding(
            "enter",
            "select_cursor",
            "Open",
            tooltip="Open the highlighted job full-screen",
            id="bgview.open",
        ),
    ]

    DEFAULT_CSS = """
    JobTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        scrollbar-gutter: stable;
        & > .job-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .job-table--waiting { background: $warning-muted; }
        & > .job-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .job-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "job-table--header",
        "job-table--cursor",
        "job-table--waiting",
    }

    waiting: reactive[int] = reactive(0)
    """How many jobs wait for input (the footer's chip says so)."""

    @dataclass
    class Highlighted(Message):
        """The cursor is on another job (``None``: the table is empty)."""

        table: JobTable
        job: Job | None

        @property
        def control(self) -> JobTable:
            return self.table

    @dataclass
    class Selected(Message):
        """``enter``, or a click on the highlighted row: open this job."""

        table: JobTable
        job: Job

        @property
        def control(self) -> JobTable:
            return self.table

    def __init__(self, clock: Clock, *, show_project: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self._now = clock()
        """The time runtimes are shown at, moved on by :meth:`tick`: rows drawn at different
        moments (one redrawn for its output) then agree."""
        self._shown_clock: Clock = lambda: self._now
        self.show_project = show_project
        self._order = JobOrder()
        self.jobs = self._order.jobs
        """Row key (the job's directory) -> the latest snapshot."""
        self._cursor = 0
        self._cursor_key: str | None = None
        self._due_timer: Timer | None = None
        """Draws sizes and facts left waiting when no tick comes (see :data:`DUE_SECONDS`)."""
        self._strips = RowStrips()
        self._styles: dict[str, Style] = {}

    # ---- what is where ----------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    def job_at(self, row: int) -> Job:
        return self.jobs[self._order.key_at(row)]

    def row_of(self, job_dir: Path | str) -> int | None:
        return self._order.row_of(str(job_dir))

    def selected_key(self) -> str | None:
        return self._cursor_key

    def selected(self) -> Job | None:
        """The job under the cursor."""
        return self.jobs.get(self._cursor_key) if self._cursor_key is not None else None

    def row_cells(self, row: int) -> tuple[str, ...]:
        """The plain text of each cell of ``row`` (longest forms, not cut)."""
        return tuple(text.plain for text in self._cells(self.job_at(row)).values())

    # ---- keeping in step with the store ------------------------------------------------------

    def load(self, jobs: Iterable[Job]) -> None:
        """Every job at once (the first look at the store): one sort, the cursor on top."""
        self._now = self.clock()
        # The rows on top (every running job among them) measured before the first frame; the
        # others once it is drawn: 10,000 jobs' cells were most of a big store's first frame.
        self._order.load(jobs, self._shown_clock, MEASURED_FIRST)
        if self._order.unmeasured:
            self.call_after_refresh(self._measure_rest)
        self.waiting = len(self._order.waiting)
        self._cursor = 0
        self._changed(keep_cursor=False)

    def upsert(self, job: Job) -> None:
        """Add or update the job's row (moving it if its place in the order changed)."""
        key = str(job.dir)
        old = self.jobs.get(key)
        self.waiting = self._order.note_waiting(key, job)
        if old is not None and facts_only(old, job) and waits(old) == waits(job):
            # CPU and memory change with every sample: drawn with the next tick.
            self._order.hold_facts(job)
            self._due()
            return
        size = self._order.held(key)
        if size is not None and size > job.output_bytes:  # a size the record has not caught
            job = replace(job, output_bytes=size)
        moved = self._order.put(job)
        self._measure(job)
        if moved:
            self._changed()
        else:
            self._refresh_row(key)

    def _measure_rest(self) -> None:
        """Measure the next :data:`MEASURE_STEP` jobs of the first look, and the rest later."""
        if self._order.measure_some(MEASURE_STEP, self._shown_clock):
            self.refresh()
        if self._order.unmeasured:
            self.set_timer(0.01, self._measure_rest)  # keys pressed meanwhile go first

    def _due(self) -> None:
        if self._due_timer is None:
            self._due_timer = self.set_timer(DUE_SECONDS, self._draw_pending)

    def _draw_pending(self) -> None:
        """Draw the sizes and facts that changed since the last tick."""
        if self._due_timer is not None:
            self._due_timer.stop()
            self._due_timer = None
        for key in self._order.apply_held():
            self._measure(self.jobs[key])
            self._refresh_row(key)

    def discard(self, job_dir: Path) -> None:
        key = str(job_dir)
        self.waiting = self._order.note_waiting(key, None)
        if self._order.pop(key) is not None:
            self._changed()

    def set_size(self, job_dir: Path, size: int) -> None:
        """The job's output grew: its output cell, with the next tick (a firehose grows it
        with every batch; redrawing it as often would keep the screen busy)."""
        self._order.hold_size(str(job_dir), size)
        self._due()

    def tick(self) -> None:
        """The clock moved: running jobs' runtimes (running jobs are the top rows), and the
        sizes and facts that changed since the last tick. Only their rows are drawn again: an
        idle viewer's second costs a few lines, not the table (a column that grew redraws it
        all, in :meth:`_measure`)."""
        self._now = self.clock()
        self._draw_pending()
        for key in self._order.rows():
            job = self.jobs[key]
            if not job.running:
                break
            self._measure(job)
            self._refresh_row(key)

    def _measure(self, job: Job) -> None:
        if self._order.measure(job, self._shown_clock):
            self.refresh()

    def _changed(self, *, keep_cursor: bool = True) -> None:
        """Rows came, went or moved: size, cursor (on its job still, if it has one), redraw."""
        if keep_cursor and self._cursor_key is not None:
            row = self.row_of(self._cursor_key)
            if row is not None:
                self._cursor = row
        self.virtual_size = Size(self.size.width, len(self._order) + 1)
        self._move(self._cursor)
        self.refresh()

    # ---- the cursor ----------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        self._move(row)
        self.refresh()

    def move_to(self, job_dir: Path) -> None:
        """Put the cursor on this job's row."""
        row = self.row_of(job_dir)
        if row is not None:
            self.move_cursor(row)

    def _move(self, row: int) -> None:
        row = max(0, min(row, len(self._order) - 1))
        self._cursor = row
        key = self._order.key_at(row) if self._order else None
        self._scroll_into_view(row)
        if key != self._cursor_key:
            self._cursor_key = key
            self.post_message(self.Highlighted(self, self.selected()))

    def _scroll_into_view(self, row: int) -> None:
        shown = max(1, self.scrollable_content_region.height - 1)  # below the header
        top = int(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + shown:
            self.scroll_to(y=row - shown + 1, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self._cursor + step)

    def action_page(self, step: int) -> None:
        self.move_cursor(self._cursor + step * max(1, self.scrollable_content_region.height - 2))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._order) - 1)

    def action_select_cursor(self) -> None:
        job = self.selected()
        if job is not None:
            self.post_message(self.Selected(self, job))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return bool(self._order) if action == "select_cursor" else True

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return  # the header
        row = int(self.scroll_y) + offset.y - 1
        if row >= len(self._order):
            return
        if row == self._cursor:
            self.action_select_cursor()
        else:
            self.move_cursor(row)

    # ---- drawing --------------------------------------------------------------------------------

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._order) + 1)
        self._scroll_into_view(self._cursor)

    def _style(self, component: str) -> Style:
        """The widget's style (plus a component's), worked out once per change of styles:
        walking the CSS for every row drawn was a third of an idle frame."""
        style = self._styles.get(component)
        if style is None:
            style = self.rich_style
            if component:
                style += self.get_component_rich_style(component)
            self._styles[component] = style
        return style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self._styles.clear()
        self.refresh()  # the cursor's colours change with the focus

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self._styles.clear()
        self.refresh()

    def _refresh_row(self, key: str) -> None:
        row = self.row_of(key)
        if row is not None and 0 <= row - int(self.scroll_y) < self.size.height - 1:
            self.refresh_line(row + 1)  # virtual lines: the header is line 0

    def _cells(self, job: Job) -> dict[str, Text]:
        return cells(job, self._shown_clock, show_project=self.show_project)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._style("")
        widths = fit(width, self._order.natural)
        if y == 0:
            header = {column.key: Text(column.label) for column in COLUMNS}
            style = self._style("job-table--header")
            return draw_row(header, widths, width, style, style, self.app.console)
        row = int(self.scroll_y) + y - 1
        if row >= len(self._order):
            return Strip.blank(width, base)
        key = self._order.key_at(row)
        job = self.jobs[key]
        styles: tuple[Style, Style | None]
        if row == self._cursor:
            cursor = self._style("job-table--cursor")
            styles = (cursor, cursor)
        elif waits(job):
            styles = (self._style("job-table--waiting"), None)
        else:
            styles = (base, None)
        texts = self._cells(job)
        return self._strips.row(key, job, texts, widths, width, styles, self.app.console)


__all__ = ["FIXED", "JobTable"]
