"""The viewer under Textual's pilot, against real jobs in real ptys.

Each test drives the app the way a person would (keys) and asserts what they would see: rows
and statuses, the chip's count, the log following or not, toasts, a killed or restarted job.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
from pathlib import Path

from textual.app import App

from bgview.runtime import JobStatus, Runtime
from bgview.ui import make_app
from bgview.ui.confirm import ConfirmDelete
from bgview.ui.footer import JobsChip
from tests.ui.helpers import (
    SIZE,
    log_view,
    ready,
    rows,
    screen,
    table,
    toasts,
    until,
    visible_lines,
    widget_text,
)
from tests.ui.store_builder import StoreBuilder

COUNTER = "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.02; done"


def chip(app: App[object]) -> str:
    """The chip's text as drawn ("" while the footer is being recomposed)."""
    found = app.screen.query(JobsChip)
    return str(found.first().render()) if found else ""


async def test_rows_statuses_and_chip_follow_the_store(rt: Runtime, project: Path) -> None:
    """Running jobs on top, newest first; statuses in words; a job started while the viewer is
    open appears, and the chip counts the running ones as they start and end."""
    done = rt.start("echo done")
    rt.wait(done.id, timeout=10)
    sleeper = rt.start("sleep 30")
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert rows(app) == [(sleeper.id, "running"), (done.id, "exited")]
        assert table(app).cursor_row == 0
        await until(pilot, lambda: chip(app) == "⚙ 1 Background Job")
        quick = rt.start("sleep 0.3; exit 4")
        await until(pilot, lambda: (quick.id, "running") in rows(app), what="the new job's row")
        assert rows(app)[0] == (quick.id, "running")
        await until(pilot, lambda: chip(app) == "⚙ 2 Background Jobs")
        await until(pilot, lambda: (quick.id, "exited") in rows(app), what="its end")
        await until(pilot, lambda: chip(app) == "⚙ 1 Background Job")
        assert rows(app)[0] == (sleeper.id, "running")


async def test_log_follows_stops_when_scrolled_up_and_end_resumes(
    rt: Runtime, project: Path
) -> None:
    """The log pane follows new lines; scrolling up stops it (the view stays put while the
    job writes on); End jumps to the newest line and follows again."""
    job = rt.start(COUNTER)
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE) as pilot:
        view = log_view(app)
        await until(pilot, lambda: len(view.index) > 60, what="enough lines to scroll")
        await until(pilot, lambda: view.scroll_y == view.max_scroll_y and view.follow)
        newest = int(rt.peek(job.id, tail=200).data.split(b"line ")[-2].split()[0])
        await until(
            pilot,
            lambda: any(line == f"line {newest + 5}" for line in visible_lines(view)),
            what="newer lines on screen",
        )
        view.focus()
        await pilot.press("pageup")
        assert not view.follow
        held = visible_lines(view)
        lines_then = len(view.index)
        await until(pilot, lambda: len(view.index) > lines_then + 20, what="more output")
        assert visible_lines(view) == held
        await pilot.press("end")
        assert view.follow
        await until(pilot, lambda: view.scroll_y == view.max_scroll_y)
        last = visible_lines(view)[-1]
        assert last.startswith("line ")
        assert int(last.split()[1]) >= lines_then + 20


async def test_k_kills_the_whole_job(rt: Runtime, project: Path) -> None:
    """k on a running job: the runtime kills its process group and the row turns killed."""
    job = rt.start("sleep 60 & sleep 60; wait")
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await until(pilot, lambda: rt.job(job.id).pid is not None)
        await pilot.press("k")
        await until(pilot, lambda: rows(app) == [(job.id, "killed")], what="the killed row")
        assert rt.job(job.id).status is JobStatus.KILLED
        assert rt.job(job.id).signal == "SIGTERM"
        await until(pilot, lambda: any(m.startswith(f"{job.id} killed") for m, _ in toasts(app)))
        assert (f"{job.id} killed (SIGTERM)", "warning") in [
            (m.split(" · ")[0], s) for m, s in toasts(app)
        ]


async def test_r_restarts_a_finished_job(rt: Runtime, project: Path, tmp_path: Path) -> None:
    """r on a finished job starts it again: same command, cwd and name, a new id."""
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    old = rt.start("pwd; echo run", name="build", cwd=workdir)
    rt.wait(old.id, timeout=10)
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("r")
        await until(pilot, lambda: len(rt.jobs()) == 2, what="a second job")
        new = rt.jobs()[-1]
        assert (new.command, new.cwd, new.name) == (old.command, old.cwd, old.name)
        assert new.id != old.id
        await until(pilot, lambda: rows(app)[0][0] == new.id, what="the new job on top")
        assert table(app).selected() is not None
        assert table(app).selected().id == new.id  # type: ignore[union-attr]
        rt.wait(new.id, timeout=10)
        assert rt.peek(new.id).data.split() == [str(workdir).encode(), b"run"]


