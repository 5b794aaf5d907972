"""The job table: one row per job, running jobs on top, newest first.

Rows are keyed by the job's directory (ids repeat across projects under ``--all``). A change
to a job updates its cells in place; the rows are re-sorted only when a job starts, ends or
goes, and the cursor stays on the job it was on.

Bindings: the DataTable's own (arrows, page keys, home/end for the first/last row); the
screen holding the table adds the job actions.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from bgview.runtime.model import Job
from bgview.runtime.present import format_size, label, sort_key
from bgview.ui.format import (
    Clock,
    exit_text,
    runtime_text,
    status_text,
)

COLUMNS = (
    ("id", "ID", 8),
    ("status", "Status", 9),
    ("command", "Command", 0),
    ("time", "Time", 5),
    ("output", "Output", 6),
    ("exit", "Exit", 7),
)
"""Key, label and width of each column (0: the command takes what is left)."""


class IdCell(Text):
    """The id cell, carrying the row's sort key (DataTable sorts by cell values)."""

    def __init__(self, job: Job) -> None:
        super().__init__(job.id, style="bold")
        self.order = sort_key(job)


class JobTable(DataTable[Any]):
    """Jobs as rows; :meth:`upsert` and :meth:`discard` keep it in step with the store.

    ``enter`` opens the highlighted job: the DataTable's own binding, shown in the footer (the
    focused table's binding is the one the footer lists, so the screen's would stay hidden).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Open",
            tooltip="Open the highlighted job full-screen",
            id="bgview.open",
        ),
    ]

    DEFAULT_CSS = """
    JobTable { height: 1fr; }
    """

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return bool(self.row_count) if action == "select_cursor" else True

    def __init__(self, clock: Clock, *, show_project: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.clock = clock
        self.show_project = show_project
        self.jobs: dict[str, Job] = {}
        """Row key (the job's directory) -> the latest snapshot."""

    def on_mount(self) -> None:
        self._ensure_columns()
        self._fit_command()

    def _ensure_columns(self) -> None:
        """Columns first (the screen may fill the table before the table's own mount)."""
        if not self.columns:
            for key, label, width in COLUMNS:
                self.add_column(label, key=key, width=width or 20)

    def _on_resize(self, event: events.Resize) -> None:
        super()._on_resize(event)
        self._fit_command()

    def _fit_command(self) -> None:
        """Give the command column whatever the fixed columns leave."""
        if not self.size.width:
            return  # not laid out yet: the first resize comes with the real width
        padding = 2 * self.cell_padding
        fixed = sum(width + padding for _, _, width in COLUMNS if width)
        available = self.size.width - 2  # room for the vertical scrollbar, shown or not
        column = self.columns.get("command")  # type: ignore[call-overload]
        if column is None:
            return
        column.width = max(8, available - fixed - padding)
        column.auto_width = False
        self._require_update_dimensions = True
        self.refresh()

    # ---- rows ------------------------------------------------------------------------------------

    def cells(self, job: Job) -> list[Any]:
        return [
            IdCell(job),
            status_text(job),
            Text(label(job, show_project=self.show_project), no_wrap=True, overflow="ellipsis"),
            Text(runtime_text(job, self.clock), justify="right"),
            Text(format_size(job.output_bytes), justify="right"),
            exit_text(job),
        ]

    def upsert(self, job: Job) -> bool:
        """Add or update the job's row; ``True`` if the rows' order may have changed."""
        self._ensure_columns()
        key = str(job.dir)
        old = self.jobs.get(key)
        self.jobs[key] = job
        if old is None:
            self.add_row(*self.cells(job), key=key)
            return True
        for (column, _, _), value in zip(COLUMNS, self.cells(job), strict=True):
            if column == "id" and old.status == job.status:
                continue
            self.update_cell(key, column, value)
        return old.status != job.status

    def set_size(self, job_dir: Path, size: int) -> None:
        """Just the output column: called for every batch of output, so kept minimal."""
        key = str(job_dir)
        if key in self.jobs:
            self.update_cell(key, "output", Text(format_size(size), justify="right"))

    def discard(self, job_dir: Path) -> None:
        key = str(job_dir)
        if self.jobs.pop(key, None) is not None:
            self.remove_row(key)

    def load(self, jobs: Iterable[Job]) -> None:
        """The first fill: every job, then one sort."""
        self._ensure_columns()
        for job in jobs:
            key = str(job.dir)
            self.jobs[key] = job
            self.add_row(*self.cells(job), key=key)
        self.resort(keep_cursor=False)

    def resort(self, *, keep_cursor: bool = True) -> None:
        """Order the rows again (running first, newest first), cursor still on its job."""
        current = self.selected_key() if keep_cursor else None
        self.sort("id", key=lambda cell: cell.order)
        if current is not None and current in self.jobs:
            self.move_cursor(row=self.get_row_index(current), animate=False)
        elif self.row_count:
            self.move_cursor(row=0, animate=False)

    def tick(self) -> None:
        """Update the runtime of running jobs (the clock moved)."""
        for key, job in self.jobs.items():
            if job.running:
                self.update_cell(key, "time", Text(runtime_text(job, self.clock), justify="right"))

    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except CellDoesNotExist:  # the cursor is past rows just removed
            return None

    def selected(self) -> Job | None:
        """The job under the cursor."""
        key = self.selected_key()
        return self.jobs.get(key) if key is not None else None
