"""The viewer bound to the one live feed of the store: where its jobs come from (the feed's
thread, never the UI thread), what it shows while the feed has its first look, what the pane
shows while the cursor moves at key-repeat speed, and the chip's count."""

from __future__ import annotations

import re
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

import bgview.runtime.store
import bgview.runtime.watch
from bgview.runtime import Runtime
from bgview.runtime.feed import JobFeed
from bgview.runtime.watch import JobWatcher
from bgview.ui import make_app
from bgview.ui.confirm import ConfirmDelete
from bgview.ui.footer import JobsChip, JobsFooter
from bgview.ui.log_panel import LogPanel
from tests.ui.helpers import SIZE, drawn, log_view, ready, rows, table, until
from tests.ui.store_builder import StoreBuilder

BAR = re.compile(r" ?bash_\d+ · ")
"""The log pane's bar: ``bash_3 · 1.4MB · ended``."""
KEY_REPEAT = 0.035
"""Seconds between two presses of a held arrow key (a typical key-repeat rate)."""


def job_log(n: int) -> bytes:
    """Every job's log the same length, so only the text tells them apart."""
    return b"".join(f"job {n} line {i:04d}\n".encode() for i in range(300))


async def test_the_pane_shows_the_highlighted_job_at_key_repeat_speed(
    home: Path, tmp_path: Path
) -> None:
    """Down ×4 then Up ×4, 35 ms apart: after every press what the terminal shows in the pane
    — its bar's job and its log's lines — is one job, and once the keys stop it is the job
    under the cursor (the logs are the same length: a view that only opens another log and
    does not repaint would still show the last one)."""
    store = StoreBuilder(home, tmp_path / "proj")
    for n in range(1, 9):
        store.add(f"./job-{n}", job_log(n), exit_code=0, started=-100.0 + n)
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            # As in a terminal that said it lost the focus: the footer then never redraws
            # itself, and its redraw cannot cover up a pane that was not repainted.
            app.app_focus = False

            def pane() -> tuple[str, set[str]]:
                """The job the drawn bar names, and the jobs whose lines are drawn."""
                lines = drawn(app)
                bar = next(line for line in lines if BAR.match(line))
                logs = {line.split()[1] for line in lines if line.startswith("job ")}
                return bar.split()[0], logs

            for key in ["down"] * 4 + ["up"] * 4:
                await pilot.press(key)
                await pilot.pause(KEY_REPEAT)
                named, shown = pane()
                assert shown == {named.removeprefix("bash_")}, (key, named, shown)
            cursor = table(app).selected()
            assert cursor is not None and cursor.id == "bash_8"

            def settled() -> bool:
                return pane() == (cursor.id, {"8"})

            await until(pilot, settled, what="the pane on the cursor's job")
            assert app.screen.query_one(LogPanel).view.job_dir == cursor.dir
    finally:
        store.close()


@pytest.fixture
def store_reads() -> Iterator[list[str]]:
    """The thread of every read of a job's record or of a project's jobs made for the viewer
    (the test's own reads, through its Runtime, are not counted)."""
    seen: list[str] = []
    real_load = bgview.runtime.store.load_job
    real_jobs = bgview.runtime.store.Project.jobs

    def note() -> None:
        # Who asked: the first caller outside the runtime (and these wrappers).
        for frame in reversed(traceback.extract_stack()[:-2]):
            if "/bgview/runtime/" not in frame.filename:
                if "/tests/" not in frame.filename:
                    seen.append(threading.current_thread().name)
                return
        seen.append(threading.current_thread().name)

    def load_job(job_dir: Path, project: Path) -> object:
        note()
        return real_load(job_dir, project)

    def jobs(self: bgview.runtime.store.Project) -> object:
        note()
        return real_jobs(self)

    patch = pytest.MonkeyPatch()
    patch.setattr(bgview.runtime.store, "load_job", load_job)
    patch.setattr(bgview.runtime.watch, "load_job", load_job)
    patch.setattr(bgview.runtime.store.Project, "jobs", jobs)
    yield seen
    patch.undo()


