"""The viewer's scenes of output drawn as a terminal draws it: a multi-bar download progress
and a full-screen program, each from a real program's recorded output
(``tests/recordings``). Shared by the snapshot tests (``test_snapshots_term.py``) and
``make screenshots``, like :mod:`tests.ui.scenarios`.
"""

from __future__ import annotations

import re
from pathlib import Path

from textual.pilot import Pilot

from bgview.ui import BgviewApp
from bgview.ui.log_view import LogView
from tests.ui.helpers import until
from tests.ui.scenarios import Scenario, loaded
from tests.ui.store_builder import StoreBuilder

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


def download_so_far(frames: int = 14) -> bytes:
    """rich's three-bar download (``rich_download``) as it stood after ``frames`` redraws:
    each bar at its own percentage, a line printed above them on the way."""
    data = (RECORDINGS / "rich_download.bytes").read_bytes()
    starts = [m.start() for m in re.finditer(rb"\r\x1b\[2K", data)]
    return data[: starts[frames]]


def downloads(store: StoreBuilder) -> None:
    """A finished build and test run, then a running pip-like download drawing three bars."""
    store.add("make build", b"cc -O2 -c main.c\ncc -o app main.o\n", exit_code=0, wall=3.1)
    store.add(
        "pytest -q",
        b"\x1b[32m........\x1b[0m\n\x1b[32m8 passed\x1b[0m in 0.41s\n",
        exit_code=0,
        started=-120,
        wall=2.2,
    )
    store.add("python fetch_wheels.py", download_so_far(), status="running", started=-9)


def full_screen(store: StoreBuilder) -> None:
    """htop running in a job, on the alternate screen."""
    store.add("npm run dev", b"ready on http://localhost:5173/\n", status="running", started=-300)
    data = (RECORDINGS / "htop_live.bytes").read_bytes()
    store.add("htop", data, status="running", started=-30)


async def drawn(pilot: Pilot[int]) -> None:
    """Until the pane's terminal has drawn all of the log it holds."""
    app = pilot.app
    assert isinstance(app, BgviewApp)
    view = app.screen.query_one(LogView)

    def done() -> bool:
        end = view.model.index.end
        return end > 0 and view.term_rows.caught_up(end) and bool(view.term_rows.splices)

    await until(pilot, done, what="the pane's terminal to draw the log")
    await pilot.pause()


async def bars(pilot: Pilot[int]) -> None:
    await loaded(pilot)
    await drawn(pilot)


async def open_htop(pilot: Pilot[int]) -> None:
    """htop is the newest job: the top row, opened full-screen."""
    await loaded(pilot)
    await pilot.press("enter")
    await pilot.pause()
    await drawn(pilot)


TERM_SCENARIOS = [
    Scenario(
        "bars",
        downloads,
        (120, 30),
        bars,
        "a rich three-bar download drawn in place, as a terminal draws it",
    ),
    Scenario(
        "htop",
        full_screen,
        (120, 48),
        open_htop,
        "htop in a job: its current screen, in the terminal's colours",
    ),
]
