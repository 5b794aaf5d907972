"""The log pane's keys under Textual's pilot, on a job's full-screen log: g/G, `:` to a line
or a percentage, `/` saying `match k of m`, `y` and visual mode copying cleaned text, `w`
wrapping, `t` the arrival times; each key in the footer when it applies."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bgview.runtime.record import JobFiles
from bgview.runtime.timeindex import RECORD
from bgview.ui import BgviewApp, make_app
from bgview.ui.job_screen import JobScreen
from bgview.ui.log_view import LogView
from tests.ui.helpers import ready, toasts, until, visible_lines, widget_text
from tests.ui.store_builder import StoreBuilder

LINES = 2000
LOG = b"".join(
    b"line %04d\n" % i if i % 100 else b"\x1b[31mred %04d\x1b[0m\n" % i for i in range(LINES)
)


def footer_keys(app: BgviewApp) -> list[str]:
    return [
        binding.action
        for (_, binding, enabled, _) in app.screen.active_bindings.values()
        if binding.show and enabled
    ]


@asynccontextmanager
async def job_log(
    home: Path, tmp_path: Path, output: bytes = LOG, size: tuple[int, int] = (100, 30)
) -> AsyncIterator[tuple[Any, BgviewApp, LogView, Path]]:
    """The viewer on one ended job's full-screen log."""
    store = StoreBuilder(home, tmp_path / "proj")
    job_dir = store.add("./print", output, status="exited", exit_code=0)
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=size, notifications=True) as pilot:
            await ready(pilot)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, JobScreen), what="the job")
            view = app.screen.query_one(LogView)
            await until(pilot, lambda: view.row_count > 0, what="its log")
            yield pilot, app, view, job_dir
    finally:
        store.close()


async def test_g_home_G_and_colon_reach_every_line(home: Path, tmp_path: Path) -> None:
    async with job_log(home, tmp_path) as (pilot, app, view, _):
        assert {"log_top", "log_bottom", "goto"} <= set(footer_keys(app))
        await until(pilot, lambda: visible_lines(view)[-1:] == ["line 1999"], what="the tail")
        await pilot.press("g")
        assert visible_lines(view)[0] == "red 0000" and not view.follow
        await pilot.press("G")
        await until(pilot, lambda: visible_lines(view)[-1] == "line 1999", what="the end")
        assert view.follow
        await pilot.press("home")
        assert visible_lines(view)[0] == "red 0000"
        await pilot.press("colon", *"1200", "enter")
        assert visible_lines(view)[0] == "line 1199"  # the 1,200th line
        await pilot.press("colon", *"50%", "enter")
        assert visible_lines(view)[0] == "red 1000"
        await pilot.press("colon", *"half", "enter")
        assert ("not a line number or a percentage: 'half'", "error") in toasts(app)
        assert visible_lines(view)[0] == "red 1000"  # stayed


async def test_search_says_match_k_of_m_and_n_steps_through(home: Path, tmp_path: Path) -> None:
    async with job_log(home, tmp_path) as (pilot, app, view, _):
        bar = app.screen.query_one("#log-bar")
        await pilot.press("g", "slash", *"red", "enter")
        await until(pilot, lambda: "match 1 of 20" in widget_text(bar), what="the count")
        row = view.current_line
        assert row is not None and visible_lines(view)[row - view.scroll_offset.y] == "red 0000"
        await pilot.press("n", "n")
        assert "match 3 of 20" in widget_text(bar)
        await pilot.press("N")
        assert "match 2 of 20" in widget_text(bar)
        assert {"next_match", "previous_match"} <= set(footer_keys(app))


async def test_y_copies_the_current_line_and_v_a_range_cleaned(home: Path, tmp_path: Path) -> None:
    async with job_log(home, tmp_path) as (pilot, app, view, _):
        assert {"copy", "visual"} <= set(footer_keys(app))
        await pilot.press("colon", *"101", "enter")  # "red 0100" at the top
        await pilot.press("y")
        assert app.clipboard == "red 0100"  # its colour codes are not copied
        assert ("copied 1 line", "information") in toasts(app)
        await pilot.press("v", "down", "down", "j")
        assert view.visual and view.selection() == (100, 103)
        await pilot.press("up", "y")
        assert app.clipboard == "red 0100\nline 0101\nline 0102"
        assert not view.visual
        await pilot.press("v", "escape")
        assert not view.visual and isinstance(app.screen, JobScreen)  # esc left visual only


async def test_w_wraps_long_lines_and_t_shows_when_each_came(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    output = b"short\n" + b"x" * 150 + b"\nlast\n"
    async with job_log(home, tmp_path, output) as (pilot, app, view, job_dir):
        assert {"wrap", "times"} <= set(footer_keys(app))
        assert visible_lines(view) == ["short", "x" * 100, "last"]  # cut at the edge
        await pilot.press("w")
        width = view.scrollable_content_region.width  # the scrollbar takes the rest
        assert visible_lines(view) == ["short", "x" * width, "x" * (150 - width), "last"]
        await pilot.press("w")
        assert visible_lines(view) == ["short", "x" * 100, "last"]
        day = 1_796_000_000.0  # 2026-11-30
        stamps = RECORD.pack(0, day + 1) + RECORD.pack(6, day + 65) + RECORD.pack(157, day + 70)
        fd = os.open(job_dir / JobFiles.TIMES, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, stamps)
        os.close(fd)
        await pilot.press("t")
        when = [time.strftime("%H:%M:%S", time.gmtime(day + s)) for s in (1, 65, 70)]
        assert visible_lines(view) == [
            f"{when[0]} short",
            f"{when[1]} " + "x" * (width - 9),
            f"{when[2]} last",
        ]
    time.tzset()


async def test_the_job_screen_says_how_long_a_running_job_has_been_quiet(
    home: Path, tmp_path: Path
) -> None:
    store = StoreBuilder(home, tmp_path / "proj")
    job_dir = store.add("./serve", b"listening on :8080\n", status="running")
    last = time.time() - 252  # it printed 4m12s ago
    os.utime(job_dir / JobFiles.LOG, (last, last))
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await ready(pilot)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, JobScreen), what="the job")
            header = app.screen.query_one("JobHeader")
            await until(
                pilot, lambda: "quiet for 4m1" in widget_text(header), what="quiet for 4m12s"
            )
    finally:
        store.close()