async def test_r_and_d_are_not_offered_for_a_running_job_and_d_deletes_finished_ones(
    rt: Runtime, project: Path
) -> None:
    """On a running job r and d are neither offered nor acted on (k is); on a finished one d
    asks first, and y removes the row and the job's directory (and k is not offered)."""
    finished = rt.start("echo bye")
    rt.wait(finished.id, timeout=10)
    running = rt.start("sleep 30")
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert rows(app)[0] == (running.id, "running")
        keys = footer_keys(app)
        assert "kill" in keys and "restart" not in keys and "delete" not in keys
        await pilot.press("d", "r")
        await pilot.pause()
        assert running.dir.is_dir() and rt.job(running.id).running
        assert len(rows(app)) == 2
        await pilot.press("down")
        await until(pilot, lambda: "delete" in footer_keys(app), what="d offered")
        assert "kill" not in footer_keys(app)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDelete), what="the question")
        await pilot.press("y")
        await until(pilot, lambda: rows(app) == [(running.id, "running")], what="row gone")
        assert not finished.dir.exists()


async def test_search_and_filter_the_log(rt: Runtime, project: Path) -> None:
    """/ finds a match and moves to it, n and N step through matches, f keeps only matching
    lines and an empty filter shows every line again."""
    script = (
        "for i in $(seq 1 300); do"
        " if [ $((i % 50)) = 0 ]; then echo needle $i; else echo hay $i; fi; done"
    )
    job = rt.start(script)
    rt.wait(job.id, timeout=10)
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE) as pilot:
        view = log_view(app)
        await until(pilot, lambda: len(view.index) == 300)
        await pilot.press("slash", *"needle", "enter")
        await until(pilot, lambda: view.current_line is not None, what="a match")
        first = view.current_line
        assert first is not None and first % 50 == 49  # "needle 50" is line 49
        assert f"needle {first + 1}" in visible_lines(view)
        assert not view.follow
        await pilot.press("n")
        second = view.current_line
        assert second is not None and second % 50 == 49 and second != first
        assert f"needle {second + 1}" in visible_lines(view)
        await pilot.press("N")
        assert view.current_line == first
        await pilot.press("f", *"NEEDLE", "enter")
        assert view.row_count == 0  # smart case: a capital makes the match case-sensitive
        await pilot.press("f", *["backspace"] * 6, *"needle 1", "enter")
        assert visible_lines(view) == ["needle 100", "needle 150"]
        await pilot.press("f")
        await pilot.press(*["backspace"] * 10, "enter")
        assert view.row_count == 300


async def test_toast_when_a_job_started_elsewhere_ends(rt: Runtime, project: Path) -> None:
    """A job started by another process while the viewer is open gets its toast when it ends:
    red for a failure, with its id, its exit code, its size and its time."""
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        job = rt.start("echo oops; sleep 0.2; exit 3")
        await until(pilot, lambda: toasts(app), what="a toast")
        message, severity = toasts(app)[0]
        assert message.startswith(f"{job.id} exited 3 · 5B · ")  # "oops\n"
        assert severity == "error"


async def test_log_pane_when_the_file_grows_is_truncated_or_deleted(
    home: Path, tmp_path: Path
) -> None:
    """New bytes show up; a log truncated under the viewer is shown again from its start with
    a note; a deleted job gives a clear message instead of a crash."""
    store = StoreBuilder(home, tmp_path / "proj")
    job_dir = store.add("./serve", b"one\r\ntwo\r\n", status="running")
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await ready(pilot)
            view = log_view(app)
            assert visible_lines(view) == ["one", "two"]
            with open(job_dir / "output.log", "ab") as log:
                log.write(b"three\r\n")
            await until(pilot, lambda: visible_lines(view) == ["one", "two", "three"])
            os.truncate(job_dir / "output.log", 0)
            with open(job_dir / "output.log", "ab") as log:
                log.write(b"fresh\r\n")
            await until(pilot, lambda: visible_lines(view) == ["fresh"], what="the new start")
            assert any("truncated" in m for m, _ in toasts(app))
            shutil.rmtree(job_dir)
            await until(pilot, lambda: table(app).row_count == 0, what="the row to go")
            view.update_log()
            await pilot.pause()
            assert app.is_running
    finally:
        store.close()


