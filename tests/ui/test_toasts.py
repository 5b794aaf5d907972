"""Toasts for jobs that end: one job's own, one for many that end together, and never over the
newest lines of the log they are about."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets._toast import Toast

from bgview.runtime.model import Job, JobStatus
from bgview.ui import make_app
from bgview.ui.log_view import LogView
from bgview.ui.toasts import GATHER, GATHER_MAX, EndedJobs, ended_toast
from tests.ui.helpers import SIZE, ready, toasts, until
from tests.ui.store_builder import StoreBuilder

JOB = Job(
    id="bash_1",
    project="/p",
    command="make",
    argv=("bash", "-c", "make"),
    cwd="/p",
    status=JobStatus.EXITED,
    exit_code=0,
    started_at=1000.0,
    ended_at=1012.4,
    output_bytes=1_468_006,
    dir=Path("/s/jobs/bash_1"),
)


def ended(number: int, **changes: object) -> Job:
    job_id = f"bash_{number}"
    return replace(JOB, id=job_id, dir=Path(f"/s/jobs/{job_id}"), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("jobs", "text", "severity"),
    [
        # one job: its own toast, as ever
        ([ended(3)], "bash_3 exited 0 · 1.4MB · 12s", "information"),
        # a test matrix: the failures named, the toast red
        (
            [ended(n, exit_code=1 if n in (4, 9) else 0) for n in range(1, 21)],
            "20 jobs ended: 18 exited 0, 2 failed (bash_4, bash_9)",
            "error",
        ),
        # killed and timed out: yellow; a job that could not start counts as failed
        (
            [
                ended(1),
                ended(2, status=JobStatus.KILLED, exit_code=None, signal="SIGTERM"),
                ended(3, status=JobStatus.TIMEOUT, exit_code=None),
            ],
            "3 jobs ended: 1 exited 0, 1 killed (bash_2), 1 timed out (bash_3)",
            "warning",
        ),
        # more failures than are worth naming: only counted
        (
            [ended(n, exit_code=2) for n in range(1, 5)] + [ended(5, status=JobStatus.LOST)],
            "5 jobs ended: 4 failed, 1 lost (bash_5)",
            "error",
        ),
    ],
)
def test_the_toast_for_jobs_that_ended(jobs: list[Job], text: str, severity: str) -> None:
    assert ended_toast(jobs) == (text, severity)


def test_ends_are_gathered_until_quiet_but_not_for_ever() -> None:
    """Each end waits GATHER for more; a steady trickle is toasted after GATHER_MAX."""
    gathered = EndedJobs()
    assert gathered.add(ended(1), 100.0)  # the first: the caller sets a timer
    assert not gathered.add(ended(2), 100.1)
    assert gathered.due(100.25) == pytest.approx(0.1 + GATHER - 0.25)
    assert gathered.due(100.1 + GATHER) == 0
    for step in range(1, 10):  # one more end every 0.2 s
        gathered.add(ended(2 + step), 100.1 + 0.2 * step)
    assert gathered.due(100.0 + GATHER_MAX) == 0
    text, _ = gathered.take() or ("", "")
    assert text.startswith("11 jobs ended")
    assert gathered.take() is None


async def test_twenty_jobs_ending_together_get_one_toast(home: Path, tmp_path: Path) -> None:
    """Twenty running jobs end at once (two of them failing): one toast says so, and the chip
    counts down to nothing."""
    store = StoreBuilder(home, tmp_path / "proj")
    dirs = [store.add(f"pytest -k case_{n}", b"", status="running") for n in range(1, 21)]
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await ready(pilot)
            for n, job_dir in enumerate(dirs, 1):
                store.finish(job_dir, exit_code=1 if n in (5, 13) else 0)
            await until(pilot, lambda: toasts(app), what="a toast")
            await pilot.pause(GATHER_MAX + 0.3)  # any other toast would have come by now
            text = "20 jobs ended: 18 exited 0, 2 failed (bash_5, bash_13)"
            assert toasts(app) == [(text, "error")]
            assert app.jobs_screen.running == 0
    finally:
        store.close()


def bottom_lines(view: LogView, count: int) -> Region:
    region = view.region
    return Region(region.x, region.bottom - count, region.width, count)


async def test_a_toast_never_hides_the_newest_lines_of_the_log(home: Path, tmp_path: Path) -> None:
    """On the table screen a toast sits over the table, not over the log pane at all; on a job's
    own screen it sits over the header, never over the log's last lines."""
    store = StoreBuilder(home, tmp_path / "proj")
    lines = b"".join(f"line {i}\n".encode() for i in range(200))
    first = store.add("./serve", lines, status="running")
    second = store.add("./watch", lines, status="running")
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await ready(pilot)
            store.finish(first)
            await until(pilot, lambda: app.screen.query(Toast), what="a toast")
            await pilot.pause()
            toast = app.screen.query(Toast).first()
            pane = app.screen.query_one("#log-panel").region
            assert not toast.region.overlaps(pane), (toast.region, pane)
            assert toast.region.overlaps(app.screen.query_one("#jobs").region)
            await pilot.press("enter")  # the top job, still running: its own screen
            await until(pilot, lambda: app.screen is not app.jobs_screen, what="the job screen")
            store.finish(second)
            await until(pilot, lambda: len(app.screen.query(Toast)) >= 1, what="a toast there")
            await pilot.pause()
            view = app.screen.query_one(LogView)
            for shown in app.screen.query(Toast):
                assert not shown.region.overlaps(bottom_lines(view, view.region.height // 2))
    finally:
        store.close()
