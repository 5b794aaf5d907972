"""The log pane draws output as a terminal of the job's size would, under Textual's pilot.

Real programs' recorded output (``tests/recordings``) is given to a job and what the pane
holds — every row it would draw, top to bottom — is compared with what tmux shows for the same
bytes (its history and screen; for a full-screen program its screen), with the first differing
line named when they differ. The comparison helpers are the cleaned reads' own
(``tests/runtime/test_screen.py``): the pane and the reads share one emulation.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from textual.strip import Strip

from bgview.runtime import Runtime
from bgview.ui import make_app
from bgview.ui.log_term import TermLines
from tests.runtime.test_screen import NAMES, RECORDINGS, SEP, _first_difference, _tidy
from tests.ui.helpers import log_view, until
from tests.ui.store_builder import StoreBuilder


def pane_rows(view: TermLines) -> list[str]:
    """The text of every row the pane would draw, scrolled or not."""
    layout = view._layout()
    out = []
    for row in range(view.row_count):
        target = view._resolve(row, layout) if layout else row
        strip: Strip | None
        if isinstance(target, str):
            strip = view._term_strip(target)
        else:
            strip = view._strip(target) if target is not None else None
        out.append("".join(segment.text for segment in strip) if strip is not None else "")
    return out


def screen_rows(view: TermLines) -> list[str] | None:
    """A full-screen program's screen, as the pane holds it (``None``: not one)."""
    start = view._screen_row()
    return None if start is None else pane_rows(view)[start:]


def tmux_view(name: str) -> tuple[list[str], list[str]]:
    whole, screen = (RECORDINGS / f"{name}.tmux").read_text().split(SEP)
    return _tidy(whole), _tidy(screen)


async def settled(pilot: Any, view: TermLines) -> None:
    """Until the terminal has drawn everything the log holds."""
    rows = view.term_rows
    done = lambda: rows.caught_up(view.model.index.end)  # noqa: E731
    await until(pilot, done, timeout=20, what="the terminal to catch up")
    await pilot.pause()


@pytest.mark.parametrize("name", NAMES)
async def test_recorded_output_shows_as_tmux_shows_it(
    home: Path, tmp_path: Path, name: str
) -> None:
    """A job that wrote a real program's output: the pane's rows are tmux's history and
    screen for the same bytes; a program that ends on a full screen (top, htop) is shown as
    tmux shows its screen, and the pane, following, shows that screen from its top."""
    data = (RECORDINGS / f"{name}.bytes").read_bytes()
    store = StoreBuilder(home, tmp_path / "proj")
    store.add(name, data, status="exited", exit_code=0)
    app = make_app(tmp_path / "proj", home=home)
    whole, screen = tmux_view(name)
    try:
        async with app.run_test(size=(130, 50)) as pilot:
            view = log_view(app)
            await until(pilot, lambda: view.model.index.end == len(data), what="the log")
            await settled(pilot, view)
            full = screen_rows(view)
            if full is not None:
                want, got = screen, _tidy("\n".join(full))
                top = "".join(segment.text for segment in view.render_line(0)).rstrip()
                assert top == want[0]  # following, the pane shows the screen from its top
            else:
                want, got = whole, _tidy("\n".join(pane_rows(view)))
            assert got == want, _first_difference(want, got)
    finally:
        store.close()


@pytest.mark.timeout(60)
async def test_a_running_multi_bar_progress_is_drawn_in_place(home: Path, tmp_path: Path) -> None:
    """A real job writing rich's three-bar progress bit by bit: while it runs the pane never
    shows a bar twice, and at the end it shows the three bars at 100 % once each, as tmux."""
    data = (RECORDINGS / "rich_bars.bytes").read_bytes()
    source = tmp_path / "bars.bytes"
    source.write_bytes(data)
    project = tmp_path / "proj"
    project.mkdir()
    rt = Runtime(project, home=home)
    writer = (
        "import sys, time\n"
        f"data = open({str(source)!r}, 'rb').read()\n"
        "for i in range(0, len(data), 700):\n"
        "    sys.stdout.buffer.write(data[i:i + 700]); sys.stdout.flush(); time.sleep(0.02)\n"
    )
    job = rt.start([sys.executable, "-c", writer])
    app = make_app(project, home=home)
    whole, _ = tmux_view("rich_bars")
    try:
        async with app.run_test(size=(130, 40)) as pilot:
            view = log_view(app)
            seen_twice = []

            def check() -> bool:
                rows = [r for r in pane_rows(view) if r.startswith("step ")]
                names = [r.split()[1] for r in rows]
                if len(names) != len(set(names)):
                    seen_twice.append(rows)
                return rt.job(job.id).status.value != "running"

            await until(pilot, check, timeout=30, what="the job to end")
            await until(pilot, lambda: view.model.index.end == len(data), what="all output")
            await settled(pilot, view)
            got = _tidy("\n".join(pane_rows(view)))
            assert not seen_twice, seen_twice[0]
            assert got == whole, _first_difference(whole, got)
    finally:
        rt.kill(job.id, grace=0.5)


@pytest.mark.parametrize(
    ("size", "shown"), [((60, 20), "a" * 60 + "ZZ" + "a" * 8), ((120, 40), "ZZ" + "a" * 68)]
)
async def test_the_pane_draws_at_the_job_s_terminal_size(
    home: Path, tmp_path: Path, size: tuple[int, int], shown: str
) -> None:
    """A ``\\r`` after 70 characters returns to the start of the row the line wrapped onto
    in a terminal 60 columns wide (``run --size 60x20``), and to the line's start in one of
    120: the pane draws the line as the job's own terminal did."""
    project = tmp_path / "proj"
    project.mkdir()
    rt = Runtime(project, home=home)
    code = "import sys; sys.stdout.write('a' * 70 + '\\rZZ\\n')"
    job = rt.start([sys.executable, "-c", code], size=size)
    rt.wait(job.id, timeout=20)
    app = make_app(project, home=home)
    async with app.run_test(size=(130, 40)) as pilot:
        view = log_view(app)
        await until(pilot, lambda: view.model.index.end > 0, what="the log")
        await settled(pilot, view)
        await until(pilot, lambda: shown in pane_rows(view), what=f"{shown!r} in the pane")


async def test_an_offset_of_the_log_finds_its_row_among_a_terminal_s_rows(
    home: Path, tmp_path: Path
) -> None:
    """Where a search's match is (a byte offset of the log), the view row drawing it: plain
    lines after a terminal's rows are found exactly, a redrawn bar about where it was drawn."""
    after = b"".join(b"after the bars %d\n" % n for n in range(2000))
    data = (RECORDINGS / "rich_download.bytes").read_bytes() + after
    store = StoreBuilder(home, tmp_path / "proj")
    store.add("fetch", data, status="exited", exit_code=0)
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=(130, 50)) as pilot:
            view = log_view(app)
            await until(pilot, lambda: view.model.index.end == len(data), what="the log")
            await settled(pilot, view)
            rows = pane_rows(view)
            last = view.view_row_of_offset(data.index(b"after the bars 1999"))
            assert last is not None and rows[last].rstrip() == "after the bars 1999"
            bar = view.view_row_of_offset(data.index(b"pillow-11.0.0.whl"))
            assert bar is not None and bar < last
    finally:
        store.close()