async def test_deleted_log_file_shows_a_message(home: Path, tmp_path: Path) -> None:
    """The log file alone vanishing (the job's record still there) is said in the pane."""
    store = StoreBuilder(home, tmp_path / "proj")
    job_dir = store.add("./serve", b"one\r\n", status="running")
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            view = log_view(app)
            os.unlink(job_dir / "output.log")
            view.update_log()
            await pilot.pause()
            assert view.problem == "bash_1 has no log"
            assert visible_lines(view) == ["bash_1 has no log"]
    finally:
        store.close()


async def test_a_log_cut_by_the_size_cap_says_so(rt: Runtime, project: Path) -> None:
    """A real job past its log cap: the bar says how much was dropped, the last line is the
    last one written."""
    job = rt.start("seq 1 100000", max_log=64 * 1024)
    rt.wait(job.id, timeout=20)
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE) as pilot:
        view = log_view(app)
        await until(pilot, lambda: view.scroll_y == view.max_scroll_y and len(view.index) > 10)
        assert visible_lines(view)[-1] == "100000"
        bar = widget_text(app.screen.query_one("#log-bar"))
        assert "dropped by the log size cap" in bar
        assert view.dropped == rt.job(job.id).dropped_bytes > 0


async def test_enter_opens_the_job_and_esc_goes_back(rt: Runtime, project: Path) -> None:
    """enter: the job full-screen with its command, cwd and pid; esc: the table again."""
    job = rt.start("echo hello from the job; sleep 30")
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: rt.job(job.id).pid is not None)
        await until(pilot, lambda: "hello from the job" in visible_lines(log_view(app)))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is not app.jobs_screen, what="the job screen")
        header = await until(
            pilot, lambda: widget_text(app.screen.query_one("#job-header")), what="a header"
        )
        assert "echo hello from the job; sleep 30" in header
        # The labels' column is as wide as its widest: "processes" once the facts are in.
        assert re.search(rf"^cwd +{re.escape(job.cwd)}$", header, re.M), header
        pid = re.compile(rf"^pid +{rt.job(job.id).pid}$", re.M)
        await until(pilot, lambda: pid.search(widget_text(app.screen.query_one("#job-header"))))
        await until(pilot, lambda: visible_lines(log_view(app)) == ["hello from the job"])
        await pilot.press("escape")
        assert app.screen is app.jobs_screen


async def test_host_mode_esc_returns_and_the_screen_can_be_pushed(
    rt: Runtime, project: Path
) -> None:
    """In host mode esc (or ←) on the table ends the app, handing the terminal back; pushed
    inside another app, esc pops the jobs screen."""
    from textual.app import App

    from bgview.ui import JobsScreen

    home = rt.project.dir.parent.parent
    rt.start("echo hi")
    app = make_app(project, home=home, host_mode=True)
    async with app.run_test(size=SIZE) as pilot:
        assert app.return_code is None
        await pilot.press("escape")
        await until(pilot, lambda: app.return_code == 0, what="the app to end")

    left = make_app(project, home=home, host_mode=True)
    async with left.run_test(size=SIZE) as pilot:
        await pilot.press("left")
        await until(pilot, lambda: left.return_code == 0, what="the app to end")

    plain = make_app(project, home=home)  # outside a REPL, ← is just a key for the table
    async with plain.run_test(size=SIZE) as pilot:
        await pilot.press("left")
        assert plain.return_code is None

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(JobsScreen(project, home=home))

    host = Host()
    async with host.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(host.screen, JobsScreen)
        await pilot.press("escape")
        assert not isinstance(host.screen, JobsScreen)


async def test_every_new_line_is_on_screen_while_following(home: Path, tmp_path: Path) -> None:
    """Line by line, the newest is always the last one drawn — also the moment the log first
    outgrows the pane (its scrollbar appears)."""
    store = StoreBuilder(home, tmp_path / "proj")
    job_dir = store.add("./serve", b"start\n", status="running")
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=SIZE) as pilot:
            view = log_view(app)
            for i in range(40):
                with open(job_dir / "output.log", "ab") as log:
                    log.write(f"line {i}\n".encode())
                await until(pilot, lambda i=i: visible_lines(view)[-1:] == [f"line {i}"])
            assert view.follow
    finally:
        store.close()


async def test_esc_on_the_table_of_the_standalone_viewer_stays(rt: Runtime, project: Path) -> None:
    """Outside a host REPL, esc on the table clears a search and otherwise does nothing: the
    viewer never ends up on an empty screen."""
    rt.start("echo hi")
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "escape")
        assert app.screen is app.jobs_screen
        assert app.is_running


