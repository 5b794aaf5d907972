"""``bgview send``, ``bgview attach`` and ``bgview run --size``, as a user runs them: the real
command in a temp store, attached from a real pty (pexpect), against real jobs in real ptys."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

from bgview.runtime import Runtime
from tests.conftest import RunCli
from tests.runtime.helpers import ended, until

PY = sys.executable
DETACH = "\x1d"  # Ctrl+]


def _log(rt: Runtime, job_id: str) -> bytes:
    return rt.job(job_id).log_path.read_bytes()


def _size(rt: Runtime, job_id: str) -> tuple[int, int] | None:
    mode = rt.tty_mode(job_id)
    return (mode.columns, mode.rows) if mode is not None else None


# ---- send ------------------------------------------------------------------------------------


def test_send_answers_read_p_and_no_enter_leaves_the_line_open(rt: Runtime, cli: RunCli) -> None:
    job = rt.start("read -p 'name: ' name; echo \"hello [$name]\"")
    until(lambda: b"name: " in _log(rt, job.id), what="the prompt")
    done = cli("send", job.id, "ad", "--no-enter")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    until(lambda: b"name: ad" in _log(rt, job.id), what="the echo")
    assert rt.job(job.id).running
    assert cli("send", job.id, "a").returncode == 0
    ended(rt, job.id)
    assert b"hello [ada]" in _log(rt, job.id)


def test_a_password_sent_to_read_s_is_never_logged(rt: Runtime, cli: RunCli) -> None:
    job = rt.start("read -s -p 'Password: ' pw; echo; echo \"length ${#pw}\"")
    until(lambda: b"Password: " in _log(rt, job.id), what="the prompt")
    until(lambda: not rt.tty_mode(job.id).echo, what="echo off")  # type: ignore[union-attr]
    assert cli("send", job.id, "s3cret-hunter2").returncode == 0
    ended(rt, job.id)
    log = _log(rt, job.id)
    assert b"length 14" in log and b"hunter2" not in log
    out = cli("output", job.id)
    assert "length 14" in out.stdout and "hunter2" not in out.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["send", "bash_404", "hi"], "no job bash_404"),
        (["attach", "bash_404"], "no job bash_404"),
        (["run", "--size", "0x0", "--", "true"], "0x0 is out of range"),
        (["run", "--size", "5000x5000", "--", "true"], "5000x5000 is out of range"),
        (["run", "--size", "abc", "--", "true"], "not a terminal size: 'abc'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cli: RunCli, rt: Runtime, args: list[str], words: str
) -> None:
    done = cli(*args)
    assert done.returncode == 2
    assert words in done.stderr and len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert rt.jobs() == []  # nothing was started


def test_an_ended_job_takes_no_input_and_cannot_be_attached(rt: Runtime, cli: RunCli) -> None:
    job = ended(rt, rt.start("true").id)
    sent = cli("send", job.id, "hello")
    assert sent.returncode == 2
    assert sent.stderr == f"bgview: {job.id} has ended (exited); it takes no input\n"
    attached = cli("attach", job.id)
    assert attached.returncode == 2
    assert attached.stderr == (
        f"bgview: {job.id} has ended (exited); there is nothing to attach to\n"
    )


def test_attach_needs_a_terminal(rt: Runtime, cli: RunCli) -> None:
    job = rt.start("sleep 30")
    done = cli("attach", job.id, stdin=open(os.devnull))  # noqa: SIM115 - closed with the run
    assert done.returncode == 2
    assert "bgview attach needs a terminal" in done.stderr


# ---- run --size --------------------------------------------------------------------------------


def test_run_size_sets_the_jobs_terminal(rt: Runtime, cli: RunCli) -> None:
    job_id = cli("run", "--size", "80x24", "--", "stty", "size").stdout.strip()
    ended(rt, job_id)
    assert _log(rt, job_id) == b"24 80\n"


def test_run_takes_the_size_of_the_terminal_it_was_started_from(
    home: Path, project: Path, rt: Runtime
) -> None:
    env = {**os.environ, "BGVIEW_HOME": str(home)}
    child = pexpect.spawn(
        PY,
        ["-m", "bgview", "run", "--", "stty", "size"],
        cwd=str(project),
        env=env,
        dimensions=(33, 91),
        encoding="utf-8",
    )
    child.expect(pexpect.EOF, timeout=30)
    job_id = (child.before or "").strip()
    ended(rt, job_id)
    assert _log(rt, job_id) == b"33 91\n"


# ---- attach ------------------------------------------------------------------------------------


def _attach_in_a_shell(home: Path, project: Path, job_id: str) -> pexpect.spawn:
    """``bgview attach`` from a shell in a 100×30 pty; once it is over the shell prints its
    terminal's modes (``stty -a``) and ``SHELL-BACK``."""
    env = {**os.environ, "BGVIEW_HOME": str(home), "TERM": "xterm-256color"}
    script = f"{PY} -m bgview attach {job_id}; echo exit=$?; stty -a; echo SHELL-BACK; sleep 30"
    return pexpect.spawn(
        "bash",
        ["--norc", "-c", script],
        cwd=str(project),
        env=env,
        dimensions=(30, 100),
        encoding="utf-8",
        timeout=20,
    )


def _restored(child: pexpect.spawn) -> None:
    """The terminal is as the shell left it: line editing, echo, signals."""
    child.expect("SHELL-BACK")
    modes = (child.before or "").split()
    assert "exit=0" in modes
    for mode in ("icanon", "echo", "isig", "icrnl"):
        assert mode in modes and f"-{mode}" not in modes


def test_attach_to_a_python_repl_and_detach(home: Path, project: Path, rt: Runtime) -> None:
    job = rt.start([PY, "-q"])
    until(lambda: b">>> " in _log(rt, job.id), what="the REPL's prompt")
    child = _attach_in_a_shell(home, project, job.id)
    try:
        child.expect_exact(f"[attached to {job.id}: ")
        child.expect_exact("detach with Ctrl+]]")
        child.expect_exact(">>> ")  # what the job's screen held: its prompt
        until(lambda: _size(rt, job.id) == (100, 30), what="the job's terminal takes ours")
        child.send("6*7\r")
        child.expect("\r\n42\r\n")
        child.send("\x03")  # Ctrl+C is the job's
        child.expect("KeyboardInterrupt")
        child.setwinsize(35, 90)  # the window is resized: so is the job's terminal
        until(lambda: _size(rt, job.id) == (90, 35), what="the job follows SIGWINCH")
        child.send(DETACH)
        child.expect_exact(f"[detached from {job.id}: it runs on]")
        _restored(child)
        assert rt.job(job.id).running
        until(lambda: _size(rt, job.id) == (120, 40), what="its own size back")
    finally:
        child.close(force=True)


def test_attach_to_a_shell_and_the_job_ending_ends_it(
    home: Path, project: Path, rt: Runtime
) -> None:
    job = rt.start("PS1='job$ ' exec bash --norc -i")
    until(lambda: b"job$ " in _log(rt, job.id), what="the shell's prompt")
    child = _attach_in_a_shell(home, project, job.id)
    try:
        child.expect_exact(f"[attached to {job.id}: ")
        child.expect_exact("job$ ")
        child.send("echo $((6*7)) $COLUMNS\r")
        child.expect("\r42 100\r\n")  # the job's shell sees our width
        child.send("exit 3\r")
        child.expect_exact(f"[{job.id} exited 3]")
        _restored(child)
    finally:
        child.close(force=True)
    assert rt.job(job.id).exit_code == 3
