"""A closed terminal ends the face: the viewer, ``bgview shell`` (also with ``/bashes`` open or a
command running) and ``make demo`` leave within 2 s of their terminal going away, and the jobs
they own end with them — also when a wrapper keeps SIGHUP from them (make leads the session
and does not pass it on; nohup ignores it). The terminal goes away for real: the pty's master is
closed (as a terminal window or sshd does), or tmux kills the session.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bgview.runtime import Job, Runtime
from bgview.runtime.proc import is_same_process
from tests.support import group_gone, until
from tests.term import Term

ROOT = Path(__file__).resolve().parents[2]
LEAVE = 2.0
"""Seconds a face has to leave once its terminal is gone (the promise) …"""
MARGIN = 1.5
"""… and what a loaded machine (two test workers, ptys, supervisors) may add to it."""
BGVIEW = [sys.executable, "-m", "bgview"]


# ---- helpers ------------------------------------------------------------------------------------


def hang_up(term: Term) -> float:
    """Close the terminal's master side, as a closed window does; when it happened."""
    ptyproc = term.child.ptyproc
    ptyproc.fileobj.close()
    ptyproc.fd = term.child.child_fd = -1
    ptyproc.closed = term.child.closed = True
    term.ended = True
    return time.monotonic()


def wait_gone(pid: int, since: float) -> float:
    """Wait (for any process, child or not: a pidfd) until ``pid`` is gone; seconds taken
    since ``since``. Fails past the promise and its margin."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return time.monotonic() - since
    try:
        left = since + LEAVE + MARGIN - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0))
    finally:
        os.close(fd)
    taken = time.monotonic() - since
    assert ready, f"pid {pid} still there {taken:.1f}s after its terminal closed"
    return taken


def reap(term: Term) -> int | None:
    """The face's exit status (it is our child: pexpect forked it)."""
    ptyproc = term.child.ptyproc
    ptyproc.wait()
    status: int | None = ptyproc.exitstatus
    return status


def child_of(pid: int, name: str) -> int:
    """The process below ``pid`` (make, nohup's shell) whose command line holds ``name``."""

    def find() -> int | None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_bytes()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            parent = int(stat.rsplit(b")", 1)[1].split()[1])
            if parent == pid and name.encode() in cmdline:
                return int(entry.name)
        return None

    return until(find, 10, f"{name} under pid {pid}")


def running_jobs(rt: Runtime, count: int) -> list[Job]:
    """Wait until ``count`` jobs run with their pids known; those jobs."""
    return until(
        lambda: (
            (jobs := [j for j in rt.jobs() if j.running and j.pid]) and len(jobs) == count and jobs
        ),
        10,
        f"{count} running jobs",
    )


def assert_ended(rt: Runtime, jobs: list[Job]) -> None:
    """Each job's record is final and says its owner ended it; none of its processes (its
    group, its supervisor) is left."""
    for job in jobs:
        ended = until(lambda job=job: (j := rt.job(job.id)).status.ended and j, 10, job.id)
        assert ended.killed_by == "owner-exit", (job.id, ended.status, ended.killed_by)
    assert_processes_gone(jobs)


def assert_processes_gone(jobs: list[Job]) -> None:
    for job in jobs:
        assert job.pid is not None
        until(lambda job=job: group_gone(job.pid), 10, f"{job.id}'s group gone")
        until(
            lambda job=job: not is_same_process(job.supervisor_pid, job.supervisor_start),
            10,
            f"{job.id}'s supervisor gone",
        )


def finish(term: Term) -> None:
    """Whatever happened, no face is left behind (its process group: the face and what a
    wrapper started). pexpect alone would wait for it forever once it saw end of file."""
    with contextlib.suppress(ProcessLookupError):  # the face, and a wrapper's child
        os.killpg(term.pid, signal.SIGKILL)
    term.close()


def open_viewer_in(shell: Term) -> None:
    shell.run("/bashes")
    shell.wait_for(lambda lines: shell.screen.alternate and any("sleep" in ln for ln in lines))


