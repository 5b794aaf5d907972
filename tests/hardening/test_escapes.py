"""Nothing a job names reaches the terminal: every face shows its strings with controls visible.

Jobs are started for real with a name, a command, a cwd and a failure reason holding a
clipboard write (OSC 52), a title change (OSC 0), a screen clear, a C1 CSI and a bidi override;
then each face is asked to show them — the CLI's output, the viewer under pilot (its cells, job
details, toasts, titles and a whole screenshot), ``bgview shell`` in a pty (the raw bytes it
wrote) and the agent tools' text — and none of those characters may come out raw. The escaped
forms (``^[``, ``\\x9b``, ``\\u202e``) must be there instead: shown, not dropped.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgview.agent import ToolHandler
from bgview.runtime import Runtime
from bgview.runtime.text import visible
from bgview.ui import make_app
from bgview.ui.job_screen import JobHeader, JobScreen
from tests.conftest import RunCli
from tests.term import Term
from tests.ui.helpers import SIZE, table, toasts, until, widget_text

CLIPBOARD = "\x1b]52;c;aGk=\x07"  # OSC 52: sets the clipboard to "hi"
TITLE = "\x1b]0;pwned\x07"  # OSC 0: retitles the terminal
CLEAR = "\x1b[2J"  # erases the screen
C1_CSI = "\x9b31m"  # a one-character CSI
BIDI = "\u202eevil"  # right-to-left override: what follows reads backwards
EVIL = CLIPBOARD + TITLE + CLEAR + C1_CSI + BIDI

SHOWN = "^[]52;c;aGk=^G^[]0;pwned^G^[[2J\\x9b31m\\u202eevil"
"""``EVIL`` as every face shows it."""

RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
"""What must never come out of a text face: controls (but a newline), C1, bidi controls."""
RAW_BYTES = (b"\x1b]52", b"\x1b]0;", b"\x1b[2J", b"\x07", "\x9b".encode(), "\u202e".encode())
"""What must never reach a terminal that also gets the program's own escape sequences."""


def assert_clean(text: str, where: str) -> None:
    found = RAW.search(text)
    assert found is None, f"{where}: a raw {found.group()!r} in {text!r}"


