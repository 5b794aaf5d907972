"""The filter (`f`) over output that moves the cursor, under Textual's pilot: a recorded rich
multi-bar progress and tqdm's bars (`tests/recordings`) filtered show the rows a terminal draws
for them — as tmux shows the same bytes and as the pane shows them unfiltered — not the raw
lines with their escapes taken out (hundreds of frames run together); the filter's count is
of those rows, and a copy of them is their text."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bgview.ui import make_app
from bgview.ui.ansi import render_row
from bgview.ui.log_file import LogFile
from bgview.ui.log_matches import scan_range
from bgview.ui.log_scan import compile_query
from bgview.ui.log_view import LogView
from tests.runtime.test_screen import RECORDINGS
from tests.ui.helpers import log_view, until, visible_lines, widget_text
from tests.ui.store_builder import StoreBuilder
from tests.ui.test_log_keys import job_log
from tests.ui.test_log_term import tmux_view


@asynccontextmanager
async def job_log_running(
    home: Path, tmp_path: Path, store: StoreBuilder, job_dir: Path
) -> AsyncIterator[tuple[Any, LogView]]:
    """The viewer on the running job's log, in the table's pane."""
    app = make_app(tmp_path / "proj", home=home)
    async with app.run_test(size=(130, 30)) as pilot:
        view = log_view(app)
        await until(pilot, lambda: view.row_count > 0, what="the log")
        yield pilot, view


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("rich_bars", "step"),  # three bars, each redrawn in place (cursor up, erase line)
        ("tqdm_bars", "it/s|s/it"),  # tqdm's bars, redrawn in place
    ],
)
async def test_a_filtered_progress_shows_the_rows_a_terminal_draws(
    home: Path, tmp_path: Path, name: str, query: str
) -> None:
    data = (RECORDINGS / f"{name}.bytes").read_bytes()
    whole, _ = tmux_view(name)
    want = [line for line in whole if re.search(query, line)]
    assert want  # the recording holds rows to filter
    async with job_log(home, tmp_path, data, size=(130, 40)) as (pilot, app, view, _):
        bar = app.screen.query_one("#log-bar")
        await pilot.press("f", *query, "enter")
        await until(pilot, lambda: "filtering" not in widget_text(bar), what="the filter done")
        await until(pilot, lambda: visible_lines(view)[-len(want) :] == want, what="tmux's rows")
        assert visible_lines(view) == want
        assert f"{len(want)} of" in widget_text(bar)
        await pilot.press("g", "v", "G", "y")
        assert app.clipboard == "\n".join(want)


def test_a_scan_matches_a_progress_as_its_rows_between_plain_lines(
    home: Path, tmp_path: Path
) -> None:
    """Plain lines, a progress, a plain line: the matches come in order, each shown (a row the
    terminal drew, or a line of the log) as the pane shows it unfiltered — the terminal takes
    over the lines still on its screen as the pane's does — the rows inside their bytes."""
    bars = (RECORDINGS / "rich_bars.bytes").read_bytes()
    before = b"".join(b"plain step %d\n" % i for i in range(3))
    log = before + bars + b"plain step after\n"
    store = StoreBuilder(home, tmp_path / "proj")
    job_dir = store.add("./mixed", log, status="exited", exit_code=0)
    try:
        drawn: dict[int, str] = {}
        step = compile_query("step")
        found = list(scan_range(LogFile(job_dir), 0, len(log), step, lambda: False, drawn))
        starts = [s for _, got, _ in found for s in got]
        assert starts == sorted(set(starts)) and all(0 <= s < len(before + bars) for s in drawn)
        ends = dict(zip(starts, [e for _, _, got in found for e in got], strict=True))
        shown = [
            render_row(drawn[s]).plain if s in drawn else log[s : ends[s]].decode().rstrip()
            for s in starts
        ]
        bar = " " + "━" * 40 + " 100% 0:00:00"
        assert shown == [
            *(f"plain step {i}" for i in range(3)),
            *(f"step {i}{bar}" for i in range(3)),
            "plain step after",
        ]
    finally:
        store.close()


async def test_a_filter_follows_a_progress_as_it_is_drawn(home: Path, tmp_path: Path) -> None:
    """The filter on a running job while rich draws its bars, 700 bytes a read: the bars as
    they end up and nothing else, each byte fed to the filter's terminal once (its screen
    given again as it changes), the first frames' lines taken over by it as the pane's
    terminal takes them over — not a row per frame."""
    data = (RECORDINGS / "rich_bars.bytes").read_bytes()
    store = StoreBuilder(home, tmp_path / "proj")
    job_dir = store.add("./bars", b"start\n", status="running")
    try:
        async with job_log_running(home, tmp_path, store, job_dir) as (pilot, view):
            await pilot.press("f", *"step", "enter")
            with open(job_dir / "output.log", "ab") as log:
                for at in range(0, len(data), 700):
                    log.write(data[at : at + 700])
                    log.flush()
                    view.update_log()  # what the live feed does as the log grows
                    await pilot.pause()
            bar = " " + "━" * 40 + " 100% 0:00:00"
            want = [f"step {i}{bar}" for i in range(3)]
            await until(pilot, lambda: visible_lines(view)[-3:] == want, what="the bars")
            assert visible_lines(view) == want  # was a row per frame redrawn: 65
    finally:
        store.close()