@pytest.fixture
def makefile(tmp_path: Path) -> Path:
    """A project Makefile with targets that run the viewer and the shell, as a user's might."""
    path = tmp_path / "Makefile"
    path.write_text(
        f"view:\n\t{' '.join(BGVIEW)}\nrepl:\n\t{' '.join(BGVIEW)} shell\n",
    )
    return path


# ---- the viewer ---------------------------------------------------------------------------------


@pytest.mark.parametrize("wrapper", ["none", "make"])
def test_the_viewer_leaves_when_its_terminal_closes(
    home: Path, project: Path, makefile: Path, rt: Runtime, wrapper: str
) -> None:
    """`bgview` straight in the terminal (it hears SIGHUP), and from a Makefile target (it
    never does: make leads the session)."""
    rt.start("sleep 60", keep=True)  # something to show; the viewer owns no job
    argv = BGVIEW if wrapper == "none" else ["make", "-s", "-f", str(makefile), "view"]
    term = Term(argv, cwd=project, home=home)
    try:
        term.wait_for(lambda lines: term.screen.alternate and any("sleep 60" in ln for ln in lines))
        face = term.pid if wrapper == "none" else child_of(term.pid, "-m bgview")
        closed = hang_up(term)
        wait_gone(face, closed)
        wait_gone(term.pid, closed)
        assert rt.job("bash_1").running  # not the viewer's to end
    finally:
        finish(term)


# ---- the shell ----------------------------------------------------------------------------------


@pytest.mark.parametrize("doing", ["prompt", "viewer", "command"])
def test_the_shell_leaves_and_its_jobs_end_when_its_terminal_closes(
    home: Path, project: Path, rt: Runtime, doing: str
) -> None:
    """At an idle prompt, with `/bashes` open, and with a command in the foreground: the
    shell is gone within 2 s, its jobs end with it (a job that ignores SIGTERM too), and a
    kept job lives on."""
    term = Term.shell(home, project)
    try:
        term.wait_prompt(1)
        term.run("sleep 60 &")
        term.run("CMD&: trap '' TERM HUP; sleep 60")
        term.run("CMD&: --keep sleep 61")
        term.wait_prompt(4)
        count = 3
        if doing == "viewer":
            open_viewer_in(term)
        elif doing == "command":
            term.run("sleep 62")
            count = 4
        jobs = running_jobs(rt, count)
        kept = next(job for job in jobs if job.keep)
        closed = hang_up(term)
        wait_gone(term.pid, closed)
        assert reap(term) == 128 + signal.SIGHUP
        assert_ended(rt, [job for job in jobs if not job.keep])
        assert rt.job(kept.id).running
    finally:
        finish(term)


def test_the_shell_under_nohup_leaves_when_its_terminal_closes(
    home: Path, project: Path, rt: Runtime
) -> None:
    """nohup ignores SIGHUP (and sends stdin, stdout and stderr away from the terminal: the
    shell gets them back from a descriptor nohup leaves alone). Nothing but the terminal
    itself says it is gone."""
    inner = 'exec "$@" <&3 >&3 2>&3 3>&-'
    argv = ["sh", "-c", 'exec 3<>/dev/tty; exec nohup sh -c "$0" "$@"', inner, "sh"]
    argv += [*BGVIEW, "shell"]
    term = Term(argv, cwd=project, home=home)
    try:
        term.wait_prompt(1)
        term.run("sleep 60 &")
        jobs = running_jobs(rt, 1)
        closed = hang_up(term)
        wait_gone(term.pid, closed)
        assert_ended(rt, jobs)
    finally:
        finish(term)


def test_make_shell_with_the_viewer_open_leaves_when_its_terminal_closes(
    home: Path, project: Path, makefile: Path, rt: Runtime
) -> None:
    """A Makefile target runs the shell, `/bashes` is open: make takes the SIGHUP, the shell
    (and the viewer in it) see only the terminal go."""
    term = Term(["make", "-s", "-f", str(makefile), "repl"], cwd=project, home=home)
    try:
        term.wait_prompt(1)
        term.run("sleep 60 &")
        term.wait_prompt(2)
        open_viewer_in(term)
        jobs = running_jobs(rt, 1)
        shell = child_of(term.pid, "-m bgview shell")
        closed = hang_up(term)
        wait_gone(shell, closed)
        assert_ended(rt, jobs)
    finally:
        finish(term)


