"""A running job's files tampered with, its supervisor killed or stopped at a bad moment, its
control channel fed garbage: the job stays supervised, its record true, its log readable.

Everything is caused for real against real supervisors: directories renamed and replaced under
a running job, ``output.log`` swapped for a FIFO, a directory or a device node, SIGKILL in the
middle of the size cap's trim, raw lines written to the ``control`` FIFO, SIGSTOP.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import re
import signal
import stat
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from bgview.runtime import JobStatus, Runtime
from bgview.runtime.logstate import read_state
from bgview.runtime.supervisor import TIMEOUT_GRACE
from tests.conftest import RunCli
from tests.support import live_members, until

PY = sys.executable


def files_below(path: Path) -> list[str]:
    """Every file (not directory) below ``path``, relative to it."""
    return sorted(
        os.path.relpath(os.path.join(root, name), path)
        for root, _dirs, names in os.walk(path)
        for name in names
    )


def supervisor_log(job_dir: Path) -> str:
    return (job_dir / "supervisor.log").read_text(errors="replace")


# ---- a job directory swapped under its supervisor ------------------------------------------


@pytest.mark.parametrize("swapped", ["its job directory", "its project directory"])
def test_a_running_supervisor_writes_only_where_it_holds(
    rt: Runtime, tmp_path: Path, swapped: str
) -> None:
    """While the job runs, its directory (or its project's) is renamed away and a fresh one
    with the same name put in its place. The supervisor never looks its path up again: the
    output after the swap, the final record and the notice all go to the real directory,
    and nothing at all appears in the planted one."""
    flag = tmp_path / "go"
    job = rt.start(
        f"echo ready; while [ ! -e {flag} ]; do sleep 0.01; done; echo after the swap; exit 3"
    )
    rt.wait(job.id, timeout=10, pattern="ready")
    project_dir = job.dir.parent.parent
    target = job.dir if swapped == "its job directory" else project_dir
    away = target.with_name(target.name + ".away")
    os.rename(target, away)
    os.mkdir(target, 0o700)
    planted_job = target
    if target == project_dir:
        os.mkdir(target / "jobs", 0o700)
        planted_job = target / "jobs" / job.id
        os.mkdir(planted_job, 0o700)
    real_job = away if target == job.dir else away / "jobs" / job.id
    real_project = project_dir if target == job.dir else away

    flag.touch()
    until(lambda: (real_job / "result.json").exists(), timeout=10, what="the final record")
    final = json.loads((real_job / "result.json").read_text())
    assert (final["result"]["status"], final["result"]["exit_code"]) == ("exited", 3)
    assert b"after the swap" in (real_job / "output.log").read_bytes()
    assert job.id in (real_project / "notices.log").read_text().split()
    assert files_below(target) == []
    assert os.listdir(planted_job) == []


# ---- output.log replaced by something that is not a file ----------------------------------

# Numbered lines, then quiet until the flag file exists (so nothing replaces what was planted
# while the readers look at it), then numbered lines again, forever.
TIMED = 8
"""The timed job's ``--timeout``, counted from when it was asked for: long enough that it
still runs when its log is replaced on a loaded machine. It need not outlive the readers:
the other job's fresh log is the one read on."""

TALKER = """
import os, sys, time
flag, n = sys.argv[1], 0
def say():
    global n
    print(f"line {n}", flush=True)
    n += 1
for _ in range(5):
    say()
print("ready", flush=True)
while not os.path.exists(flag):
    time.sleep(0.01)
while True:
    say()
    time.sleep(0.01)
"""


def _fifo(log: Path, held: list[int]) -> None:
    os.mkfifo(log, 0o600)


def _fifo_with_reader(log: Path, held: list[int]) -> None:
    os.mkfifo(log, 0o600)
    held.append(os.open(log, os.O_RDONLY | os.O_NONBLOCK))


def _directory(log: Path, held: list[int]) -> None:
    os.mkdir(log, 0o700)
    (log / "inside").write_text("a directory where the log was\n")


def _dev_null(log: Path, held: list[int]) -> None:
    os.mknod(log, 0o600 | stat.S_IFCHR, os.makedev(1, 3))


def _terminal(log: Path, held: list[int]) -> None:
    # A pty's slave device node outside devpts: opening it fails (EIO), unlike /dev/null.
    master, slave = os.openpty()
    rdev = os.fstat(slave).st_rdev
    os.close(master)
    os.close(slave)
    os.mknod(log, 0o600 | stat.S_IFCHR, rdev)


def _symlink_to_dev_zero(log: Path, held: list[int]) -> None:
    os.symlink("/dev/zero", log)


PLANTS: dict[str, Callable[[Path, list[int]], None]] = {
    "a FIFO": _fifo,
    "a FIFO someone reads": _fifo_with_reader,
    "a directory": _directory,
    "/dev/null by mknod": _dev_null,
    "a terminal device by mknod": _terminal,
    "a symlink to /dev/zero": _symlink_to_dev_zero,
}


@pytest.fixture
def held() -> Iterator[list[int]]:
    """Descriptors a test holds open (a FIFO's reader); closed afterwards."""
    fds: list[int] = []
    yield fds
    for fd in fds:
        os.close(fd)


def _fresh_log(log: Path) -> bool:
    """``output.log`` is a regular file again, with lines written after the flag in it (not
    yet, in the moment between the supervisor moving the intruder aside and making it)."""
    try:
        return stat.S_ISREG(os.lstat(log).st_mode) and b"line " in log.read_bytes()
    except FileNotFoundError:
        return False


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^line (\d+)$", text, re.M)]


@pytest.mark.parametrize("kind", list(PLANTS))
def test_a_log_replaced_by_what_is_not_a_file_blocks_nothing(
    rt: Runtime, cli: RunCli, tmp_path: Path, held: list[int], kind: str
) -> None:
    """Two running jobs have their ``output.log`` replaced by a FIFO, a directory or a device.
    Readers (``bgview output``, ``--peek``, ``list``) answer at once, without blocking; the
    supervisor writes the new output to a fresh ``output.log`` that readers carry on with; the
    job with a ``--timeout`` times out on time and ``bgview kill`` ends the other as asked."""
    flag = tmp_path / "go"
    timed = rt.start([PY, "-c", TALKER, str(flag)], timeout=TIMED)
    killed = rt.start([PY, "-c", TALKER, str(flag)])
    for job in (timed, killed):
        rt.wait(job.id, timeout=10, pattern="ready")
    assert _numbers(cli("output", killed.id).stdout) == [0, 1, 2, 3, 4]
    for job in (timed, killed):
        os.unlink(job.log_path)
        PLANTS[kind](job.log_path, held)
    assert rt.job(timed.id).running  # its timeout comes while its log is not a file

    for command in (["output", killed.id], ["output", killed.id, "--peek"], ["list", "--json"]):
        result = cli(*command, timeout=10)  # a blocked reader fails here
        assert "Traceback" not in result.stderr, result.stderr
        if kind.startswith("a symlink") and command[0] == "output":
            # Refused, not followed: one line, exit 2.
            assert result.returncode == 2 and "symbolic link" in result.stderr, result.stderr
            assert len(result.stderr.splitlines()) == 1, result.stderr
        else:  # nothing new to show, but nothing wrong either
            assert (result.returncode, result.stderr) == (0, ""), result.stderr
            assert "line" not in result.stdout or command[1] == "--json"
    assert rt.job(killed.id).running

    flag.touch()
    until(partial(_fresh_log, killed.log_path), timeout=5, what="a fresh log")
    new = until(lambda: _numbers(cli("output", killed.id).stdout), timeout=5, what="new lines")
    assert min(new) >= 5 and new == list(range(new[0], new[0] + len(new)))
    assert b"line" in rt.peek(killed.id).data
    assert [j["id"] for j in json.loads(cli("list", "--json").stdout)] == [timed.id, killed.id]

    asked = time.monotonic()
    ended = cli("kill", killed.id, "--grace", "1")
    assert ended.returncode == 0, ended.stderr
    assert time.monotonic() - asked < 5
    done = rt.job(killed.id)
    assert (done.status, done.killed_by, done.reason) == (JobStatus.KILLED, "user", None)

    timed_out, finished = rt.wait(timed.id, timeout=TIMED + 5)
    assert finished and timed_out.status is JobStatus.TIMEOUT
    assert timed_out.ended_at is not None
    # It ends once SIGTERM is heeded: within the timeout's grace, never sooner than asked.
    assert TIMED <= timed_out.ended_at - timed_out.started_at < TIMED + TIMEOUT_GRACE
    for job in (timed, killed):
        assert "Traceback" not in supervisor_log(job.dir)


# ---- a FIFO where the project's notices.log should be --------------------------------------


def _fifo_for_notices(rt: Runtime) -> tuple[str, int]:
    """A running job, then a FIFO nobody reads put in place of the project's ``notices.log``
    (where a supervisor appends its job's id when the job ends)."""
    job = rt.start("echo ready; sleep 600")
    running, _ = rt.wait(job.id, timeout=10, pattern="ready")
    assert running.pid is not None
    notices = rt.project.dir / "notices.log"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(notices)
    os.mkfifo(notices, 0o600)
    return job.id, running.pid


def test_a_fifo_in_place_of_notices_log_hangs_nothing(rt: Runtime, cli: RunCli) -> None:
    """Opening a FIFO for writing waits for a reader: a supervisor recording its job's end,
    or a ``bgview kill`` taking over, would hang there for good. With a FIFO in place of
    ``notices.log``: ``bgview list`` answers, ``bgview kill`` returns in time with the job
    ended and its processes gone, and a ``bgview run`` answers too (a job or one line)."""
    job_id, pid = _fifo_for_notices(rt)
    assert cli("list", timeout=10).returncode == 0
    asked = time.monotonic()
    ended = cli("kill", job_id, "--grace", "1", timeout=10)
    assert ended.returncode == 0, ended.stderr
    assert time.monotonic() - asked < 4
    assert rt.job(job_id).status.ended
    assert live_members(pid) == []
    started = cli("run", "echo after", timeout=10)
    if started.returncode == 0:
        assert cli("wait", started.stdout.strip(), "--timeout", "5", timeout=10).returncode == 0
    else:
        assert started.returncode == 2 and len(started.stderr.splitlines()) == 1


def test_a_fifo_in_place_of_notices_log_leaves_the_record_true(rt: Runtime) -> None:
    """With a FIFO in place of ``notices.log``, a job killed by the user is recorded as
    killed by the user, not lost."""
    job_id, _pid = _fifo_for_notices(rt)
    done = rt.kill(job_id, grace=1)
    assert (done.status, done.killed_by) == (JobStatus.KILLED, "user")


# ---- SIGKILL in the middle of a trim --------------------------------------------------------

LINE = 61
# Fixed-width numbered lines as fast as Python writes them: line n starts at byte n * LINE.
FIREHOSE = f"""
import sys
out = sys.stdout.buffer
pad = b"x" * {LINE - 11}
n = 0
while True:
    out.write(b"%09d %s\\n" % (n, pad))
    n += 1
"""
LINE_RE = re.compile(rb"(\d{9}) x{50}\n")


def _check_lines(data: bytes, offset: int, what: str) -> int:
    """Every whole line in ``data`` (logical offset ``offset``) is the one numbered for its
    offset, and they follow each other: none duplicated, none missing. Returns how many."""
    first = 0 if offset % LINE == 0 else data.find(b"\n") + 1
    count = 0
    for match in LINE_RE.finditer(data, first):
        if match.start() != first + count * LINE:
            break  # a cut last line, then nothing: checked below
        number = int(match.group(1))
        assert number * LINE == offset + match.start(), (what, number, offset + match.start())
        count += 1
    rest = data[first + count * LINE :]
    assert len(rest) < LINE and b"\n" not in rest, (what, rest[:100])  # a last line, cut
    return count


def test_a_supervisor_sigkilled_mid_trim_leaves_a_log_readers_read_right(rt: Runtime) -> None:
    """25 jobs each write numbered lines as fast as they can under a 64K cap, so the log is
    trimmed every few milliseconds; each one's supervisor is SIGKILLed at a random moment.
    Afterwards every log reads (``read``, ``peek``) without error, every line kept sits at
    the offset its number says, none duplicated or missing, and a read from the start says
    exactly how much the cap dropped."""
    rng = random.Random(1234)
    for attempt in range(25):
        _kill_mid_trim(rt, rng.uniform(0, 0.1), f"job {attempt + 1}")


def _kill_mid_trim(rt: Runtime, delay: float, what: str) -> None:
    """One job of the test above: started, its supervisor SIGKILLed ``delay`` seconds after
    the first trim, its log read back and checked."""
    job = rt.start([PY, "-c", FIREHOSE], max_log=64 * 1024)
    what = f"{what} ({job.id})"
    until(lambda: read_state(job.dir)[0] >= 1, timeout=10, what="a first trim")
    time.sleep(delay)  # the random moment itself, not a wait for an event
    supervisor = rt.job(job.id).supervisor_pid
    assert supervisor is not None
    os.kill(supervisor, signal.SIGKILL)
    until(lambda: rt.job(job.id).status.ended, timeout=5, what="the job lost")
    assert rt.job(job.id).status is JobStatus.LOST

    texts, skipped = [], None
    while True:
        out = rt.read(job.id)
        if skipped is None:
            skipped = out.skipped
        texts.append(out.text)
        if not out.more:
            break
    assert skipped % LINE == 0, (what, skipped)  # the cap cuts at a line's start
    assert _check_lines("".join(texts).encode(), skipped, what) > 100

    tail = rt.peek(job.id, tail=20_000)
    assert tail.end - tail.start == len(tail.data) and tail.start >= tail.dropped
    _check_lines(tail.data, tail.start, what)
    whole = rt.peek(job.id, offset=0, tail=1 << 20)
    assert whole.start == whole.dropped == skipped
    assert _check_lines(whole.data, whole.start, what) > 100


# ---- garbage on the control channel -----------------------------------------------------------

GARBAGE = [
    b'{"op":"kill","grace":"soon"}',
    b'{"op":"kill","grace":null}',
    b'{"op":"kill","grace":1e400}',
    b'{"op":"kill","grace":NaN}',
    b'{"op":"kill","grace":-1}',
    b'{"op":"resize","columns":-1}',
    b'{"op":"resize","columns":80,"rows":true}',
    b'{"op":"kill","by":"nobody"}',
    b'{"op":"kill","by":["user"]}',
    b'{"op":"explode"}',
    b'["op","kill"]',
    b"not json at all",
    b"\xff\xfe\x00 binary",
    b"[" * 3_000,
    b"[" * 50_000,
]


def _write_control(job_dir: Path, data: bytes) -> None:
    """Raw bytes into the job's ``control`` FIFO, as anyone able to open it could write."""
    fd = os.open(job_dir / "control", os.O_WRONLY)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _unread(job_dir: Path) -> int:
    """Bytes in the ``control`` FIFO that the supervisor has not read yet."""
    fd = os.open(job_dir / "control", os.O_RDONLY | os.O_NONBLOCK)
    try:
        raw = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    finally:
        os.close(fd)
    return int.from_bytes(raw, sys.byteorder)


def test_garbage_on_the_control_channel_is_refused_and_logged(rt: Runtime, cli: RunCli) -> None:
    """Each malformed request (a grace of "soon", null, 1e400 or NaN, a negative size, an
    unknown ``by`` or op, not JSON, binary, JSON nested past any parser's depth) is written
    raw to the ``control`` FIFO: each is named in ``supervisor.log`` as refused, the job keeps
    running and nothing is killed. A real ``bgview kill`` afterwards is carried out by the
    supervisor as asked."""
    job = rt.start("echo ready; sleep 600")
    running, _ = rt.wait(job.id, timeout=10, pattern="ready")
    assert running.pid is not None
    for count, line in enumerate(GARBAGE, 1):
        _write_control(job.dir, line + b"\n")
        _until_refused(job.dir, line, count)
        assert rt.job(job.id).running, line
    assert live_members(running.pid)
    _kill_as_asked(rt, cli, job.id, running.pid)


def _until_refused(job_dir: Path, line: bytes, count: int) -> None:
    """Wait for the ``count``-th refusal in ``supervisor.log``; it names ``line`` by its
    start, escaped as the log shows it."""
    refusals: list[str] = []

    def logged() -> bool:
        refusals[:] = [r for r in supervisor_log(job_dir).splitlines() if "ignored a control" in r]
        return len(refusals) >= count

    until(logged, timeout=5, what=f"refusal {count} in supervisor.log")
    assert len(refusals) == count
    assert repr(line[:40])[2:-1] in refusals[-1], (line[:40], refusals[-1])


def _kill_as_asked(rt: Runtime, cli: RunCli, job_id: str, pid: int) -> None:
    """``bgview kill`` ends the job through its supervisor, promptly, as the user asked."""
    asked = time.monotonic()
    ended = cli("kill", job_id, "--grace", "1")
    assert ended.returncode == 0, ended.stderr
    assert time.monotonic() - asked < 4
    done = rt.job(job_id)
    # By the supervisor (a take-over would say it did not answer), as the user asked.
    assert (done.status, done.killed_by, done.reason) == (JobStatus.KILLED, "user", None)
    assert "Traceback" not in supervisor_log(done.dir)
    assert live_members(pid) == []


@pytest.mark.parametrize("size", [30, 1 << 20])
def test_a_request_cut_short_does_not_swallow_the_next(rt: Runtime, cli: RunCli, size: int) -> None:
    """Bytes with no newline after them — the start of a request whose writer died, or 1 MB
    of garbage — are left in the ``control`` FIFO. The job runs on, and the next real
    ``bgview kill`` is not glued onto them: the supervisor carries it out as asked."""
    job = rt.start("echo ready; sleep 600")
    running, _ = rt.wait(job.id, timeout=10, pattern="ready")
    assert running.pid is not None
    _write_control(job.dir, (b'{"op":"kill","by":"agent","grace":' + b"9" * size)[:size])
    until(lambda: _unread(job.dir) == 0, timeout=5, what="the supervisor to read it")
    assert rt.job(job.id).running
    _kill_as_asked(rt, cli, job.id, running.pid)


def test_a_megabyte_without_a_newline_is_logged(rt: Runtime) -> None:
    """1 MB with no newline on the ``control`` FIFO is refused, and ``supervisor.log`` says
    so as soon as it is dropped (not only once a newline comes)."""
    job = rt.start("echo ready; sleep 600")
    rt.wait(job.id, timeout=10, pattern="ready")
    _write_control(job.dir, b"x" * (1 << 20))
    until(lambda: _unread(job.dir) == 0, timeout=5, what="the supervisor to read it")
    assert rt.job(job.id).running
    until(lambda: "ignored" in supervisor_log(job.dir), timeout=2, what="a line in the log")


# ---- a stopped supervisor ---------------------------------------------------------------------

STUBBORN = 'trap "" TERM; echo ready; while true; do sleep 0.05; done'


def _stopped(cli: RunCli, job_id: str) -> bool | None:
    for record in json.loads(cli("list", "--json").stdout):
        if record["id"] == job_id:
            return bool(record["supervisor_stopped"])
    return None


@pytest.mark.parametrize("command", ["sleep 600", STUBBORN])
def test_a_stopped_supervisor_still_ends_its_job_in_time(
    rt: Runtime, cli: RunCli, command: str
) -> None:
    """The supervisor is SIGSTOPped: ``bgview list --json`` says ``supervisor_stopped:
    true`` while it is, and ``bgview kill --grace 1`` still ends the job — one that obeys
    SIGTERM and one that ignores it — within the grace plus a second (and Python's start)."""
    job = rt.start(command)
    if "ready" in command:
        rt.wait(job.id, timeout=10, pattern="ready")  # its trap is set
    until(lambda: rt.job(job.id).pid is not None, timeout=5, what="the job's pid")
    running = rt.job(job.id)
    assert running.supervisor_pid is not None and running.pid is not None
    assert _stopped(cli, job.id) is False
    os.kill(running.supervisor_pid, signal.SIGSTOP)
    try:
        until(lambda: _stopped(cli, job.id), timeout=5, what="list to say it is stopped")
        asked = time.monotonic()
        ended = cli("kill", job.id, "--grace", "1")
        took = time.monotonic() - asked
    finally:
        os.kill(running.supervisor_pid, signal.SIGCONT)
    assert ended.returncode == 0, ended.stderr
    assert took < 1 + 1 + 1.5, took
    done = rt.job(job.id)
    assert done.status is JobStatus.KILLED and done.killed_by == "user"
    assert live_members(running.pid) == []


def test_a_supervisor_kept_stopped_is_taken_over_in_time(rt: Runtime) -> None:
    """Someone keeps stopping the supervisor again as soon as it is woken: the kill does not
    wait for it. Within the grace plus a second the job's processes are ended without it and
    the job is recorded killed; once let go, the supervisor exits by itself."""
    job = rt.start(STUBBORN)
    running, _ = rt.wait(job.id, timeout=10, pattern="ready")
    supervisor, pid = running.supervisor_pid, running.pid
    assert supervisor is not None and pid is not None
    letting_go = threading.Event()

    def keep_stopping() -> None:
        while not letting_go.is_set():
            with contextlib.suppress(ProcessLookupError):
                os.kill(supervisor, signal.SIGSTOP)
            letting_go.wait(0.001)

    stopper = threading.Thread(target=keep_stopping)
    stopper.start()
    try:
        until(lambda: rt.job(job.id).supervisor_stopped, timeout=5, what="a stopped supervisor")
        asked = time.monotonic()
        done = rt.kill(job.id, grace=1)
        took = time.monotonic() - asked
    finally:
        letting_go.set()
        stopper.join()
        with contextlib.suppress(ProcessLookupError):
            os.kill(supervisor, signal.SIGCONT)
    assert took < 1 + 1 + 0.5, took
    assert done.status is JobStatus.KILLED and done.killed_by == "user"
    assert live_members(pid) == []
    until(lambda: not Path(f"/proc/{supervisor}").exists() or _zombie(supervisor), timeout=10)


def _zombie(pid: int) -> bool:
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True
    return raw[raw.rfind(b")") + 2 :].split()[0] == b"Z"
