"""The job table: columns as wide as what they hold, the order of ``bgview list``, and a store
of 10,000 jobs that opens as fast as a small one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bgview.runtime import Runtime, proc
from bgview.ui import make_app
from bgview.ui.table_layout import MIN_COMMAND, STATUS_FLOOR, fit, status_cell
from tests.conftest import RunCli
from tests.ui.helpers import drawn, ready, rows, table
from tests.ui.ptyterm import PtyTerm
from tests.ui.store_builder import T0, StoreBuilder

NATURAL = {"id": 10, "status": 30, "status_short": 9, "time": 6, "output": 6, "exit": 7}
"""bash_1000 (plus one), running (supervisor stopped), 22m13s, 1023KB, SIGTERM."""


@pytest.mark.parametrize(
    ("width", "status", "command"),
    [
        # room for everything: the status in full, the command takes the rest
        (160, 30, 160 - (10 + 30 + 6 + 6 + 7) - 12),
        # a little short: the status gives up its long form so the command keeps its minimum
        (80, 80 - (10 + 6 + 6 + 7) - 12 - MIN_COMMAND, MIN_COMMAND),
        # very short: the status keeps the usual width, the command what is left
        (60, STATUS_FLOOR, 60 - (10 + STATUS_FLOOR + 6 + 6 + 7) - 12),
    ],
)
def test_columns_fit_the_room(width: int, status: int, command: int) -> None:
    widths = fit(width, NATURAL)
    assert (widths["status"], widths["command"]) == (status, command)
    assert (widths["id"], widths["time"], widths["exit"]) == (10, 6, 7)  # never cut


def test_the_status_column_keeps_its_shortest_form() -> None:
    """With a stopped supervisor in the table, the status column shrinks no further than
    ``● sup. stopped``; the command gives up the rest."""
    widths = fit(60, {**NATURAL, "status_short": 14})
    assert widths["status"] == 14


@pytest.fixture
def stopped_process() -> Iterator[tuple[int, int | None]]:
    """A stopped (SIGSTOP) process standing in for a job's supervisor."""
    child = subprocess.Popen(["sleep", "60"])
    os.kill(child.pid, signal.SIGSTOP)
    try:
        yield child.pid, proc.start_time(child.pid)
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize(
    ("cols", "status"),
    [
        (140, "● running (supervisor stopped)"),  # room: the status in full
        (80, "● running (sup. stopped)"),  # less: a shorter form that says the same
        (60, "● sup. stopped"),  # a narrow terminal: the shortest
    ],
)
async def test_cells_are_never_cut(
    home: Path, tmp_path: Path, stopped_process: tuple[int, int | None], cols: int, status: str
) -> None:
    """bash_1000 is not cut to bash_100, 22m13s not to 22m13, and a running job whose
    supervisor is stopped says so, in as many words as there is room for."""
    store = StoreBuilder(home, tmp_path / "proj", next_id=999)
    store.add("make build", b"", exit_code=0, started=-2000, wall=1333.0)
    store.add("./serve", b"", status="running", started=-10, supervisor=stopped_process)
    app = make_app(tmp_path / "proj", home=home, clock=lambda: T0)
    try:
        async with app.run_test(size=(cols, 24)) as pilot:
            await ready(pilot)
            lines = drawn(app)
            served = next(line for line in lines if "bash_1000 " in line)
            built = next(line for line in lines if "bash_999 " in line)
            assert status in served, served
            assert " 22m13s " in built, built
            assert "make b" in built  # the command takes what is left (cut with … at 60)
    finally:
        store.close()


async def test_the_viewer_and_bgview_list_order_jobs_alike(
    rt: Runtime, project: Path, cli: RunCli
) -> None:
    """Finished jobs (one failed), running ones and a later quick one, on a real store: the
    table's rows are in the order of `bgview list` (running first, then newest first)."""
    for command in ("echo one", "exit 3", "echo three"):
        rt.wait(rt.start(command).id, timeout=10)
    running = [rt.start("sleep 30"), rt.start("sleep 30")]
    rt.wait(rt.start("echo last").id, timeout=10)
    listed = [line.split()[0] for line in cli("list").stdout.splitlines()[1:]]
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        assert [job_id for job_id, _ in rows(app)] == listed
        assert listed[:2] == [running[1].id, running[0].id]
    for job in running:
        rt.kill(job.id, grace=0)


FIRST_FRAME = 1.0
"""Seconds from starting `bgview` to its first frame, with 10,000 jobs in the store …"""
MARGIN = 0.5
"""… and what a loaded machine (two test workers, ptys) may add to it."""


def test_ten_thousand_jobs_first_frame_within_a_second(tmp_path: Path) -> None:
    """`bgview` on a store of 10,000 finished jobs, in a real terminal: the first frame (the
    table saying it is loading) within a second, then the rows, newest first; the cursor then
    moves at once."""
    home = tmp_path / "big"  # not the `home` fixture's: its clean-up would read 10,000 jobs
    project = tmp_path / "proj"
    project.mkdir()
    StoreBuilder(home, project).fill(10_000)
    env = {**os.environ, "BGVIEW_HOME": str(home)}
    term = PtyTerm(
        [sys.executable, "-m", "bgview"],
        env=env,
        cwd=project,
        expect=("loading jobs", "bash_10000 · 0B"),
    )
    try:
        first = term.seen("loading jobs", 10)
        assert first is not None, "no first frame"
        assert first - term.started < FIRST_FRAME + MARGIN
        rows_shown = term.seen("bash_10000 · 0B", 15)
        assert rows_shown is not None, "the rows never came"
        term.expect("bash_9999 · 0B")
        pressed = time.perf_counter()
        term.send("\x1b[B")  # down
        moved = term.seen("bash_9999 · 0B", 5)
        assert moved is not None and moved - pressed < 1.0
    finally:
        term.close("q")


async def test_ten_thousand_rows_under_pilot(tmp_path: Path) -> None:
    """The same store under the pilot: the first frame says it is loading, then all 10,000
    rows come, newest first."""
    home = tmp_path / "big"
    StoreBuilder(home, tmp_path / "proj").fill(10_000)
    app = make_app(tmp_path / "proj", home=home)
    async with app.run_test(size=(120, 30)) as pilot:
        assert any("loading jobs" in line for line in drawn(app))
        await ready(pilot, timeout=20)
        assert table(app).row_count == 10_000
        assert table(app).job_at(0).id == "bash_10000"
        assert any(line.startswith(" bash_10000 ") for line in drawn(app))


def test_status_cell_takes_the_longest_form_that_fits() -> None:
    from dataclasses import replace

    from tests.ui.test_units import JOB

    stopped = replace(
        JOB, status=JOB.status.RUNNING, exit_code=None, ended_at=None, supervisor_stopped=True
    )
    assert status_cell(stopped, 30).plain == "● running (supervisor stopped)"
    assert status_cell(stopped, 29).plain == "● running (sup. stopped)"
    assert status_cell(stopped, 9).plain == "● sup. stopped"  # none fits: the shortest, cut
    assert status_cell(JOB, 9).plain == "✓ exited"
