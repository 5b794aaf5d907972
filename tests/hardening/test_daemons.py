"""Processes that try to outlive their job — daemons, new sessions, new process groups, zombie
anchors, late writers, jobs started from inside jobs — caused for real.

A user relies on a job being everything its command started: whatever group or session a
process moved to, it ends when the job ends (killed, exited, timed out, its owner gone or its
supervisor gone), the record names what had to be ended, what it wrote is kept, and a job
started from inside another one is a job of its own.

Every escape writes the escaped process's PID to a file once it is in place; the job waits
for that file, and where the test must look before the job goes on, for a FIFO the test
opens. Nothing here sleeps in place of an event; every process started is ended afterwards.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bgview.runtime import Job, JobStatus, Runtime, tree
from bgview.runtime.supervisor import EXIT_DRAIN
from tests.conftest import RunCli
from tests.support import until

PY = sys.executable
DAEMON_CMD = "sleep 300"
"""What every escaped process ends up running (so the record's command can be checked)."""


def _py(code: str) -> str:
    """A ``python -c`` command line for a bash script."""
    return f"{shlex.quote(PY)} -c {shlex.quote(textwrap.dedent(code))}"


def _report(pidfile: Path) -> str:
    """Bash that writes ``$$`` to ``pidfile`` atomically (so it is never read half-written)."""
    tmp = shlex.quote(f"{pidfile}.tmp")
    return f"echo $$ > {tmp} && mv {tmp} {shlex.quote(str(pidfile))}"


def _setsid(pidfile: Path) -> str:
    # setsid(1) in the background of a shell without job control: not a group leader, so it
    # calls setsid() and execs its command (no fork): `$$` is the PID that runs `sleep`.
    return f"setsid sh -c {shlex.quote(_report(pidfile) + ' && exec ' + DAEMON_CMD)} &"


def _daemon(pidfile: Path) -> str:
    # The classic daemon: fork, setsid, fork again, the middle exits: an orphan in a session
    # of its own, no session leader, reparented to the nearest subreaper.
    return _py(
        f"""
        import os
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                with open({str(pidfile) + ".tmp"!r}, "w") as f:
                    f.write(str(os.getpid()))
                os.rename({str(pidfile) + ".tmp"!r}, {str(pidfile)!r})
                os.execvp("sleep", {DAEMON_CMD.split()!r})
            os._exit(0)
        os.wait()
        """
    )


def _setpgid(pidfile: Path) -> str:
    # A program that moves itself to a process group of its own, in the same session.
    return (
        _py(
            f"""
            import os
            os.setpgid(0, 0)
            with open({str(pidfile) + ".tmp"!r}, "w") as f:
                f.write(str(os.getpid()))
            os.rename({str(pidfile) + ".tmp"!r}, {str(pidfile)!r})
            os.execvp("sleep", {DAEMON_CMD.split()!r})
            """
        )
        + " &"
    )


def _job_control(pidfile: Path) -> str:
    # A script with job control on: its background job gets a group of its own (bash calls
    # setpgid for it before `&` returns, so `$!` already leads its group).
    tmp = shlex.quote(f"{pidfile}.tmp")
    return f"set -m; {DAEMON_CMD} & echo $! > {tmp} && mv {tmp} {shlex.quote(str(pidfile))}; set +m"


ESCAPES: dict[str, Callable[[Path], str]] = {
    "setsid": _setsid,
    "daemon": _daemon,
    "setpgid": _setpgid,
    "job-control": _job_control,
}
NEW_SESSION = {"setsid", "daemon"}


@dataclass(frozen=True)
class Daemon:
    """The escaped process as ``/proc`` showed it once it ran ``DAEMON_CMD``."""

    proc: tree.Proc

    @property
    def pid(self) -> int:
        return self.proc.pid

    def gone(self) -> bool:
        """It runs no more: no such process, a later one with its PID, or a zombie (a zombie
        runs nothing; whoever adopted it reaps it)."""
        now = tree.read_proc(self.pid)
        return now is None or now.start != self.proc.start or now.state in ("Z", "X")


@dataclass
class Scenario:
    """One escape inside a job script, with the files it synchronises on."""

    escape: str
    dir: Path

    @property
    def pidfile(self) -> Path:
        return self.dir / "daemon.pid"

    @property
    def go(self) -> Path:
        """A FIFO the leader reads before it exits: the test looks first, then lets it go."""
        return self.dir / "go"

    def script(self, then: str) -> str:
        """Start the escape, wait until it is in place, say ``ready``, then run ``then``."""
        wait = f"until [ -e {shlex.quote(str(self.pidfile))} ]; do sleep 0.01; done"
        return f"{ESCAPES[self.escape](self.pidfile)}\n{wait}\necho ready\n{then}"

    def exiting(self) -> str:
        """A script whose leader exits 0 once the test opens ``go``."""
        os.mkfifo(self.go)
        return self.script(f"read _ < {shlex.quote(str(self.go))}\necho leader done")

    def running(self) -> str:
        """A script whose leader runs on."""
        return self.script("sleep 300")

    def release(self) -> None:
        """Let the leader of :meth:`exiting` go (it is blocked opening ``go``)."""
        with open(self.go, "w") as fifo:
            fifo.write("go\n")


@pytest.fixture
def strays() -> Iterator[list[tree.Proc]]:
    """Processes a test found; any of them still running afterwards is SIGKILLed."""
    found: list[tree.Proc] = []
    yield found
    tree.signal_all(tree.live(found), signal.SIGKILL)


@pytest.fixture(params=sorted(ESCAPES))
def scenario(request: pytest.FixtureRequest, tmp_path: Path) -> Scenario:
    work = tmp_path / "work"
    work.mkdir()
    return Scenario(str(request.param), work)


def escaped(sc: Scenario, leader: int, strays: list[tree.Proc]) -> Daemon:
    """The scenario's escaped process once it runs ``DAEMON_CMD``, checked to have left the
    leader's group (and, for the session escapes, its session)."""

    def found() -> tree.Proc | None:
        try:
            pid = int(sc.pidfile.read_text())
        except (FileNotFoundError, ValueError):
            return None
        item = tree.read_proc(pid)
        return item if item is not None and item.command == DAEMON_CMD else None

    item = until(found, timeout=10, what=f"the {sc.escape} process to run {DAEMON_CMD}")
    strays.append(item)
    leader_proc = tree.read_proc(leader)
    assert leader_proc is not None
    assert item.pgid != leader_proc.pgid, "it did not leave the job's process group"
    if sc.escape in NEW_SESSION:
        assert item.sid != leader_proc.sid, "it did not leave the job's session"
    return Daemon(item)


def listed(cli: RunCli, job_id: str) -> dict[str, Any]:
    """The job as ``bgview list --json`` shows it."""
    out = cli("list", "--json")
    assert out.returncode == 0, out.stderr
    records: list[dict[str, Any]] = json.loads(out.stdout)
    return next(r for r in records if r["id"] == job_id)


def ready(rt: Runtime, job_id: str) -> Job:
    job, seen = rt.wait(job_id, pattern="^ready", timeout=10)
    assert seen and job.pid is not None, f"{job_id} never said ready: {job.status.value}"
    return job


def assert_left_behind(record: dict[str, Any], daemon: Daemon) -> None:
    entry = {"pid": daemon.pid, "command": DAEMON_CMD}
    assert entry in record["left_behind"], record["left_behind"]
    assert record["left_behind_count"] >= 1


# ---- an escaped process ends with its job, however the job ends ----------------------------


def test_an_escaped_process_does_not_survive_bgview_kill(
    rt: Runtime, cli: RunCli, scenario: Scenario, strays: list[tree.Proc]
) -> None:
    """``bgview kill`` takes what left the job's group or session too, before it returns,
    and the record names it."""
    job = ready(rt, rt.start(scenario.running()).id)
    assert job.pid is not None
    daemon = escaped(scenario, job.pid, strays)
    out = cli("kill", job.id)
    assert out.returncode == 0, out.stderr
    assert daemon.gone(), f"{scenario.escape} process {daemon.pid} outlived bgview kill"
    record = listed(cli, job.id)
    assert (record["status"], record["killed_by"]) == ("killed", "user")
    assert_left_behind(record, daemon)


def test_an_escaped_process_ends_after_the_leader_exits(
    rt: Runtime, cli: RunCli, scenario: Scenario, strays: list[tree.Proc]
) -> None:
    """When the command itself exits, what it left behind gets the short drain and is ended:
    the job is ``exited 0`` soon after, not running on because of a daemon."""
    job = ready(rt, rt.start(scenario.exiting()).id)
    assert job.pid is not None
    daemon = escaped(scenario, job.pid, strays)
    assert not daemon.gone()
    released = time.monotonic()
    scenario.release()
    done, finished = rt.wait(job.id, timeout=EXIT_DRAIN + 5)
    took = time.monotonic() - released
    assert finished, f"the job still runs {took:.1f}s after its leader exited"
    assert took < EXIT_DRAIN + 3
    assert daemon.gone(), f"{scenario.escape} process {daemon.pid} outlived its job"
    record = listed(cli, job.id)
    assert (record["status"], record["exit_code"], record["killed_by"]) == ("exited", 0, None)
    assert_left_behind(record, daemon)
    assert b"leader done" in done.log_path.read_bytes()


def test_an_escaped_process_does_not_survive_a_timeout(
    rt: Runtime, cli: RunCli, scenario: Scenario, strays: list[tree.Proc]
) -> None:
    """``--timeout`` ends the whole job, escaped processes included."""
    out = cli("run", "--timeout", "1.5", scenario.running())
    assert out.returncode == 0, out.stderr
    job = ready(rt, out.stdout.strip())
    assert job.pid is not None
    daemon = escaped(scenario, job.pid, strays)
    done, finished = rt.wait(job.id, timeout=10)
    assert finished and done.status is JobStatus.TIMEOUT
    assert daemon.gone(), f"{scenario.escape} process {daemon.pid} outlived the timeout"
    record = listed(cli, job.id)
    assert (record["status"], record["killed_by"]) == ("timeout", "timeout")
    assert_left_behind(record, daemon)


def test_an_escaped_process_does_not_survive_a_sigkilled_owner_session(
    rt: Runtime, cli: RunCli, project: Path, scenario: Scenario, strays: list[tree.Proc]
) -> None:
    """A session's job ends with the session even when it is SIGKILLed — the job's daemons
    with it."""
    host = subprocess.Popen(
        [
            PY,
            "-c",
            "import sys, time; from bgview import Session\n"
            "s = Session(sys.argv[1]); print(s.start(sys.argv[2]).id, flush=True); time.sleep(60)",
            str(project),
            scenario.running(),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert host.stdout is not None
        job = ready(rt, host.stdout.readline().strip())
        assert job.pid is not None and job.owner_pid == host.pid
        daemon = escaped(scenario, job.pid, strays)
    finally:
        host.kill()
        host.wait()
        if host.stdout is not None:
            host.stdout.close()
    assert rt.wait(job.id, timeout=5)[1], "the job outlived its SIGKILLed session"
    until(daemon.gone, timeout=1, what=f"{scenario.escape} process {daemon.pid} to go")
    record = listed(cli, job.id)
    assert (record["status"], record["killed_by"]) == ("killed", "owner-exit")
    assert_left_behind(record, daemon)


def test_an_escaped_process_does_not_survive_a_sigkilled_supervisor(
    rt: Runtime, cli: RunCli, scenario: Scenario, strays: list[tree.Proc]
) -> None:
    """With its supervisor gone, whoever records the job lost (here ``bgview list``) ends
    what carries the job's mark, wherever it went."""
    job = ready(rt, rt.start(scenario.running()).id)
    assert job.pid is not None and job.supervisor_pid is not None
    daemon = escaped(scenario, job.pid, strays)
    os.kill(job.supervisor_pid, signal.SIGKILL)
    until(
        lambda: listed(cli, job.id)["status"] == "lost",
        timeout=2,
        what="`bgview list` to record the job lost",
    )
    until(daemon.gone, timeout=2, what=f"{scenario.escape} process {daemon.pid} to go")
    assert rt.job(job.id).status is JobStatus.LOST


# ---- the record says what had to be ended --------------------------------------------------


def test_a_job_that_leaves_nothing_behind_lists_nothing(rt: Runtime, cli: RunCli) -> None:
    """``left_behind`` is an empty list for a job that ended with nothing left over."""
    job = rt.start("sleep 0.1")
    assert rt.wait(job.id, timeout=10)[1]
    record = listed(cli, job.id)
    assert (record["status"], record["exit_code"]) == ("exited", 0)
    assert (record["left_behind"], record["left_behind_count"]) == ([], 0)


# ---- zombie anchors -------------------------------------------------------------------------

# The leader forks P; P moves to a group of its own and forks C, which exits at once; P never
# reaps C (it waits for C's exit with WNOWAIT, so C stays a zombie) and sleeps. P reports
# "anchor P C" through a pipe; the leader prints it and blocks on the FIFO in argv[1] (when
# given) before it exits.
ANCHOR = textwrap.dedent(
    """
    import os, sys, time
    r, w = os.pipe()
    if os.fork() == 0:
        os.setpgid(0, 0)
        child = os.fork()
        if child == 0:
            os._exit(0)
        os.waitid(os.P_PID, child, os.WEXITED | os.WNOWAIT)  # exited; left unreaped
        os.write(w, b"anchor %d %d\\n" % (os.getpid(), child))
        time.sleep(300)
        os._exit(0)
    os.close(w)
    line = os.read(r, 100).decode()
    print(line, end="", flush=True)
    if len(sys.argv) > 1:
        open(sys.argv[1]).read()
    print("leader done", flush=True)
    """
)


def _anchor(rt: Runtime, strays: list[tree.Proc], *args: str) -> tuple[Job, tree.Proc, tree.Proc]:
    """Start the zombie-anchor job; the job, and P and C (a zombie) as /proc shows them."""
    job = rt.start([PY, "-c", ANCHOR, *args])
    found, seen = rt.wait(job.id, pattern=r"^anchor \d+ \d+", timeout=10)
    assert seen, f"the anchor never formed: {found.status.value}"
    match = re.search(rb"anchor (\d+) (\d+)", found.log_path.read_bytes())
    assert match is not None
    parent, child = int(match[1]), int(match[2])
    anchor = tree.read_proc(parent)
    assert anchor is not None and anchor.pgid == parent  # a group of its own
    strays.append(anchor)
    zombie = tree.read_proc(child)
    assert zombie is not None and zombie.state == "Z" and zombie.ppid == parent
    return found, anchor, zombie


def test_a_zombie_anchor_does_not_keep_the_job_running(
    rt: Runtime, cli: RunCli, strays: list[tree.Proc]
) -> None:
    """A process in another group holding an unreaped zombie child does not keep the job
    ``running`` after its leader exits: it ends within a few seconds, anchor and zombie gone."""
    job, anchor, zombie = _anchor(rt, strays)
    finished = rt.wait(job.id, timeout=EXIT_DRAIN + 3)
    assert finished, "the zombie anchor kept the job running"
    record = listed(cli, job.id)
    assert (record["status"], record["exit_code"]) == ("exited", 0)
    assert {"pid": anchor.pid, "command": anchor.command} in record["left_behind"]
    assert Daemon(anchor).gone()
    reaped = tree.read_proc(zombie.pid)
    assert reaped is None or reaped.start != zombie.start, "the zombie was never reaped"


# ---- the supervisor sleeps while it waits ---------------------------------------------------


def voluntary_switches(pid: int) -> int:
    """How many times ``pid`` has gone to sleep so far (``/proc/PID/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    raise AssertionError(f"no voluntary_ctxt_switches for {pid}")


def wakeups_in_a_second(pid: int) -> int:
    """Voluntary context switches of ``pid`` over one second (a 10 ms poll makes ~100)."""
    before = voluntary_switches(pid)
    time.sleep(1.0)  # the measuring window itself, not a wait for an event
    return voluntary_switches(pid) - before


def test_the_supervisor_sleeps_while_a_kill_grace_runs(rt: Runtime, cli: RunCli) -> None:
    """While a kill's grace runs for a job that handles SIGTERM, its supervisor waits for the
    grace to end or the job to go — it does not poll."""
    job = ready(
        rt, rt.start("trap 'echo got TERM' TERM; echo ready; sleep 300 & wait $!; sleep 300").id
    )
    supervisor = listed(cli, job.id)["supervisor_pid"]
    assert isinstance(supervisor, int)
    results: list[subprocess.CompletedProcess[str]] = []
    killer = threading.Thread(target=lambda: results.append(cli("kill", "--grace", "5", job.id)))
    killer.start()
    try:
        assert rt.wait(job.id, pattern="^got TERM", timeout=10)[1]
        assert rt.job(job.id).running  # the grace runs
        woke = wakeups_in_a_second(supervisor)
        assert rt.job(job.id).running
    finally:
        rt.kill(job.id, grace=0)  # a second, urgent kill ends the grace at once
        killer.join()
    assert woke < 30, f"the supervisor woke {woke} times in a second of grace"
    assert results and results[0].returncode == 0
    done = rt.job(job.id)
    assert (done.status, done.killed_by) == (JobStatus.KILLED, "user")


def test_the_supervisor_sleeps_while_a_zombie_anchor_lingers(
    rt: Runtime, cli: RunCli, tmp_path: Path, strays: list[tree.Proc]
) -> None:
    """An unreaped zombie in another group does not make the supervisor poll."""
    go = tmp_path / "go"
    os.mkfifo(go)
    job, _, _ = _anchor(rt, strays, str(go))
    supervisor = listed(cli, job.id)["supervisor_pid"]
    assert isinstance(supervisor, int)
    try:
        woke = wakeups_in_a_second(supervisor)
    finally:
        with open(go, "w") as fifo:
            fifo.write("go\n")
    assert woke < 30, f"the supervisor woke {woke} times in a second"
    assert rt.wait(job.id, timeout=EXIT_DRAIN + 3)[1]


# ---- output written after the leader exits --------------------------------------------------


def test_a_child_that_writes_after_the_leader_exits_is_captured(rt: Runtime, cli: RunCli) -> None:
    """``(sleep 0.2; echo late) & echo early``: "late" is in the log, as in a terminal. It
    ended by itself within the drain, so nothing had to be ended."""
    job = rt.start("(sleep 0.2; echo late) & echo early")
    done, finished = rt.wait(job.id, timeout=10)
    assert finished
    assert done.log_path.read_bytes().split() == [b"early", b"late"]
    record = listed(cli, job.id)
    assert (record["status"], record["exit_code"], record["left_behind"]) == ("exited", 0, [])


def test_a_child_that_writes_past_the_drain_keeps_what_it_wrote(
    rt: Runtime, cli: RunCli, tmp_path: Path
) -> None:
    """A child that writes on after the leader exits is ended after the drain, and every
    line it wrote until then is in the log (it notes each line in a side file after writing
    it to the terminal, so the log must hold at least what the side file does)."""
    side = shlex.quote(str(tmp_path / "side"))
    writer = f"i=0; while :; do i=$((i+1)); echo tick $i; echo $i >> {side}; sleep 0.05; done"
    job = rt.start(f"({writer}) & echo early")
    done, finished = rt.wait(job.id, timeout=EXIT_DRAIN + 5)
    assert finished, "a child writing on kept the job running"
    ticks = [int(n) for n in re.findall(rb"^tick (\d+)\r?$", done.log_path.read_bytes(), re.M)]
    noted = [int(n) for n in (tmp_path / "side").read_text().split()]
    assert ticks == list(range(1, len(ticks) + 1)), "lines were lost or reordered"
    assert len(noted) >= 3, f"the child wrote only {len(noted)} lines during the drain"
    assert len(ticks) >= len(noted), "lines it wrote before it was ended are missing"
    record = listed(cli, job.id)
    assert (record["status"], record["exit_code"]) == ("exited", 0)
    assert record["left_behind"], "the writer that had to be ended is not recorded"
    assert done.wall_seconds() < EXIT_DRAIN + 3


# ---- a kill racing the leader's own exit ----------------------------------------------------


def _exited(pid: int, start: int | None) -> bool:
    now = tree.read_proc(pid)
    return now is None or now.start != start or now.state in ("Z", "X")


def test_a_kill_after_the_leader_exited_records_the_exit(
    rt: Runtime, strays: list[tree.Proc]
) -> None:
    """A kill that lands after the command exited 0 by itself (a child still holding on) says
    ``exited 0``, not ``killed``: how it ended does not change. The child is ended at once."""
    for _ in range(8):
        job = rt.start("sleep 5 & echo done")
        running, seen = rt.wait(job.id, pattern="^done", timeout=10)
        assert seen and running.pid is not None
        leader = tree.read_proc(running.pid)
        start = leader.start if leader is not None else None
        until(partial(_exited, running.pid, start), timeout=5, what="the leader to exit")
        killed = rt.kill(job.id, grace=3)
        assert (killed.status, killed.exit_code, killed.signal, killed.killed_by) == (
            JobStatus.EXITED,
            0,
            None,
            None,
        ), killed
        assert killed.wall_seconds() < 3  # the child did not hold it for its 5 s


def test_a_kill_racing_a_quick_exit_never_mixes_the_two(rt: Runtime) -> None:
    """``true`` killed at once, many times: each record is either ``exited 0`` or ``killed``
    by a signal — never ``killed`` with exit code 0."""
    for _ in range(30):
        job = rt.kill(rt.start(["true"]).id, grace=1)
        if job.status is JobStatus.EXITED:
            assert (job.exit_code, job.signal, job.killed_by) == (0, None, None), job
        else:
            assert job.status is JobStatus.KILLED, job
            assert job.exit_code is None and job.signal is not None, job


# ---- a suspended job is resumed ---------------------------------------------------------------


def test_ctrl_z_typed_to_a_job_does_not_leave_it_stopped(rt: Runtime) -> None:
    """Ctrl+Z typed to a job (nobody is there to resume it, as a shell would) does not leave
    it stopped for ever: it reads the next line and finishes."""
    job = ready(rt, rt.start('echo ready; read line; echo "after $line"').id)
    rt.write_stdin(job.id, "\x1a")
    rt.write_stdin(job.id, "go\n")
    done, finished = rt.wait(job.id, timeout=10)
    assert finished, "the job stayed stopped after Ctrl+Z"
    assert (done.status, done.exit_code) == (JobStatus.EXITED, 0)
    assert b"after go" in done.log_path.read_bytes()


# ---- a job started from inside a job --------------------------------------------------------


@pytest.mark.parametrize("first_ends_by", ["exit", "kill"])
def test_a_job_started_inside_a_job_is_a_job_of_its_own(
    rt: Runtime, cli: RunCli, project: Path, first_ends_by: str
) -> None:
    """``bgview run`` from inside a job starts a separate job: the first one ending (by itself
    or killed) neither ends it nor lists it as left behind, and it can be killed on its own."""
    then = "sleep 300" if first_ends_by == "kill" else ""
    first = rt.start(
        f"{shlex.quote(PY)} -m bgview run -- sleep 30; echo launched; {then}", cwd=project
    )
    found, seen = rt.wait(first.id, pattern="^launched", timeout=15)
    assert seen
    match = re.search(rb"^(bash_\d+)\r?$", found.log_path.read_bytes(), re.M)
    assert match is not None, found.log_path.read_bytes()
    second_id = match[1].decode()
    until(lambda: rt.job(second_id).pid, timeout=10, what="the second job's command to start")
    second = rt.job(second_id)
    assert second.pid is not None and second.supervisor_pid is not None
    inner = tree.read_proc(second.pid)
    assert inner is not None and inner.command == "sleep 30"

    if first_ends_by == "kill":
        assert cli("kill", first.id).returncode == 0
    assert rt.wait(first.id, timeout=EXIT_DRAIN + 5)[1]
    record = listed(cli, first.id)
    assert record["status"] == ("killed" if first_ends_by == "kill" else "exited")
    pids = {p["pid"] for p in record["left_behind"]}
    assert second.pid not in pids and second.supervisor_pid not in pids

    assert rt.job(second_id).running
    assert not Daemon(inner).gone(), "the second job's command was ended"
    out = cli("kill", second_id)
    assert out.returncode == 0, out.stderr
    assert listed(cli, second_id)["status"] == "killed"
    assert Daemon(inner).gone()
