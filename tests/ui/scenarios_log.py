"""The viewer's scenes of a log in a person's hands: a search over the whole log saying
`match k of m`, the gutter of arrival times, wrapped lines, a selection in visual mode, a
filter over a multi-bar progress. Shared
by the snapshot tests (``test_snapshots_log.py``) and ``make screenshots``, like
:mod:`tests.ui.scenarios`.
"""

from __future__ import annotations

import os

from textual.pilot import Pilot

from bgview.runtime.record import JobFiles
from bgview.runtime.timeindex import RECORD
from bgview.ui import BgviewApp
from bgview.ui.job_screen import JobScreen
from bgview.ui.log_view import LogView
from tests.ui.helpers import until
from tests.ui.scenarios import Scenario, loaded
from tests.ui.scenarios_term import downloads
from tests.ui.store_builder import T0, StoreBuilder


def api_log(lines: int = 3000) -> bytes:
    """An API server's log: requests, a coloured warning now and then, a long stack line."""
    out = []
    for i in range(lines):
        if i % 250 == 7:
            out.append(
                b"\x1b[33mWARN\x1b[0m slow request path=/api/report/%d took 2.%ds\n" % (i, i % 10)
            )
        elif i % 400 == 3:
            out.append(
                b"ERROR payment failed order=%d: "
                b"Traceback: card_gateway.charge -> retry.call -> http.post -> "
                b"socket.connect timed out after 30s (attempt 3 of 3); giving up\n" % i
            )
        else:
            out.append(b"INFO GET /api/items/%d 200 in %dms\n" % (i, 3 + i % 40))
    return b"".join(out)


def served(store: StoreBuilder) -> None:
    """One API server, running for an hour, its output timed every 12 s."""
    job_dir = store.add("python -m api --port 8080", api_log(), status="running", started=-3600)
    log = (job_dir / JobFiles.LOG).read_bytes()
    starts = [0, *[i + 1 for i, byte in enumerate(log) if byte == 0x0A][:-1]]
    stamps = b"".join(
        RECORD.pack(offset, T0 - 3600 + n * 1.2) for n, offset in enumerate(starts[::10])
    )
    fd = os.open(job_dir / JobFiles.TIMES, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, stamps)
    os.close(fd)


async def top_job_screen(pilot: Pilot[int]) -> LogView:
    """``enter`` on the top row (the newest job): its screen's log view."""
    await loaded(pilot)
    await pilot.press("enter")
    app = pilot.app
    assert isinstance(app, BgviewApp)
    await until(pilot, lambda: isinstance(app.screen, JobScreen), what="the job's screen")
    return app.screen.query_one(LogView)


async def open_log(pilot: Pilot[int]) -> LogView:
    """The server's screen, its log counted and focused."""
    view = await top_job_screen(pilot)
    await until(pilot, lambda: view.row_count == 3000 and not view.model.gap, what="the log")
    await pilot.pause()
    return view


async def searched(pilot: Pilot[int]) -> None:
    """From the top, /ERROR and n twice: the third of eight errors, its count known."""
    view = await open_log(pilot)
    await pilot.press("g", "slash", *"ERROR", "enter")
    await until(pilot, lambda: view.current_line is not None, what="the first match")
    await pilot.press("n", "n")
    await until(pilot, lambda: (view.state.match or "") == "match 3 of 8", what="3 of 8")
    await pilot.pause()


async def timed(pilot: Pilot[int]) -> None:
    """t: each line's arrival time in a gutter, half way through the log."""
    await open_log(pilot)
    await pilot.press("colon", *"50%", "enter", "t")
    await pilot.pause()


async def wrapped(pilot: Pilot[int]) -> None:
    """w on a stretch with a long error line: it goes on in the rows below."""
    await open_log(pilot)
    await pilot.press("colon", *"1200", "enter", "w")
    await pilot.pause()


async def selecting(pilot: Pilot[int]) -> None:
    """v and three downs from line 1,250: four lines selected."""
    await open_log(pilot)
    await pilot.press("colon", *"1250", "enter", "v", "down", "down", "down")
    await pilot.pause()


async def filtered_bars(pilot: Pilot[int]) -> None:
    """The download opened (the newest job, the top row), ``f`` for ``whl``: its three bars."""
    view = await top_job_screen(pilot)
    await pilot.press("f", *"whl", "enter")
    await until(pilot, lambda: view.row_count == 3 and view.state.busy is None, what="3 rows")
    await pilot.pause()


LOG_SCENARIOS = [
    Scenario(
        "search",
        served,
        (120, 30),
        searched,
        "a search over the whole log: match 3 of 8, the current match highlighted",
    ),
    Scenario("times", served, (120, 30), timed, "t: when each line came, in a gutter"),
    Scenario("wrap", served, (120, 30), wrapped, "w: a long line wrapped"),
    Scenario("visual", served, (120, 30), selecting, "v: four lines selected to copy"),
    Scenario(
        "filtered-bars",
        downloads,
        (120, 20),
        filtered_bars,
        "f over a rich three-bar download: its bars as a terminal draws them",
    ),
]
