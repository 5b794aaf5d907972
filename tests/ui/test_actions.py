"""The job actions of the viewer on real jobs: `r` gives the new job the owner of the one it
restarts (so it ends with that shell or demo), and `d` asks before it deletes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bgview.runtime import JobStatus, Runtime, control, proc
from bgview.runtime.model import Job
from bgview.ui import make_app
from bgview.ui.confirm import ConfirmDelete
from tests.ui.helpers import SIZE, ready, rows, table, toasts, until


@pytest.fixture
def owner() -> Iterator[subprocess.Popen[bytes]]:
    """A process standing in for a host session (a shell, the demo) that owns jobs."""
    child = subprocess.Popen(["sleep", "300"])
    yield child
    child.kill()
    child.wait()


def start_owned(rt: Runtime, command: str, owner: int, **kwargs: object) -> Job:
    request = control.StartRequest(command, owner_pid=owner, **kwargs)  # type: ignore[arg-type]
    return control.start(rt.project, request)


async def restart_top(rt: Runtime, project: Path, old: Job) -> Job:
    """``r`` on ``old`` in the viewer; the job it started."""
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert table(app).selected() is not None
        assert table(app).selected().id == old.id  # type: ignore[union-attr]
        await pilot.press("r")
        await until(pilot, lambda: len(rows(app)) == 2, what="the new job")
        new = table(app).selected()
        assert new is not None and new.id != old.id
        return rt.job(new.id)


async def test_a_restarted_job_ends_with_its_owner(
    rt: Runtime, project: Path, tmp_path: Path, owner: subprocess.Popen[bytes]
) -> None:
    """A job a session started, restarted with r, belongs to that session too: the new job
    has the same owner (pid and start time), and when the session ends, so does the job."""
    go = tmp_path / "go"
    old = start_owned(rt, f"test -e {go} && sleep 300; echo ran", owner.pid)
    rt.wait(old.id, timeout=10)
    go.touch()  # the second run waits
    new = await restart_top(rt, project, old)
    assert (new.owner_pid, new.owner_start) == (owner.pid, proc.start_time(owner.pid))
    assert not new.keep
    assert rt.job(new.id).running
    owner.kill()
    owner.wait()
    ended, _ = rt.wait(new.id, timeout=15)
    assert ended.status is JobStatus.KILLED
    assert ended.killed_by == "owner-exit"


async def test_a_job_whose_owner_is_gone_restarts_unowned(
    rt: Runtime, project: Path, owner: subprocess.Popen[bytes]
) -> None:
    """Its session ended (or its pid now belongs to someone else): the restarted job has no
    owner rather than a stranger's."""
    old = start_owned(rt, "echo ran", owner.pid)
    rt.wait(old.id, timeout=10)
    owner.kill()
    owner.wait()
    new = await restart_top(rt, project, old)
    assert new.owner_pid is None
    rt.wait(new.id, timeout=10)


async def test_a_kept_job_is_restarted_kept(rt: Runtime, project: Path) -> None:
    """A job started with keep outlives its starter; restarted, it still does."""
    old = rt.start("echo kept", keep=True)
    rt.wait(old.id, timeout=10)
    new = await restart_top(rt, project, old)
    assert new.keep and new.owner_pid is None
    rt.wait(new.id, timeout=10)


async def test_d_asks_first(rt: Runtime, project: Path) -> None:
    """d on a finished job asks; n and esc keep it, y deletes it (and says so), and d twice
    deletes too."""
    first = rt.start("echo first")
    rt.wait(first.id, timeout=10)
    second = rt.start("echo second")
    rt.wait(second.id, timeout=10)
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)

        async def ask() -> None:
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDelete), what="asked")

        for keep in ("n", "escape"):
            await ask()
            await pilot.press(keep)
            await until(pilot, lambda: app.screen is app.jobs_screen, what="the table")
            await pilot.pause(0.2)
            assert second.dir.is_dir() and len(rows(app)) == 2
        await ask()
        await pilot.press("y")
        await until(pilot, lambda: [i for i, _ in rows(app)] == [first.id], what="deleted")
        assert not second.dir.exists()
        await until(
            pilot, lambda: (f"deleted {second.id} and its log", "information") in toasts(app)
        )
        await ask()
        await pilot.press("d")
        await until(pilot, lambda: rows(app) == [], what="both deleted")
        assert not first.dir.exists()
        await until(pilot, lambda: app.jobs_screen.has_class("-empty"), what="the empty state")
