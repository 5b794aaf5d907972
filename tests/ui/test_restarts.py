"""The viewer and restarts, under Textual's pilot against real jobs: a job with a restart
policy keeps one row whose status and Restarts column follow its runs, and ``r`` starts a
finished job again through the runtime's own restart."""

from __future__ import annotations

from pathlib import Path

from bgview.runtime import JobStatus, Runtime
from bgview.ui import BgviewApp, make_app
from bgview.ui.job_screen import JobHeader, JobScreen
from bgview.ui.table_layout import COLUMNS
from tests.ui.helpers import SIZE, ready, table, toasts, until, widget_text


def cells(app: BgviewApp, job_id: str) -> dict[str, str]:
    """The cells of ``job_id``'s row (longest forms), by column; none before it has one."""
    t = table(app)
    for row in range(t.row_count):
        values = t.row_cells(row)
        if values[0] == job_id:
            return dict(zip([column.key for column in COLUMNS], values, strict=True))
    return {}


async def test_a_crashing_job_keeps_one_row_with_its_restart_count(
    rt: Runtime, project: Path
) -> None:
    """It crashes at once: "↻ restarting" with 0/2 while it waits out the backoff, then 1/2
    when it runs again, and in the end one row, "✗ exited", 2/2."""
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        job = rt.start("echo try; exit 1", restart="on-failure", max_restarts=2, backoff=0)
        await until(
            pilot,
            lambda: cells(app, job.id).get("status") == "↻ restarting",
            what="the row waiting to restart",
        )
        assert cells(app, job.id)["restarts"] == "0/2"
        await until(pilot, lambda: cells(app, job.id)["restarts"] == "1/2", what="a restart")
        await until(
            pilot, lambda: cells(app, job.id)["status"] == "✗ exited", timeout=15, what="the end"
        )
        assert cells(app, job.id)["restarts"] == "2/2"
        assert table(app).row_count == 1
        await until(pilot, lambda: len(toasts(app)) >= 3, what="the toasts")
        shown = [(text.split(" · ")[0], severity) for text, severity in toasts(app)]
        assert shown == [
            (f"{job.id} restarted (1 of 2) after exit 1", "warning"),
            (f"{job.id} restarted (2 of 2) after exit 1", "warning"),
            (f"{job.id} gave up after 2 restarts: exited 1", "error"),
        ]
    assert rt.job(job.id).gave_up


async def test_r_restarts_through_the_runtime_and_the_row_says_whose_restart(
    rt: Runtime, project: Path
) -> None:
    """r on a finished job with a policy: a new job with the same policy, whose command cell
    names the job it restarts."""
    old = rt.start("echo once", name="once", restart="on-failure", max_restarts=3)
    rt.wait(old.id, timeout=10)
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("r")
        await until(pilot, lambda: len(rt.jobs()) == 2, what="a second job")
        new = rt.jobs()[-1]
        assert (new.restart_of, new.restart_policy) == (old.id, old.restart_policy)
        await until(pilot, lambda: table(app).row_count == 2, what="its row")
        assert cells(app, new.id)["command"] == f"(once) (restart of {old.id}) echo once"
        assert cells(app, new.id)["restarts"] == "0/3"
        rt.wait(new.id, timeout=10)
    assert rt.job(new.id).status is JobStatus.EXITED


async def test_the_job_screen_says_where_the_policy_is(rt: Runtime, project: Path) -> None:
    """enter on a job that gave up: its header has a restarts line."""
    job = rt.start("exit 3", restart="on-failure", max_restarts=1, backoff=0)
    rt.wait(job.id, timeout=15)
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobScreen), what="the job screen")
        header = app.screen.query_one(JobHeader)
        await until(pilot, lambda: "restarts" in widget_text(header), what="the header")
        assert "1 of 1 (on-failure, 0s backoff) · last run: exit 3 · gave up" in widget_text(header)