# ---- the function -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("npm run dev", "npm run dev"),  # ordinary text is left alone
        ("café ✓ 日本", "café ✓ 日本"),  # so is any printable character
        (CLIPBOARD, "^[]52;c;aGk=^G"),  # C0 in caret notation
        ("\x00\x7f", "^@^?"),  # NUL and DEL
        ("a\nb\tc\rd", "a^Jb^Ic^Md"),  # one line: newline and tab shown too
        ("\x9b\x80\x9f", "\\x9b\\x80\\x9f"),  # C1
        ("\u202e\u2066\u200f\ufeff", "\\u202e\\u2066\\u200f\\ufeff"),  # bidi, zero-width, BOM
        ("\u2028", "\\u2028"),  # a line separator breaks a line in some terminals
        ("\U000e0041", "\\U000e0041"),  # a tag character: invisible "A"
        ("\udcff", "\\udcff"),  # a lone surrogate (undecodable file name) prints as text
    ],
)
def test_visible_shows_every_control(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_visible_multiline_keeps_newlines_and_tabs_only() -> None:
    assert visible("a\n\tb" + TITLE, multiline=True) == "a\n\tb^[]0;pwned^G"


@given(st.text())
def test_visible_leaves_nothing_to_act_on_and_is_idempotent(text: str) -> None:
    shown = visible(text)
    # No control, format character, surrogate or line separator is left (unassigned code
    # points and spaces other than " " are not printable to Python either, and are kept).
    assert not [c for c in shown if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]
    assert visible(shown) == shown
    shown.encode()  # never a lone surrogate: printing it cannot fail


# ---- a store full of them -----------------------------------------------------------------------


@dataclass
class Nasty:
    """The jobs whose strings hold ``EVIL``, and where they live."""

    named: str  # --name and the command
    missing: str  # failed: its program (argv0) does not exist, so the reason quotes it
    no_cwd: str  # failed: its --cwd does not exist, and the reason quotes the path
    in_dir: str  # ran in a directory whose name holds EVIL
    running: str  # still running, named and with EVIL in its command
    other: Path  # a second project, whose directory name holds EVIL (for --all)
    failed_run: str  # what `bgview run` said on stderr for the missing program


@pytest.fixture
def nasty(cli: RunCli, project: Path, tmp_path: Path) -> Nasty:
    def run(*args: str) -> tuple[str, str]:
        result = cli("run", *args)
        return result.stdout.strip(), result.stderr

    named, _ = run("--name", "web" + EVIL, "true # " + EVIL)
    missing, failed_run = run("--", "nope" + EVIL)
    no_cwd, _ = run("--cwd", str(project / ("gone" + EVIL)), "true")
    (project / ("dir" + EVIL)).mkdir()
    in_dir, _ = run("--cwd", str(project / ("dir" + EVIL)), "true")  # (no output: a name)
    running, _ = run("--name", "srv" + EVIL, "sleep 300 # " + EVIL)
    other = tmp_path / ("other" + EVIL)
    other.mkdir()
    assert cli("--project", str(other), "run", "echo " + EVIL).returncode == 0
    for job in (named, in_dir):
        assert cli("wait", job, "--timeout", "10").returncode == 0
    return Nasty(named, missing, no_cwd, in_dir, running, other, failed_run)


# ---- the command line ---------------------------------------------------------------------------


def test_the_cli_shows_job_strings_with_controls_visible(cli: RunCli, nasty: Nasty) -> None:
    listed = cli("list").stdout
    assert_clean(listed, "bgview list")
    assert f"(web{SHOWN}) true # {SHOWN}" in listed
    assert f"nope{SHOWN}" in listed
    everywhere = cli("list", "--all").stdout
    assert_clean(everywhere, "bgview list --all")
    assert f"[other{SHOWN}] echo {SHOWN}" in everywhere  # the project's path too

    assert_clean(nasty.failed_run, "bgview run's failure")
    assert f"command not found: nope{SHOWN}" in nasty.failed_run
    notices = cli("notices").stdout
    assert_clean(notices, "bgview notices")
    assert f"command not found: nope{SHOWN}" in notices
    assert f"gone{SHOWN}" in notices
    for args in (
        ("wait", nasty.missing),
        ("wait", nasty.no_cwd),
        ("kill", nasty.missing),  # "had already ended", with the reason
        ("kill", nasty.running),
    ):
        result = cli(*args)
        assert_clean(result.stdout + result.stderr, f"bgview {' '.join(args)}")
    assert f"nope{SHOWN}" in cli("kill", nasty.missing).stdout


def test_list_json_keeps_the_exact_strings(cli: RunCli, nasty: Nasty, project: Path) -> None:
    jobs = {job["id"]: job for job in json.loads(cli("list", "--json").stdout)}
    assert jobs[nasty.named]["name"] == "web" + EVIL
    assert jobs[nasty.named]["command"] == "true # " + EVIL
    assert jobs[nasty.in_dir]["cwd"] == str(project / ("dir" + EVIL))
    assert "nope" + EVIL in jobs[nasty.missing]["reason"]


def test_a_bad_argument_is_quoted_visibly(cli: RunCli) -> None:
    result = cli("list", TITLE)  # argparse quotes what it did not understand
    assert result.returncode == 2
    assert_clean(result.stderr, "a usage error")
    assert "^[]0;pwned^G" in result.stderr


# ---- the viewer ---------------------------------------------------------------------------------


async def test_the_viewer_shows_job_strings_with_controls_visible(
    nasty: Nasty, home: Path, project: Path
) -> None:
    rt = Runtime(project, home=home)
    app = make_app(project, home=home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        jobs = table(app)
        await until(pilot, lambda: jobs.row_count == 5, what="every job's row")
        cells = [cell for i in range(jobs.row_count) for cell in jobs.row_cells(i)]
        for cell in cells:
            assert_clean(cell, "a table cell")
        assert any(f"(web{SHOWN})" in cell for cell in cells)
        assert_clean(app.export_screenshot(), "the table screen")

        details = {}
        for row in range(jobs.row_count):  # each job's details, full screen
            jobs.move_cursor(row)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, JobScreen), what="the job")
            detail = app.screen
            assert isinstance(detail, JobScreen)
            header = widget_text(detail.query_one(JobHeader))
            assert_clean(header, f"the details of {detail.job.id}")
            assert_clean(app.export_screenshot(), f"the job screen of {detail.job.id}")
            details[detail.job.id] = re.sub(r"\n +", "", header)  # long values fold: unfold
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, JobScreen), what="back")
        assert f"(web{SHOWN}) true # {SHOWN}" in details[nasty.named]  # name and command
        assert f"dir{SHOWN}" in details[nasty.in_dir]  # the cwd
        assert f"gone{SHOWN}" in details[nasty.no_cwd]  # the reason

        rt.start(["again" + EVIL])  # fails while the viewer is open: a toast says why
        await until(pilot, lambda: any("again" in text for text, _ in toasts(app)), what="toast")
        for notification in app._notifications:
            assert_clean(notification.message + notification.title, "a toast")
        assert any(f"again{SHOWN}" in text for text, _ in toasts(app))
        for title in (app.title, app.sub_title, app.screen.title or "", app.screen.sub_title or ""):
            assert_clean(title, "a title")
        assert_clean(app.export_screenshot(), "the screen with the toast")


