"""What a job is doing, in the viewer, from real jobs: a real ``python -m http.server`` is
``● ready`` with where it serves, a real ``read -p`` prompt is ``⌨ input``, on top, counted by
the chip and toasted, and the job screen lists the job's real processes with their ports."""

from __future__ import annotations

import sys
from pathlib import Path

from bgview.runtime import Runtime
from bgview.ui import make_app
from bgview.ui.job_screen import JobScreen
from tests.support import free_port
from tests.ui.helpers import SIZE, ready, rows, table, toasts, until, widget_text
from tests.ui.test_pilot import chip


def row_text(app: object, job_id: str) -> str:
    t = table(app)  # type: ignore[arg-type]
    for index in range(t.row_count):
        cells = t.row_cells(index)
        if cells[0] == job_id:
            return "  ".join(cells)
    return ""


async def test_a_ready_server_shows_where_it_serves(rt: Runtime, project: Path) -> None:
    port = free_port()
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        server = rt.start(f"{sys.executable} -m http.server {port} --bind 127.0.0.1", ready="auto")
        await until(pilot, lambda: f":{port}" in row_text(app, server.id), what="its port")
        assert "ready" in row_text(app, server.id)
        await until(
            pilot,
            lambda: any(
                text.startswith(f"{server.id} ready after") and str(port) in text
                for text, _ in toasts(app)
            ),
            what="the ready toast",
        )
        # Its screen: the process that listens, with its port, CPU and memory.
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobScreen), what="the job screen")
        header = app.screen.query_one("JobHeader")
        await until(pilot, lambda: f"{port}" in widget_text(header), what="the port in it")
        text = widget_text(header)
        assert "http.server" in text and "processes" in text and "%" in text, text
        await pilot.press("escape")


async def test_a_job_waiting_for_input_is_on_top_counted_and_toasted(
    rt: Runtime, project: Path
) -> None:
    asking = rt.start("read -p 'Continue? [y/N] ' answer")
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        later = rt.start("sleep 60")  # newer, and running: it would be on top if not waiting
        await until(pilot, lambda: any(r[0] == later.id for r in rows(app)), what="bash_2")
        await until(
            pilot,
            lambda: "input" in row_text(app, asking.id),
            timeout=10,
            what="⌨ input in its row",
        )
        assert rows(app)[0][0] == asking.id, rows(app)
        await until(pilot, lambda: chip(app) == "⚙ 2 Background Jobs · 1 waiting")
        await until(
            pilot,
            lambda: (f'{asking.id} waiting for input: "Continue? [y/N]"', "warning") in toasts(app),
            what="the toast",
        )
        rt.kill(later.id, grace=0.5)