def test_the_shell_leaves_when_tmux_kills_its_session(
    home: Path, project: Path, rt: Runtime, tmp_path: Path
) -> None:
    """The shell in a tmux pane, `/bashes` open, then `tmux kill-session`."""
    socket = f"bgview-test-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", socket, "-f", "/dev/null"]
    env = {**os.environ, "BGVIEW_HOME": str(home), "TERM": "xterm-256color"}
    env.pop("TMUX", None)
    command = " ".join([*BGVIEW, "shell"])
    size = ["-x", "100", "-y", "30"]
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "t", *size, "-c", str(project), command],
        env=env,
        check=True,
    )
    try:

        def screen() -> str:
            shown = subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", "t"], capture_output=True, text=True
            )
            return shown.stdout

        until(lambda: "❯" in screen(), 15, "the prompt in tmux")
        subprocess.run([*tmux, "send-keys", "-t", "t", "sleep 60 &", "Enter"], check=True)
        jobs = running_jobs(rt, 1)
        subprocess.run([*tmux, "send-keys", "-t", "t", "/bashes", "Enter"], check=True)
        until(lambda: "sleep 60" in screen() and "❯" not in screen(), 15, "the viewer")
        pane = subprocess.run(
            [*tmux, "list-panes", "-t", "t", "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        )
        shell = int(pane.stdout.split()[0])
        closed = time.monotonic()
        subprocess.run([*tmux, "kill-session", "-t", "t"], check=True)
        wait_gone(shell, closed)
        assert_ended(rt, jobs)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


# ---- make demo ----------------------------------------------------------------------------------


@pytest.fixture
def demo_tmp(tmp_path: Path) -> Iterator[Path]:
    """Where the demo makes its throwaway store (its TMPDIR)."""
    path = tmp_path / "tmp"
    path.mkdir()
    yield path


def demo_jobs(demo_tmp: Path) -> list[Job]:
    """The demo's jobs, read from its store once the viewer shows them."""
    homes = until(lambda: list(demo_tmp.glob("bgview-demo-*")), 10, "the demo's store")
    rt = Runtime(homes[0] / "webshop", home=homes[0])
    return until(lambda: len(jobs := rt.jobs()) == 4 and all(j.pid for j in jobs) and jobs)


def start_demo(argv: list[str], project: Path, home: Path) -> Term:
    """The demo in a terminal, its viewer drawn (its TMPDIR set by the test)."""
    term = Term(argv, cwd=project, home=home)
    term.wait_for(lambda lines: term.screen.alternate and any("bash_4" in ln for ln in lines), 20)
    return term


def test_make_demo_leaves_and_removes_its_store_when_its_terminal_closes(
    home: Path, project: Path, demo_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(demo_tmp))
    argv = ["make", "-s", "-C", str(ROOT), "-o", ".venv/.installed-stamp", "demo"]
    argv.append(f"PY={sys.executable}")
    term = start_demo(argv, project, home)
    try:
        jobs = demo_jobs(demo_tmp)
        running = [job for job in jobs if job.running]
        assert running, "the dev server runs"
        demo = child_of(term.pid, "bgview.demo")
        closed = hang_up(term)
        wait_gone(demo, closed)
        assert_processes_gone(running)
        assert not list(demo_tmp.glob("bgview-demo-*")), "the demo's store is left behind"
    finally:
        finish(term)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_the_demo_removes_its_store_on_sigterm_and_sighup(
    home: Path, project: Path, demo_tmp: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    """Asked to go (the terminal still there): it leaves the screen as it was, too."""
    monkeypatch.setenv("TMPDIR", str(demo_tmp))
    term = start_demo([sys.executable, "-m", "bgview.demo"], project, home)
    try:
        running = [job for job in demo_jobs(demo_tmp) if job.running]
        sent = time.monotonic()
        os.kill(term.pid, signum)
        term.wait_for(lambda lines: not term.screen.alternate, LEAVE + MARGIN)
        wait_gone(term.pid, sent)
        assert reap(term) == 128 + signum
        assert_processes_gone(running)
        assert not list(demo_tmp.glob("bgview-demo-*")), "the demo's store is left behind"
    finally:
        finish(term)