async def test_jobs_come_from_the_feed_never_from_the_ui_thread(
    rt: Runtime, project: Path, store_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting, a job starting and ending elsewhere, k, r and d: the store is read only in
    the feed's thread and the actions' workers, never on the UI thread; after each action the
    viewer tells the feed which job it acted on."""
    noted: list[list[Path]] = []
    real_note = JobFeed.note
    monkeypatch.setattr(
        JobFeed, "note", lambda feed, dirs: (noted.append(list(dirs)), real_note(feed, dirs))[1]
    )
    done = rt.start("echo done")
    rt.wait(done.id, timeout=10)
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        ui_thread = threading.current_thread().name
        await ready(pilot)
        sleeper = rt.start("sleep 30")
        await until(pilot, lambda: (sleeper.id, "running") in rows(app), what="its row")
        table(app).move_to(sleeper.dir)  # the cursor stays on its job as rows come above it
        await pilot.press("k")
        await until(pilot, lambda: (sleeper.id, "killed") in rows(app), what="killed")
        assert [sleeper.dir] in noted
        await pilot.press("r")
        await until(pilot, lambda: len(rows(app)) == 3, what="the restarted job")
        new = table(app).selected()
        assert new is not None and new.id not in (done.id, sleeper.id)
        assert [new.dir] in noted
        await pilot.press("k")
        await until(pilot, lambda: (new.id, "killed") in rows(app), what="killed again")
        table(app).move_to(done.dir)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDelete), what="the question")
        await pilot.press("y")
        await until(pilot, lambda: done.id not in [i for i, _ in rows(app)], what="deleted")
        assert [done.dir] in noted
    assert store_reads, "the feed read nothing?"
    assert ui_thread not in store_reads


async def test_a_brief_loading_state_then_the_rows(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the feed's first look at the store is under way the table says it is loading
    (and no empty state claims there are no jobs); then the rows come."""
    store = StoreBuilder(home, tmp_path / "proj")
    store.add("make", b"made\n", exit_code=0)
    go = threading.Event()
    real_scan = JobWatcher.scan

    def slow_scan(self: JobWatcher) -> object:
        go.wait(10)
        return real_scan(self)

    monkeypatch.setattr(JobWatcher, "scan", slow_scan)
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.2)
            assert table(app).loading and not app.jobs_screen.loaded
            assert not app.jobs_screen.has_class("-empty")
            assert any("loading jobs" in line for line in drawn(app))
            go.set()
            await ready(pilot)
            assert rows(app) == [("bash_1", "exited")]
            assert not table(app).loading
    finally:
        go.set()
        store.close()


async def test_an_empty_store_is_told_empty_once_the_feed_has_looked(
    home: Path, tmp_path: Path
) -> None:
    """No job at all: the feed hands out no batch, yet the viewer learns its first look is done
    and shows the empty state, and a job started later appears."""
    store = StoreBuilder(home, tmp_path / "proj")
    store.project  # noqa: B018 - the project's directories, with no job in them
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await until(pilot, lambda: app.jobs_screen.has_class("-empty"), what="empty")
            store.add("make", b"", status="running")
            await until(pilot, lambda: rows(app) == [("bash_1", "running")], what="its row")
            assert not app.jobs_screen.has_class("-empty")
            job_dir = store.project.jobs_dir / "bash_1"
            await until(pilot, lambda: log_view(app).job_dir == job_dir, what="its log shown")
    finally:
        store.close()


async def test_the_chip_counts_running_jobs_bound_down_from_the_screen(
    home: Path, tmp_path: Path
) -> None:
    """The screen's running count flows down to the footer and its chip (data_bind): three
    running jobs, then one ending, then the rest."""
    store = StoreBuilder(home, tmp_path / "proj")
    dirs = [store.add(f"./serve-{n}", b"", status="running") for n in range(3)]
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)

            def chip() -> str:  # the footer recomposes as bindings change: look each time
                found = app.screen.query(JobsChip)
                return str(found.first().render()) if found else ""

            await until(pilot, lambda: chip() == "⚙ 3 Background Jobs")
            assert app.jobs_screen.running == app.screen.query_one(JobsFooter).running == 3
            store.finish(dirs[0])
            await until(pilot, lambda: chip() == "⚙ 2 Background Jobs")
            for job_dir in dirs[1:]:
                store.finish(job_dir)
            await until(pilot, lambda: chip() == "⚙ 0 Background Jobs")
            assert app.jobs_screen.running == 0
    finally:
        store.close()
