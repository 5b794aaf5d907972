"""Finding every process of a job in /proc — whatever group or session it moved to — and
ending them without ever signalling a stranger that inherited a reused PID.

Every test runs real processes. Each scenario runs under a small *reaper*: a child of the
test that is a child subreaper (as a job's supervisor is), so orphans re-parent to it and
their zombies are reaped, never left to a PID 1 that may not reap. Tests synchronise on
events (a process writes its PID to a pipe once it is where the test wants it), not on
sleeps, and every process started is ended when the test is over.
"""

from __future__ import annotations

import errno
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest

from bgview.runtime import tree
from bgview.runtime.proc import start_time
from bgview.runtime.tree import MARK, Proc

PY = sys.executable

REAPER = textwrap.dedent(
    """
    import ctypes, os, select, signal, sys
    # PR_SET_CHILD_SUBREAPER = 36: orphaned descendants re-parent to this process.
    if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
        sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed: errno %d" % ctypes.get_errno())
    os.write(1, b"%d\\n" % os.getpid())
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)
    poller = select.poll()
    poller.register(0, select.POLLIN)
    poller.register(wake_r, select.POLLIN)

    def reap(flags):
        while True:
            try:
                pid, _ = os.waitpid(-1, flags)
            except ChildProcessError:  # ECHILD: nothing left to reap
                return
            if pid == 0:
                return

    while True:
        reap(os.WNOHANG)
        ready = dict(poller.poll())
        if wake_r in ready:
            os.read(wake_r, 512)
        if 0 in ready and not os.read(0, 512):
            break  # the test closed our stdin: it has ended what runs below us
    reap(0)
    """
)
"""``python -c REAPER CMD...``: print its own PID, run CMD (stdin and stdout shared), reap
every child and adopted orphan until stdin reaches EOF, then reap what is left and exit."""