async def test_a_trim_under_way_is_waited_for_without_blocking(home: Path, tmp_path: Path) -> None:
    """While the size cap swaps the log twice in a row (log.state names neither the file the
    view opened nor the one before it) the view neither reads a file with the wrong offsets
    nor stalls the app: it looks again shortly and then shows it."""
    store = StoreBuilder(home, tmp_path / "proj")
    job_dir = store.add("./serve", b"one\n", status="running")
    app = make_app(tmp_path / "proj", home=home)
    real = os.stat(job_dir / "output.log").st_ino
    elsewhere = json.dumps({"gen": 2, "dropped": 0, "ino": real + 1, "prev_ino": real + 2})
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            view = log_view(app)
            (job_dir / "log.state").write_text(elsewhere)
            with open(job_dir / "output.log", "ab") as log:
                log.write(b"two\n")
            view.update_log()
            await pilot.pause(0.05)
            assert visible_lines(view) == ["one"]
            (job_dir / "log.state").write_text(json.dumps({"gen": 3, "dropped": 0, "ino": real}))
            await until(pilot, lambda: visible_lines(view) == ["one", "two"])
    finally:
        store.close()


async def test_a_big_log_opens_at_its_tail_and_home_reaches_its_first_line(
    home: Path, tmp_path: Path
) -> None:
    """A 10 MB log: the view opens at its tail (4 MB indexed), its earlier lines are counted
    meanwhile, and home, the scrollbar's whole height and up from there reach every line."""
    store = StoreBuilder(home, tmp_path / "proj")
    lines = b"".join(f"line {i:07d} ".encode() + b"x" * 80 + b"\n" for i in range(110_000))
    store.add("./big", lines, status="exited", exit_code=0)
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=SIZE) as pilot:
            view = log_view(app)
            await until(pilot, lambda: visible_lines(view)[-1:] == ["line 0109999 " + "x" * 80])
            assert view.index.base > 0  # only the tail is indexed…
            await until(pilot, lambda: not view.model.gap, what="the lines counted")
            assert view.row_count == 110_000 and view.virtual_size.height == 110_000  # …all rows
            view.focus()
            await pilot.press("home")
            assert visible_lines(view)[0] == "line 0000000 " + "x" * 80
            assert not view.follow
            await pilot.press("pagedown")
            assert visible_lines(view)[0] == f"line {view.scroll_offset.y:07d} " + "x" * 80
    finally:
        store.close()


def footer_keys(app: App[object]) -> list[str]:
    """The actions the footer offers right now (what a person sees listed)."""
    return [
        binding.action
        for (_, binding, enabled, _) in app.screen.active_bindings.values()
        if binding.show and enabled
    ]


async def test_the_footer_offers_only_keys_that_do_something(rt: Runtime, project: Path) -> None:
    """`enter Open` is listed; `esc` only while a search is on (the table itself has nothing to
    go back to); `n`/`N` only while searching; `end Follow` only once scrolling stopped
    following."""
    # A log to scroll and search, then quiet: pilot's key presses wait for the app to idle.
    job = rt.start("seq -f 'line %g' 1 80; sleep 60")
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE) as pilot:
        view = log_view(app)
        await until(pilot, lambda: len(view.index) >= 80 and view.follow, what="a full log")
        keys = footer_keys(app)
        assert keys == ["select_cursor", "kill", "type_line", "attach", "search", "filter", "quit"]
        assert "back" not in keys and "next_match" not in keys and "follow" not in keys
        await pilot.press("slash", *"line 1", "enter")
        await until(pilot, lambda: "next_match" in footer_keys(app), what="n/N offered")
        assert "back" in footer_keys(app)
        await pilot.press("escape")
        await until(pilot, lambda: "next_match" not in footer_keys(app), what="search cleared")
        view.focus()
        await pilot.press("up", "up", "up")
        await until(pilot, lambda: "follow" in footer_keys(app), what="end Follow offered")
        await pilot.press("end")
        await until(pilot, lambda: "follow" not in footer_keys(app), what="following again")
    rt.kill(job.id, grace=0)


async def test_output_lost_to_a_full_disk_is_shown(home: Path, tmp_path: Path) -> None:
    """A job whose output could not be written (the record says from which byte) says so in
    the log's bar and in its full-screen details."""
    store = StoreBuilder(home, tmp_path / "proj")
    lost = "output from byte 11 on could not be written: No space left on device"
    store.add("./build", b"compiling\r\n", status="exited", exit_code=0, output_lost=lost)
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=(160, 30)) as pilot:
            bar = app.screen.query_one("#log-bar")
            await until(pilot, lambda: f"⚠ {lost}" in widget_text(bar), what="the bar's warning")
            await pilot.press("enter")
            await until(pilot, lambda: app.screen is not screen(app), what="the job screen")
            header = app.screen.query_one("#job-header")
            assert lost in widget_text(header)
    finally:
        store.close()


