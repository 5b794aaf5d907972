"""Helpers for the viewer's pilot tests: polling the app until it shows something."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget

from bgview.ui import BgviewApp
from bgview.ui.job_table import JobTable
from bgview.ui.jobs_screen import JobsScreen
from bgview.ui.log_view import LogView

T = TypeVar("T")
SIZE = (120, 40)


async def until(
    pilot: Pilot[Any], check: Callable[[], T], timeout: float = 10.0, what: str = ""
) -> T:
    """Let the app run until ``check()`` is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        await pilot.pause(0.02)


def screen(app: BgviewApp) -> JobsScreen:
    return app.jobs_screen


def table(app: BgviewApp) -> JobTable:
    return app.jobs_screen.query_one(JobTable)


def log_view(app: BgviewApp) -> LogView:
    """The log view of the screen on top (the table's pane, or an open job's)."""
    return app.screen.query_one(LogView)


async def ready(pilot: Pilot[Any], timeout: float = 10.0) -> None:
    """Wait for the jobs screen's first look at the store (the feed reads it in its thread:
    until then the table says it is loading)."""
    app = pilot.app
    assert isinstance(app, BgviewApp)
    await until(pilot, lambda: app.jobs_screen.loaded, timeout, "the feed's first look")
    await pilot.pause()


def rows(app: BgviewApp) -> list[tuple[str, str]]:
    """``(id, status word)`` of each row, top to bottom, as drawn."""
    t = table(app)
    out = []
    for index in range(t.row_count):
        cells = t.row_cells(index)
        out.append((cells[0], cells[1].split(" ", 1)[1]))
    return out


def drawn(app: App[Any]) -> list[str]:
    """The screen as the terminal was last sent it, line by line (what a person sees; a
    widget that was not repainted shows its old lines here)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text().splitlines()


def visible_lines(view: LogView) -> list[str]:
    """The text of the log lines on screen, top to bottom."""
    lines = []
    for y in range(view.scrollable_content_region.height):
        strip = view.render_line(y)
        lines.append("".join(segment.text for segment in strip).rstrip())
    return [line for line in lines if line]


def toasts(app: BgviewApp) -> list[tuple[str, str]]:
    """``(message, severity)`` of every notification shown so far."""
    return [(n.message, n.severity) for n in app._notifications]


def widget_text(widget: Widget) -> str:
    """What a widget shows, as plain text lines."""
    lines = []
    for y in range(widget.size.height):
        lines.append("".join(segment.text for segment in widget.render_line(y)).rstrip())
    return "\n".join(lines)
