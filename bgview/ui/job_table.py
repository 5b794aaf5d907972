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
counts such jobs for the footer's chip. Its facts (CPU, memory, where it serves) change every
second for a busy job: a row whose facts alone changed is redrawn at most once every
:data:`FACTS_SECONDS`.

Bindings:

| key | action |
| --- | --- |
| up / down | the previous / next job |
| pageup / pagedown | a page up / down |
| home / end | the first / last job |
| enter | open the highlighted job (:class:`JobTable.Selected`) |
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from rich.segment import Segment
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
from bgview.runtime.present import sort_key
from bgview.ui.format import Clock
from bgview.ui.table_layout import (
    COLUMNS,
    FIXED,
    PAD,
    cells,
    fit,
    header_widths,
    serves_cell,
    status_cell,
    widths_of,
)

SIZE_SECONDS = 0.25
"""How often the output column catches up with growing logs."""
FACTS_SECONDS = 1.0
"""The least time between two redraws of a row for its facts alone (CPU, memory...)."""
RowKey = tuple[tuple[int, float, int], str]
"""A row's place: the job's sort key, then its directory (unique)."""


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
        self.jobs: dict[str, Job] = {}
        """Row key (the job's directory) -> the latest snapshot."""
        self._order: list[RowKey] = []
        self._natural = header_widths()
        """The widest cell of each fixed column so far."""
        self._cursor = 0
        self._cursor_key: str | None = None
        self._sizes: dict[str, int] = {}
        """Output sizes not drawn yet (see :meth:`set_size`)."""
        self._sizes_timer: Timer | None = None
        self._facts: dict[str, Job] = {}
        """Snapshots whose facts alone changed, not drawn yet (see :meth:`upsert`)."""
        self._facts_timer: Timer | None = None
        self._waiting: set[str] = set()

    # ---- what is where ----------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    def job_at(self, row: int) -> Job:
        return self.jobs[self._order[row][1]]

    def row_of(self, job_dir: Path | str) -> int | None:
        key = str(job_dir)
        job = self.jobs.get(key)
        if job is None:
            return None
        return bisect_left(self._order, (sort_key(job), key))

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
        for job in jobs:
            self.jobs[str(job.dir)] = job
        self._order = sorted((sort_key(job), key) for key, job in self.jobs.items())
        self._natural = header_widths()
        for job in self.jobs.values():
            self._measure(job)
        self._waiting = {key for key, job in self.jobs.items() if _waits(job)}
        self.waiting = len(self._waiting)
        self._cursor = 0
        self._changed(keep_cursor=False)

    def upsert(self, job: Job) -> None:
        """Add or update the job's row (moving it if its place in the order changed)."""
        key = str(job.dir)
        old = self.jobs.get(key)
        self._count_waiting(key, job)
        if old is not None and _facts_only(old, job) and _waits(old) == _waits(job):
            # CPU and memory tick with every sample: such a row is drawn a second at a time.
            self._facts[key] = job
            if self._facts_timer is None:
                self._flush_facts()
                self._facts_timer = self.set_timer(FACTS_SECONDS, self._facts_due)
            return
        self._facts.pop(key, None)
        self.jobs[key] = job
        self._measure(job)
        if old is None:
            insort(self._order, (sort_key(job), key))
        elif sort_key(old) != sort_key(job):
            del self._order[bisect_left(self._order, (sort_key(old), key))]
            insort(self._order, (sort_key(job), key))
        else:
            self._refresh_row(key)
            return
        self._changed()

    def _flush_facts(self) -> None:
        pending, self._facts = self._facts, {}
        for key, job in pending.items():
            if key in self.jobs:
                self.jobs[key] = job
                self._measure(job)
                self._refresh_row(key)

    def _facts_due(self) -> None:
        self._facts_timer = None
        if self._facts:  # more came within the second: draw them, and wait another
            self._flush_facts()
            self._facts_timer = self.set_timer(FACTS_SECONDS, self._facts_due)

    def _count_waiting(self, key: str, job: Job | None) -> None:
        if job is not None and _waits(job):
            self._waiting.add(key)
        else:
            self._waiting.discard(key)
        self.waiting = len(self._waiting)

    def discard(self, job_dir: Path) -> None:
        key = str(job_dir)
        self._facts.pop(key, None)
        self._count_waiting(key, None)
        job = self.jobs.pop(key, None)
        if job is not None:
            del self._order[bisect_left(self._order, (sort_key(job), key))]
            self._changed()

    def set_size(self, job_dir: Path, size: int) -> None:
        """The job's output grew: its output cell, a few times a second at most (a firehose
        grows it with every batch; redrawing it as often would keep the screen busy)."""
        self._sizes[str(job_dir)] = size
        if self._sizes_timer is None:
            self._sizes_timer = self.set_timer(SIZE_SECONDS, self._flush_sizes)

    def _flush_sizes(self) -> None:
        self._sizes_timer = None
        sizes, self._sizes = self._sizes, {}
        for key, size in sizes.items():
            job = self.jobs.get(key)
            if job is not None and job.output_bytes != size:
                self.jobs[key] = job = replace(job, output_bytes=size)
                self._measure(job)
                self._refresh_row(key)

    def tick(self) -> None:
        """The clock moved: running jobs' runtimes (running jobs are the top rows). Only
        their rows are drawn again: an idle viewer's second costs a few lines, not the
        table (a column that grew redraws it all, in :meth:`_measure`)."""
        self._now = self.clock()
        for _, key in self._order:
            job = self.jobs[key]
            if not job.running:
                break
            self._measure(job)
            self._refresh_row(key)

    def _measure(self, job: Job) -> None:
        natural = self._natural
        grown = False
        for column, width in widths_of(job, self._shown_clock).items():
            if width > natural[column]:
                natural[column] = width
                grown = True
        if grown:
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
        key = self._order[row][1] if self._order else None
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

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self.refresh()  # the cursor's colours change with the focus

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self.refresh()

    def _refresh_row(self, key: str) -> None:
        row = self.row_of(key)
        if row is not None and 0 <= row - int(self.scroll_y) < self.size.height - 1:
            self.refresh_line(row + 1)  # virtual lines: the header is line 0

    def _cells(self, job: Job) -> dict[str, Text]:
        return cells(job, self._shown_clock, show_project=self.show_project)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = {column.key: Text(column.label) for column in COLUMNS}
            style = base + self.get_component_rich_style("job-table--header")
            return self._line(header, width, style, style)
        row = int(self.scroll_y) + y - 1
        if row >= len(self._order):
            return Strip.blank(width, base)
        job = self.jobs[self._order[row][1]]
        texts = self._cells(job)
        if row == self._cursor:
            cursor = self.get_component_rich_style("job-table--cursor")
            return self._line(texts, width, base + cursor, base + cursor, job)
        if _waits(job):
            waiting = base + self.get_component_rich_style("job-table--waiting")
            return self._line(texts, width, waiting, None, job)
        return self._line(texts, width, base, None, job)

    def _line(
        self,
        texts: dict[str, Text],
        width: int,
        style: Style,
        over: Style | None,
        job: Job | None = None,
    ) -> Strip:
        """One row: each cell padded, justified and cut to its column; ``over`` (the
        cursor's or the header's style) overrides the cells' own colours."""
        widths = fit(width, self._natural)
        line = Text(no_wrap=True, end="")
        pad = " " * PAD
        for column in COLUMNS:
            cell_width = widths[column.key]
            if not cell_width:
                continue  # a column of facts no job has
            text = texts[column.key]
            if column.key == "status" and job is not None:
                text = status_cell(job, cell_width)
            elif column.key == "serves" and job is not None:
                text = serves_cell(job, cell_width)
            text = text.copy()
            text.truncate(cell_width, overflow="ellipsis")
            if column.justify == "right":
                text.pad_left(cell_width - text.cell_len)
            else:
                text.pad_right(cell_width - text.cell_len)
            line.append(pad)
            line.append_text(text)  # its own style becomes a span of the line
            line.append(pad)
        segments = Segment.apply_style(line.render(self.app.console), style, over)
        strip = Strip(segments)
        return strip.crop_extend(0, width, style)


def _waits(job: Job) -> bool:
    return job.running and job.facts.waiting_for_input


def _facts_only(old: Job, new: Job) -> bool:
    """Whether ``new`` differs from ``old`` in its facts alone."""
    return old.facts != new.facts and replace(new, facts=old.facts) == old


__all__ = ["FIXED", "JobTable"]