class Reaper:
    """A subreaper child of the test running one scenario; reads the PIDs the scenario
    reports on the shared stdout pipe."""

    def __init__(self, argv: list[str], mark: str | None) -> None:
        env = {k: v for k, v in os.environ.items() if k != MARK}  # the suite may run in a job
        if mark is not None:
            env[MARK] = mark
        self.popen = subprocess.Popen(
            [PY, "-c", REAPER, *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        self.pid = self.popen.pid
        self._buffer = b""
        assert self.line() == self.pid

    def line(self, timeout: float = 10.0) -> int:
        """The next PID written to stdout (by the reaper or a process below it)."""
        assert self.popen.stdout is not None
        fd = self.popen.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "timed out waiting for a PID on the pipe"
            if select.select([fd], [], [], remaining)[0]:
                chunk = os.read(fd, 4096)
                assert chunk, "the scenario ended before writing its PID"
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return int(line)

    def close(self) -> None:
        """End everything below the reaper, then the reaper (which reaps them first)."""
        tree.end_all(tree.descendants(self.pid), grace=0)
        assert self.popen.stdin is not None
        self.popen.stdin.close()
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        assert self.popen.stdout is not None
        self.popen.stdout.close()


@pytest.fixture
def mark() -> Iterator[str]:
    """A mark no other process has; whatever still carries it afterwards is ended."""
    value = f"test-{uuid.uuid4().hex}/job-7"
    yield value
    tree.end_all(tree.marked(value), grace=0)
    tree.end_all(tree.marked(value + "7"), grace=0)


@pytest.fixture
def reapers() -> Iterator[list[Reaper]]:
    """Reapers started by the test; each, and everything below it, is ended afterwards."""
    started: list[Reaper] = []
    yield started
    for reaper in started:
        reaper.close()


def _child(argv: list[str]) -> subprocess.Popen[bytes]:
    """A direct child that reports its PID on stdout once ready."""
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def _ready(child: subprocess.Popen[bytes]) -> int:
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line, "the child ended before it was ready"
    return int(line)


def _end(child: subprocess.Popen[bytes]) -> None:
    child.kill()
    child.wait()
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()


# Each scenario starts a process that leaves the group and/or session it was born in, and
# writes that process's PID on stdout once it has. ``check`` says how it escaped.

# A classic daemon: fork, setsid, fork again; the middle process exits, so the grandchild is
# an orphan in a session of its own. It reports once its parent has exited (a pidfd of the
# parent becomes readable), so by then it has re-parented to the nearest subreaper.
DAEMON = [
    PY,
    "-c",
    textwrap.dedent(
        """
        import os, select
        if os.fork() == 0:
            os.setsid()
            middle = os.getpid()
            if os.fork() == 0:
                try:
                    select.select([os.pidfd_open(middle)], [], [])
                except ProcessLookupError:  # ESRCH: it has exited and been reaped already
                    pass
                os.write(1, b"%d\\n" % os.getpid())
                os.execvp("sleep", ["sleep", "300"])
            os._exit(0)
        os.wait()
        os.execvp("sleep", ["sleep", "300"])
        """
    ),
]
# setsid(1) from a shell: a background job of a shell without job control is no group
# leader, so setsid execs the command itself (no fork): `$$` of the sh it runs is the PID
# that ends up as `sleep`, in its own session.
SETSID = ["bash", "-c", 'setsid sh -c "echo \\$\\$; exec sleep 300" & wait']
# A program that puts itself in a process group of its own, in the same session.
SETPGID = [
    "bash",
    "-c",
    f'{PY} -c \'import os; os.setpgid(0, 0); os.write(1, b"%d\\n" % os.getpid()); '
    'os.execvp("sleep", ["sleep", "300"])\' & wait',
]
# A shell script with job control on: each background job gets its own process group (the
# shell calls setpgid for it before `&` returns, so `$!` is already its group's leader).
JOB_CONTROL = ["bash", "-c", "set -m; sleep 300 & echo $!; wait"]


def _own_session(item: Proc, reaper: Proc) -> bool:
    # Not necessarily its leader: a daemon's second fork is there to make it no leader.
    return item.sid != reaper.sid and item.pgid != reaper.pgid


def _own_group(item: Proc, reaper: Proc) -> bool:
    return item.pgid == item.pid != reaper.pgid and item.sid == reaper.sid


SCENARIOS = {
    "daemon": (DAEMON, _own_session),
    "setsid": (SETSID, _own_session),
    "setpgid": (SETPGID, _own_group),
    "job-control": (JOB_CONTROL, _own_group),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_an_escaped_process_is_found_by_its_mark_and_below_the_subreaper(
    name: str, mark: str, reapers: list[Reaper]
) -> None:
    """Whatever group or session a process moved to, it keeps the mark it inherited and stays
    below the subreaper; the mark finds exactly the job's processes."""
    argv, escaped = SCENARIOS[name]
    ours = Reaper(argv, mark)
    reapers.append(ours)
    # The same scenario with a longer mark (the exact value counts, not a prefix), and with
    # none at all: neither must be taken for our job.
    longer, unmarked = Reaper(argv, mark + "7"), Reaper(argv, None)
    reapers += [longer, unmarked]
    pid, other_pid, unmarked_pid = ours.line(), longer.line(), unmarked.line()

    procs = tree.snapshot()
    assert escaped(procs[pid], procs[ours.pid])  # it did leave the reaper's group/session
    found = {p.pid for p in tree.marked(mark, procs)}
    below = {p.pid for p in tree.descendants(ours.pid, procs)}
    assert pid in found and pid in below
    # The mark finds the reaper and every live process below it, and nothing else (a zombie
    # has no environment left: the daemon's middle process may not be reaped yet).
    assert found == {ours.pid} | {p.pid for p in tree.live(tree.descendants(ours.pid, procs))}
    assert other_pid not in found and unmarked_pid not in found
    assert other_pid in {p.pid for p in tree.marked(mark + "7", procs)}
    assert unmarked_pid not in below and other_pid not in below


def test_the_mark_still_finds_a_daemon_after_its_supervisor_is_gone(
    mark: str, reapers: list[Reaper]
) -> None:
    """The outer reaper stands for the machine's init, the inner for the job's supervisor:
    once the supervisor is killed its tree is gone, yet the mark still finds the daemon."""
    outer = Reaper([PY, "-c", REAPER, *DAEMON], mark)
    reapers.append(outer)
    supervisor = outer.line()
    daemon = outer.line()
    assert daemon in {p.pid for p in tree.descendants(supervisor)}

    gone = os.pidfd_open(supervisor)
    try:
        os.kill(supervisor, signal.SIGKILL)
        # Readable once it has exited, and its orphans re-parent before it becomes a zombie.
        assert select.select([gone], [], [], 10)[0]
    finally:
        os.close(gone)
    procs = tree.snapshot()
    assert supervisor not in {p.pid for p in tree.live(procs.values())}
    assert tree.descendants(supervisor, procs) == []
    assert daemon in {p.pid for p in tree.marked(mark, procs)}
    assert procs[daemon].ppid == outer.pid  # adopted by the nearest subreaper above


def test_descendants_walks_the_whole_tree_not_just_children(reapers: list[Reaper]) -> None:
    """Three generations below the root: all are found, parents first, the root itself not."""
    ours = Reaper(["bash", "-c", "bash -c 'sleep 300 & echo $!; wait' & wait"], None)
    reapers.append(ours)
    grandchild = ours.line()
    procs = tree.snapshot()
    below = [p.pid for p in tree.descendants(ours.pid, procs)]
    middle = procs[grandchild].ppid
    top = procs[middle].ppid
    assert procs[top].ppid == ours.pid
    assert below == [top, middle, grandchild]  # parents before their children
    assert tree.descendants(grandchild, procs) == []


def test_a_zombie_shows_state_z_its_name_in_brackets_and_is_not_live(
    reapers: list[Reaper],
) -> None:
    """A parent that never reaps its exited child leaves a zombie: still in /proc (so below
    its parent), but not live, and nothing for end_all to end. Its command line is gone, so
    its name shows — and that name, full of parentheses and spaces, does not confuse the
    reading of /proc/PID/stat. (Under a reaper, so the zombie is reaped once its parent
    is gone.)"""
    code = textwrap.dedent(
        """
        import os, sys
        pid = os.fork()
        if pid == 0:
            with open("/proc/self/comm", "w") as comm:
                comm.write("odd) (na me")
            os._exit(0)
        # Wait until it has exited, without reaping it (WNOWAIT): now it is a zombie.
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        os.write(1, b"%d\\n" % pid)
        sys.stdin.read()
        """
    )
    ours = Reaper([PY, "-c", code], None)
    reapers.append(ours)
    zombie = ours.line()
    procs = tree.snapshot()
    item = procs[zombie]
    assert item.state == "Z"
    assert item.command == "[odd) (na me]"
    parent = procs[item.ppid]
    assert parent.ppid == ours.pid and item.pgid == parent.pgid and item.sid == parent.sid
    assert item.start == start_time(zombie)
    assert zombie in {p.pid for p in tree.descendants(ours.pid, procs)}
    assert zombie not in {p.pid for p in tree.live(procs.values())}
    assert parent.pid in {p.pid for p in tree.live(procs.values())}
    assert tree.end_all([item], grace=30) == []


def test_snapshot_describes_this_process() -> None:
    me = tree.snapshot()[os.getpid()]
    assert (me.ppid, me.pgid, me.sid) == (os.getppid(), os.getpgrp(), os.getsid(0))
    assert me.state == "R"  # reading its own stat, it is running
    assert me.start == start_time(os.getpid())
    assert tree.read_proc(os.getpid()) is not None


def test_a_command_line_is_one_readable_line_cut_to_length() -> None:
    """NULs between arguments and newlines inside them become spaces; a long one is cut."""
    child = _child(
        [PY, "-c", "import os, sys\nprint(os.getpid(), flush=True)\nsys.stdin.read()", "x" * 500]
    )
    try:
        pid = _ready(child)
        command = tree.snapshot()[pid].command
        assert command.startswith(f"{PY} -c import os, sys print(os.getpid(), flush=True) ")
        assert len(command) == tree.COMMAND_MAX and command.endswith("x…")
    finally:
        _end(child)


def test_a_process_that_vanished_is_not_read() -> None:
    child = _child([PY, "-c", "print(1)"])
    child.wait()
    _end(child)
    assert tree.read_proc(child.pid) is None
    assert child.pid not in tree.snapshot()


def test_signal_all_never_signals_a_process_whose_start_time_differs() -> None:
    """A Proc whose start time is not the process's own stands for a PID reused since the
    snapshot: that process is a stranger and must be left alone."""
    child = _child([PY, "-c", "import os, sys; print(os.getpid(), flush=True); sys.stdin.read()"])
    try:
        pid = _ready(child)
        real = tree.snapshot()[pid]
        stranger = replace(real, start=real.start + 1)
        assert tree.signal_all([stranger], signal.SIGKILL) == []
        assert child.poll() is None and start_time(pid) == real.start  # untouched

        assert tree.signal_all([real], signal.SIGKILL) == [real]
        assert child.wait(timeout=10) == -signal.SIGKILL
        # Gone (reaped): nothing to signal, and no error either.
        assert tree.signal_all([real], signal.SIGKILL) == []
    finally:
        _end(child)


def test_signal_all_leaves_the_calling_process_alone() -> None:
    me = tree.snapshot()[os.getpid()]
    assert tree.signal_all([me], 0) == []  # signal 0 checks only: a bug here costs no test run


IGNORES_TERM = (
    "import os, signal, sys\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print(os.getpid(), flush=True)\n"
    "sys.stdin.read()\n"
)


def test_end_all_kills_what_ignores_sigterm_once_grace_is_over() -> None:
    child = _child([PY, "-c", IGNORES_TERM])
    try:
        item = tree.snapshot()[_ready(child)]
        began = time.monotonic()
        assert tree.end_all([item], grace=0.5) == [item]
        took = time.monotonic() - began
        assert 0.5 <= took < 0.5 + 1.0
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        _end(child)


def test_end_all_does_not_wait_for_grace_when_processes_go_at_once() -> None:
    """Waiting is on pidfds: SIGTERM's effect is seen the moment it happens. A stopped
    process is sent SIGCONT too, so it can act on the SIGTERM. An exited process counts as
    gone although it stays a zombie until its parent (this test) reaps it."""
    code = "import os, sys; print(os.getpid(), flush=True); sys.stdin.read()"
    running, stopped = _child([PY, "-c", code]), _child([PY, "-c", code])
    try:
        first, second = _ready(running), _ready(stopped)
        os.kill(second, signal.SIGSTOP)
        os.waitid(os.P_PID, second, os.WSTOPPED | os.WNOWAIT)  # now it is stopped
        procs = tree.snapshot()
        assert procs[second].state == "T"
        began = time.monotonic()
        ended = tree.end_all([procs[first], procs[second]], grace=30)
        assert time.monotonic() - began < 5
        assert {p.pid for p in ended} == {first, second}
        after = tree.snapshot()
        assert after[first].state == after[second].state == "Z"  # not reaped yet
        assert running.wait(timeout=10) == -signal.SIGTERM
        assert stopped.wait(timeout=10) == -signal.SIGTERM
    finally:
        _end(running)
        _end(stopped)


def test_without_pidfds_processes_are_still_ended_and_strangers_spared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where pidfd_open fails (ENOSYS on old kernels or in a sandbox, EMFILE when out of
    descriptors), signals go by PID after the start-time check, and /proc is polled."""

    def unavailable(pid: int, flags: int = 0) -> int:
        raise OSError(errno.ENOSYS, "pidfd_open unavailable")

    monkeypatch.setattr(os, "pidfd_open", unavailable)
    child = _child([PY, "-c", IGNORES_TERM])
    try:
        item = tree.snapshot()[_ready(child)]
        assert tree.signal_all([replace(item, start=item.start + 1)], signal.SIGKILL) == []
        began = time.monotonic()
        assert tree.end_all([item], grace=0.3) == [item]
        assert 0.3 <= time.monotonic() - began < 0.3 + 1.0
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        _end(child)
