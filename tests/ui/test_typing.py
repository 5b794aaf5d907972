"""Typing into jobs from the viewer, under Textual's pilot, against real jobs in real ptys:
``i`` (a line, hidden at a password prompt) and ``a`` (attached: keys go to the job until
ctrl+] detaches)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input

from bgview.runtime import Runtime
from bgview.ui import make_app
from bgview.ui.attach import AttachScreen
from bgview.ui.input_box import InputBox
from bgview.ui.job_table import JobTable
from bgview.ui.terminal_view import TerminalView
from tests.ui.helpers import SIZE, ready, table, toasts, until

PY = sys.executable


async def _until_gone(check: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Until ``check()`` while a screen may go away by itself: pilot's pause waits for the
    screen on top to be idle, and one that is removed meanwhile never is (30 s lost)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        await asyncio.sleep(0.02)


def _log(rt: Runtime, job_id: str) -> bytes:
    return rt.job(job_id).log_path.read_bytes()


def _screen_text(app: object) -> str:
    """What the attached terminal shows, a line per row."""
    view = app.screen.query_one(TerminalView)  # type: ignore[attr-defined]
    term = view.term
    return "\n".join(
        "".join(term.buffer[y][x].data for x in range(term.columns)).rstrip()
        for y in range(term.lines)
    )


async def test_i_answers_a_prompt(rt: Runtime, project: Path) -> None:
    job = rt.start("read -p 'Continue? ' answer; echo \"got [$answer]\"; sleep 30")
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await until(pilot, lambda: b"Continue? " in _log(rt, job.id), what="the prompt")
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, InputBox), what="the input box")
        line = app.screen.query_one(Input)
        assert not line.password  # the prompt echoes: what is typed is shown
        await pilot.press(*"yes", "enter")
        await until(pilot, lambda: b"got [yes]" in _log(rt, job.id), what="the job's answer")
        assert not isinstance(app.screen, InputBox)
        await until(pilot, lambda: any("sent a line to" in t for t, _ in toasts(app)))
        assert all("yes" not in t for t, _ in toasts(app))


async def test_i_hides_a_password_and_it_is_never_logged(rt: Runtime, project: Path) -> None:
    code = "import getpass; pw = getpass.getpass('Password: '); print('length', len(pw))"
    job = rt.start([PY, "-c", code])
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await until(pilot, lambda: b"Password: " in _log(rt, job.id), what="the prompt")
        await until(pilot, lambda: not rt.tty_mode(job.id).echo, what="echo off")  # type: ignore[union-attr]
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, InputBox), what="the input box")
        box = app.screen
        assert box.query_one(Input).password  # masked: the terminal does not echo
        assert box.has_class("-hidden")
        await pilot.press(*"hunter2-secret", "enter")
        _, done = rt.wait(job.id, timeout=10)
        assert done
    log = _log(rt, job.id)
    assert b"length 14" in log
    assert b"hunter2" not in log
    assert "hunter2" not in rt.read(job.id).render()


async def test_i_and_a_are_offered_for_running_jobs_only(rt: Runtime, project: Path) -> None:
    ended = rt.start("true")
    rt.wait(ended.id, timeout=10)
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = app.jobs_screen
        assert screen.check_action("type_line", ()) is False
        assert screen.check_action("attach", ()) is False
        await pilot.press("i", "a")
        await pilot.pause()
        assert app.screen is screen


async def test_a_attaches_to_a_python_repl_and_ctrl_bracket_detaches(
    rt: Runtime, project: Path
) -> None:
    job = rt.start([PY, "-q"])
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await until(pilot, lambda: b">>> " in _log(rt, job.id), what="the REPL's prompt")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AttachScreen), what="attached")
        await until(pilot, lambda: ">>>" in _screen_text(app), what="the prompt on screen")
        # The job's terminal takes the pane's size (the screen less its title and footer).
        view = app.screen.query_one(TerminalView)
        pane = (view.size.width, view.size.height)
        await until(pilot, lambda: _size(rt, job.id) == pane, what="the job's terminal resized")
        await pilot.press(*"6*7", "enter")
        await until(pilot, lambda: "\n42" in _screen_text(app), what="the answer on screen")
        # Keys the viewer would take are the job's: ctrl+c interrupts the REPL, q is a q.
        await pilot.press(*"while True: pass", "enter", "enter")
        await pilot.press("ctrl+c")
        await until(pilot, lambda: "KeyboardInterrupt" in _screen_text(app), what="Ctrl+C")
        await pilot.press("q", "enter")
        await until(pilot, lambda: "name 'q' is not defined" in _screen_text(app), what="q")
        # The key, not pilot.press: it would wait for the attached screen, which goes.
        app.simulate_key("ctrl+right_square_bracket")
        await _until_gone(lambda: not isinstance(app.screen, AttachScreen), what="detached")
        assert app.screen is app.jobs_screen
        await until(pilot, lambda: _size(rt, job.id) == (120, 40), what="its size given back")
        # The viewer's keys are the viewer's again.
        assert isinstance(app.focused, JobTable)
        assert rt.job(job.id).running
        await pilot.press("k")
        _, done = rt.wait(job.id, timeout=10)
        assert done


async def test_the_attached_screen_detaches_when_the_job_ends(rt: Runtime, project: Path) -> None:
    job = rt.start("read -p 'press enter: ' x; echo bye")
    app = make_app(project, home=rt.project.dir.parent.parent)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await until(pilot, lambda: b"press enter" in _log(rt, job.id), what="the prompt")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AttachScreen), what="attached")
        rt.send(job.id, "")  # Enter from elsewhere: the job ends while attached
        await _until_gone(lambda: app.screen is app.jobs_screen, what="detached at the end")
        await until(pilot, lambda: any("exited 0: detached" in t for t, _ in toasts(app)))
        assert table(app).selected() is not None


def _size(rt: Runtime, job_id: str) -> tuple[int, int] | None:
    mode = rt.tty_mode(job_id)
    return (mode.columns, mode.rows) if mode is not None else None