async def test_a_job_whose_supervisor_vanishes_shows_lost(rt: Runtime, project: Path) -> None:
    """SIGKILL a running job's supervisor while the viewer is open: within 2 s its row says
    lost (never running) and the chip stops counting it."""
    job = rt.start('trap "" HUP TERM; echo ready; sleep 1000')
    running, _ = rt.wait(job.id, timeout=10, pattern="ready")
    assert running.supervisor_pid is not None
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: chip(app) == "⚙ 1 Background Job")
        os.kill(running.supervisor_pid, signal.SIGKILL)
        await until(pilot, lambda: (job.id, "lost") in rows(app), timeout=2.0, what="lost")
        await until(pilot, lambda: chip(app) == "⚙ 0 Background Jobs", timeout=1.0)


async def test_a_log_deleted_or_replaced_under_a_running_job_is_picked_up(
    rt: Runtime, project: Path
) -> None:
    """Delete a running job's output.log, then replace it with another file: the viewer keeps
    running and shows the new lines from whatever output.log is now."""
    job = rt.start(COUNTER)
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        view = log_view(app)
        await until(pilot, lambda: len(view.index) > 100, what="100 lines")
        os.unlink(job.log_path)  # the supervisor starts a fresh output.log

        def showing_the_new_file() -> bool:
            # The new file holds only lines written since the deletion: fewer than the old
            # one had, and still growing.
            return job.log_path.exists() and 0 < len(view.index) < 100

        await until(pilot, showing_the_new_file, what="the new file's lines")
        await until(pilot, lambda: len(view.index) > 30, what="30 lines in the new file")
        before = len(view.index)
        replacement = job.log_path.with_name("replacement")
        replacement.write_bytes(b"replaced by hand\n")
        os.replace(replacement, job.log_path)  # the supervisor reopens it and appends
        await until(
            pilot, lambda: 0 < len(view.index) < before, what="the replacement file read anew"
        )
        # Within half a second the supervisor notices and appends to the new file.
        await until(
            pilot,
            lambda: job.log_path.read_bytes().startswith(b"replaced by hand\nline "),
            what="output appended to the replacement",
        )
        await until(pilot, lambda: visible_lines(view)[-1:] != ["replaced by hand"])
        assert app.is_running
    rt.kill(job.id, grace=0)


async def test_damaged_records_do_not_stop_the_viewer(home: Path, tmp_path: Path) -> None:
    """Garbage, truncated and missing records sit beside good ones: the good rows show, the
    damaged ones are left out, and the viewer works on."""
    store = StoreBuilder(home, tmp_path / "proj")
    store.add("./ok-one", b"fine\n", status="exited", exit_code=0)
    bad = store.add("./garbage", b"", status="exited", exit_code=0)
    (bad / "result.json").write_text("{not json")
    cut = store.add("./truncated", b"", status="exited", exit_code=0)
    (cut / "result.json").write_text('{"request": {"id": "bash_3", "comm')
    (store.project.jobs_dir / "bash_9").mkdir(mode=0o700)
    store.add("./ok-two", b"fine\n", status="exited", exit_code=1)
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: len(rows(app)) == 2, what="the good rows")
            assert [job_id for job_id, _ in rows(app)] == ["bash_4", "bash_1"]
            await pilot.press("enter")
            await until(pilot, lambda: app.screen is not screen(app), what="a job opened")
            await pilot.press("escape")
            assert app.is_running
    finally:
        store.close()


async def test_all_projects_shows_every_projects_jobs(home: Path, tmp_path: Path) -> None:
    """`bgview --all`: jobs of two projects in one table, each command marked with its
    project, and a job started in either appears."""
    web, api = tmp_path / "web", tmp_path / "api"
    web.mkdir()
    api.mkdir()
    web_rt, api_rt = Runtime(web, home=home), Runtime(api, home=home)
    web_rt.wait(web_rt.start("echo web").id, timeout=10)
    app = make_app(all_projects=True, home=home)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(rows(app)) == 1, what="the web job")
        later = api_rt.start("sleep 30")
        await until(pilot, lambda: len(rows(app)) == 2, what="the api job")
        commands = [widget_text(table(app)).count(f"[{name}]") for name in ("web", "api")]
        assert commands == [1, 1]
    api_rt.kill(later.id, grace=0)
