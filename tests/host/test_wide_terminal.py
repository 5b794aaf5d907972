"""A terminal wider (or taller) than a job's terminal may be — a window on a large screen with
a small font — still runs and attaches jobs: the shell's foreground jobs and ``bgview
attach`` give the job the largest size allowed (1000 columns), as ``bgview run`` does, instead
of a size the runtime refuses."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect

from bgview.runtime import Runtime
from bgview.runtime.record import MAX_COLUMNS
from tests.runtime.helpers import until
from tests.term import Term


def test_a_foreground_job_of_a_shell_wider_than_allowed_gets_the_widest_size(
    home: Path, project: Path
) -> None:
    shell = Term.shell(home, project, cols=1200, rows=30)
    try:
        shell.wait_prompt(1)
        shell.run(
            "stty size; trap 'stty size; exit 0' WINCH; echo re''ady; while :; do sleep 0.02; done"
        )
        shell.wait_for(lambda ls: "ready" in ls)
        assert f"30 {MAX_COLUMNS}" in shell.lines()  # started, at 1000 columns, not refused
        shell.child.setwinsize(35, 1300)  # wider still, and taller: the job follows
        shell.screen.resize(35, 1300)
        shell.wait_for(f"35 {MAX_COLUMNS}")
        shell.wait_for("[bash_1 exited 0")
    finally:
        shell.close()


def test_attach_from_a_terminal_wider_than_allowed_gives_the_job_the_widest_size(
    home: Path, project: Path, rt: Runtime
) -> None:
    job = rt.start("PS1='job$ ' exec bash --norc -i", size=(80, 24))
    until(lambda: b"job$ " in rt.job(job.id).log_path.read_bytes(), what="the shell's prompt")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bgview", "attach", job.id],
        cwd=str(project),
        env={"BGVIEW_HOME": str(home), "TERM": "xterm-256color", "PATH": "/usr/bin:/bin"},
        dimensions=(30, 1200),
    )
    try:
        child.expect_exact(f"[attached to {job.id}: ")
        child.send("echo cols=$COLUMNS\r")
        child.expect_exact(f"cols={MAX_COLUMNS}")
        child.send("\x1d")
        child.expect_exact(f"[detached from {job.id}: it runs on]")
    finally:
        child.close(force=True)

    def own_size_back() -> bool:
        mode = rt.tty_mode(job.id)
        return mode is not None and (mode.columns, mode.rows) == (80, 24)

    until(own_size_back, what="its own size back")
