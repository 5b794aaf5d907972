"""End to end: the real ``bgview`` in a real terminal (a pty read by pyte) beside jobs started
with the real ``bgview run``, driven with keys as a person would."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import RunCli
from tests.term import Term


def screen_of(term: Term, needle: str) -> str:
    """The screen's text once it shows ``needle``."""
    return "\n".join(term.wait_for(needle, timeout=15))


def test_k_in_the_viewer_kills_a_job_started_with_bgview_run(
    cli: RunCli, home: Path, project: Path
) -> None:
    """The table shows the job running; k kills it; the row says killed, the store agrees,
    and q gives the terminal back as it was."""
    started = cli("run", "--", "sh", "-c", "echo serving on :8000; exec sleep 300")
    job_id = started.stdout.strip()
    done = cli("run", "echo finished")
    term = Term(
        ["sh", "-c", f"echo BEFORE-THE-VIEWER; exec {sys.executable} -m bgview"],
        cwd=project,
        home=home,
        cols=120,
        rows=36,
    )
    try:
        screen = screen_of(term, "⚙ 1 Background Job")
        assert f"{job_id}" in screen and "● running" in screen
        assert "serving on :8000" in screen_of(term, "serving on :8000")
        command = "sh -c 'echo serving on :8000; exec sleep 300'"
        screen = screen_of(term, command)
        assert command in next(line for line in screen.splitlines() if job_id in line)
        term.press("k")
        screen = screen_of(term, "✗ killed")
        assert "⚙ 0 Background Jobs" in screen_of(term, "⚙ 0 Background Jobs")
        row = next(line for line in screen.splitlines() if job_id in line and "killed" in line)
        assert "SIGTERM" in row
        records = {j["id"]: j for j in json.loads(cli("list", "--json").stdout)}
        assert records[job_id]["status"] == "killed"
        assert records[job_id]["signal"] == "SIGTERM"
        assert records[done.stdout.strip()]["status"] == "exited"
        term.press("q")
        assert term.wait_exit() == 0
        assert not term.screen.alternate
        assert "BEFORE-THE-VIEWER" in term.text()
        assert 25 << 5 in term.screen.mode  # the cursor is shown again
    finally:
        term.close()