async def test_every_projects_viewer_shows_project_paths_visibly(nasty: Nasty, home: Path) -> None:
    app = make_app(all_projects=True, home=home)
    async with app.run_test(size=SIZE) as pilot:
        jobs = table(app)
        await until(pilot, lambda: jobs.row_count == 6, what="both projects' jobs")
        cells = [cell for i in range(jobs.row_count) for cell in jobs.row_cells(i)]
        for cell in cells:
            assert_clean(cell, "a table cell under --all")
        assert any(f"[other{SHOWN}]" in cell for cell in cells)
        assert_clean(app.export_screenshot(), "the --all table")


# ---- the shell ----------------------------------------------------------------------------------


def test_the_shell_writes_no_job_escape_to_the_terminal(
    nasty: Nasty, cli: RunCli, home: Path, project: Path
) -> None:
    """`:bg-list`, the completion menu, a notice and the prompt (in a directory whose name
    holds EVIL): every byte the shell wrote is read, and no sequence from a job is in it."""
    term = Term(
        [sys.executable, "-m", "bgview", "--project", str(project), "shell"],
        cwd=project / ("dir" + EVIL),
        home=home,
        cols=160,
    )
    try:
        term.wait_prompt(1)
        term.run(":bg-list")
        term.wait_for(f"(srv{SHOWN}) sleep 300 # ^[]52;c;aGk=^G")
        term.send("/kill ")  # the menu offers the running job, with its command
        term.wait_for("running: sleep 300 # ^[]52;c;aGk=^G")
        term.send("\x15")  # Ctrl+U: clear the line
        assert cli("run", "--", "late" + EVIL).returncode == 1  # ends while the prompt waits
        term.wait_for(f"command not found: late{SHOWN}")
        assert f"dir{SHOWN}" in term.text()  # the prompt's directory
        for sequence in RAW_BYTES:
            assert sequence not in term.raw, f"{sequence!r} reached the terminal"
    finally:
        term.close()


# ---- the agent tools ----------------------------------------------------------------------------


def test_the_agent_tools_show_job_strings_with_controls_visible(
    nasty: Nasty, home: Path, project: Path
) -> None:
    handler = ToolHandler(Runtime(project, home=home))
    listed = handler.call("list_shells", {}).text  # its notices (the failures) come at the end
    assert_clean(listed, "list_shells")
    assert f"(web{SHOWN})" in listed and f"command not found: nope{SHOWN}" in listed
    killed = handler.call("kill_shell", {"shell_id": nasty.missing}).text
    assert_clean(killed, "kill_shell")
    assert f"nope{SHOWN}" in killed
    started = handler.call(
        "bash",
        {"command": "true", "run_in_background": True, "description": EVIL, "name": "x" + EVIL},
    ).text
    assert_clean(started, "bash")
    assert SHOWN in started
    taken = handler.call("bash", {"command": "true", "name": "srv" + EVIL, "keep": False})
    assert taken.is_error  # a job of that name runs: the refusal quotes the name, visibly
    assert_clean(taken.text, "bash refused")
