"""A full disk, for real: a small tmpfs is the store (``BGVIEW_HOME``), jobs' logs included.

What a user relies on when the disk fills under running jobs: reading needs no free space
(``list``, ``output`` with its cursor, ``--peek``, ``kill``, ``notices``, the viewer); a job
still ends with its true status and its notice, because the room for its final record and
its notice line was set aside for it alone when it started; ``bgview run`` either starts a
job that is supervised or refuses in one line with exit status 1, leaving nothing behind; and
once the disk is freed nothing was lost or corrupted.

The disk is filled two ways: a static filler file (the disk stays exactly as full as it was
left, to the page), or a *hog*, another process that keeps writing and takes every page the
moment it is freed, as a real build or log filling the same disk would.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bgview.runtime import Job, JobStatus, Runtime
from bgview.runtime.record import JobFiles
from bgview.runtime.store import all_projects
from bgview.runtime.tree import live, marked
from bgview.ui import make_app
from tests.conftest import RunCli
from tests.hardening.conftest import craft_job
from tests.support import live_members, until
from tests.ui.helpers import SIZE, log_view, rows, toasts, visible_lines
from tests.ui.helpers import until as pilot_until

PAGE = 4096
DISK_SIZE = "2m"

# Prints 20 lines, then 20 more each time it is given a line on its input (the pty's echo
# is turned off, so what is typed does not show up in the output).
GATED = (
    "stty -echo; for i in $(seq 1 20); do echo line $i; done; read go; "
    "for i in $(seq 21 40); do echo line $i; done; read go; "
    "for i in $(seq 41 60); do echo line $i; done; exec sleep 1000"
)
SLEEPER = "echo ready; exec sleep 1000"

# Keeps the disk full: writes until there is no room, then keeps trying, so that any page
# freed by anyone is taken at once. Prints "full" the first time the disk refuses it.
HOG = """
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
block, told = bytes(65536), False
while True:
    try:
        os.write(fd, block if not told else b"x")
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        if not told:
            print("full", flush=True)
            told = True
"""


class Disk:
    """A real tmpfs mounted for one test, which the test fills and frees."""

    def __init__(self, mount: Path) -> None:
        self.mount = mount
        self.home = mount / "home"
        self.filler = mount / "filler"
        self.hog_file = mount / "hog"
        self.hog: subprocess.Popen[str] | None = None

    def free_pages(self) -> int:
        return os.statvfs(self.mount).f_bavail

    def fill(self, leave: int = 0) -> None:
        """Take every free page with a filler file, then give back exactly ``leave`` pages."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            block = bytes(1 << 20)
            while True:
                try:
                    os.write(fd, block)  # short once nearly full; ENOSPC when full
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
            held = os.fstat(fd).st_blocks * 512 // PAGE
            if leave:
                os.ftruncate(fd, max(0, held - leave) * PAGE)
        finally:
            os.close(fd)
        assert self.free_pages() == leave

    def hold_full(self) -> None:
        """Start the hog and return once the disk is full."""
        assert self.hog is None
        self.hog = subprocess.Popen(
            [sys.executable, "-c", HOG, str(self.hog_file)], stdout=subprocess.PIPE, text=True
        )
        assert self.hog.stdout is not None
        assert self.hog.stdout.readline() == "full\n"
        assert self.free_pages() == 0

    def free(self) -> None:
        """Stop the hog and delete what filled the disk."""
        if self.hog is not None:
            self.hog.kill()
            self.hog.wait()
            assert self.hog.stdout is not None
            self.hog.stdout.close()
            self.hog = None
        for path in (self.filler, self.hog_file):
            path.unlink(missing_ok=True)


def _unmount(mount: Path) -> None:
    """Unmount; the last supervisors may still be closing their directories for a moment."""
    deadline = time.monotonic() + 5
    while subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
        if time.monotonic() > deadline:
            subprocess.run(["umount", "-l", str(mount)], check=False)
            raise AssertionError(f"{mount} was still busy after every job was killed")
        time.sleep(0.05)


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    """A real tmpfs as ``BGVIEW_HOME`` (needs root); afterwards it is freed, every job still
    running in it is killed, and it is unmounted."""
    if os.geteuid() != 0:
        pytest.fail("filling a disk for real needs a tmpfs mount, which needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0700", "tmpfs", str(mount)],
        check=True,
    )
    monkeypatch.setenv("BGVIEW_HOME", str(mount / "home"))
    for var in ("BGVIEW_PROJECT", "BGVIEW_OWNER_PID", "BGVIEW_DISABLE_BACKGROUND_TASKS"):
        monkeypatch.delenv(var, raising=False)
    state = Disk(mount)
    try:
        yield state
    finally:
        state.free()
        for project in all_projects(state.home):
            rt = Runtime(project.path, home=state.home)
            for job in rt.jobs():
                if job.running:
                    rt.kill(job.id, grace=0)
        _unmount(mount)


@pytest.fixture
def rt(disk: Disk, project: Path) -> Runtime:
    return Runtime(project, home=disk.home)


@pytest.fixture
def cli(disk: Disk, project: Path) -> RunCli:
    """The real ``bgview`` command, in the project directory, on the small disk."""

    def run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bgview", *args],
            cwd=project,
            env={**os.environ, "BGVIEW_HOME": str(disk.home)},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """The command's stdout, once it is known to have worked: exit 0, nothing on stderr."""
    assert (result.returncode, result.stderr) == (0, ""), result
    return result.stdout


def numbers(text: str) -> list[int]:
    """The numbers of the ``line N`` lines in a read, in order."""
    return [int(n) for n in re.findall(r"^line (\d+)$", text, re.MULTILINE)]


def cursor_of(rt: Runtime, job_id: str, consumer: str = "agent") -> int | None:
    """The offset a consumer's cursor file holds (``None`` if it holds none)."""
    raw = (rt.project.jobs_dir / job_id / JobFiles.CURSORS / consumer).read_bytes().strip()
    return int(raw) if raw.isdigit() else None


def log_size(rt: Runtime, job_id: str) -> int:
    return os.stat(rt.project.jobs_dir / job_id / JobFiles.LOG).st_size


def notice_ids(output: str) -> list[str]:
    """The job ids of the notices ``bgview notices`` printed, in order."""
    return re.findall(r"^\[bg:(bash_\d+) ", output, re.MULTILINE)


def settled(rt: Runtime, job_id: str, what: str) -> Job:
    """The job once its record names its command's pid, or once it has ended."""

    def look() -> Job | None:
        job = rt.job(job_id)
        return job if job.pid is not None or job.status.ended else None

    job = until(look, timeout=10, what=what)
    assert job is not None
    return job


def store_paths(disk: Disk) -> set[str]:
    """Every path in the store."""
    found = set()
    for root, dirs, files in os.walk(disk.home):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(root, name), disk.home))
    return found


def test_reading_needs_no_free_space(disk: Disk, rt: Runtime, cli: RunCli) -> None:
    """On a disk kept full by another writer, ``list``, ``output`` (new lines, the cursor kept
    exact), ``output --peek`` and ``notices`` answer as usual, exit 0, no traceback; a reader
    whose cursor cannot be written at all still gets its output. Once the disk is freed the
    cursor goes on from where it was: nothing repeated, nothing skipped."""
    job_id = ok(cli("run", GATED)).strip()
    rt.wait(job_id, timeout=10, pattern="^line 20$")
    assert numbers(ok(cli("output", job_id))) == list(range(1, 21))
    assert ok(cli("notices")) == ""  # the agent's place in the notices is recorded
    rt.write_stdin(job_id, "go\n")
    rt.wait(job_id, timeout=10, pattern="^line 40$")

    disk.hold_full()
    listed = json.loads(ok(cli("list", "--json")))
    assert [(j["id"], j["status"]) for j in listed] == [(job_id, "running")]
    assert job_id in ok(cli("list"))
    assert numbers(ok(cli("output", job_id))) == list(range(21, 41))
    assert cursor_of(rt, job_id) == log_size(rt, job_id)  # written in place, exact
    assert ok(cli("output", job_id)) == ""  # nothing new, nothing again
    assert numbers(ok(cli("output", job_id, "--peek")))[-1] == 40
    # A consumer never seen before has no cursor file, and no room for one: it reads anyway.
    assert numbers(ok(cli("output", job_id, "--consumer", "newcomer"))) == list(range(1, 41))
    again = numbers(ok(cli("output", job_id, "--consumer", "newcomer")))
    assert again in ([], list(range(1, 41)))  # a repeat at worst, never a skip
    # No job has ended (a notice that the job waits at its `read` may come: it does wait).
    assert ends(ok(cli("notices"))) == []
    assert ends(ok(cli("notices", "--consumer", "newcomer"))) == []

    disk.free()
    rt.write_stdin(job_id, "go\n")
    rt.wait(job_id, timeout=10, pattern="^line 60$")
    assert numbers(ok(cli("output", job_id))) == list(range(41, 61))
    assert cursor_of(rt, job_id) == log_size(rt, job_id)
    later = numbers(ok(cli("output", job_id, "--consumer", "newcomer")))
    assert later in (list(range(1, 61)), list(range(41, 61)))
    ok(cli("kill", job_id))
    assert notice_ids("".join(ends(ok(cli("notices"))))) == [job_id]
    assert notice_ids("".join(ends(ok(cli("notices", "--consumer", "newcomer"))))) == [job_id]
    assert ends(ok(cli("notices"))) == []


def ends(notices: str) -> list[str]:
    """The notices of jobs' ends (leaving out that a job is waiting for input)."""
    return [line + "\n" for line in notices.splitlines() if " waiting for input: " not in line]


def test_cursors_survive_many_reads_on_a_full_disk(disk: Disk, rt: Runtime, cli: RunCli) -> None:
    """Read after read on a disk kept full, each ``bgview output`` goes on exactly where the
    last one stopped (a read gives at most 30,000 characters): a cursor is never emptied,
    which would give the whole log again, nor left holding garbage."""
    job_id = ok(cli("run", "seq -f 'line %g' 1 30000; exec sleep 1000")).strip()
    rt.wait(job_id, timeout=20, pattern="^line 30000$")
    last = numbers(ok(cli("output", job_id)))[-1]
    disk.hold_full()
    reads = 0
    while got := numbers(ok(cli("output", job_id))):
        assert got == list(range(last + 1, got[-1] + 1)), f"read {reads} did not go on"
        last, reads = got[-1], reads + 1
    assert last == 30000 and reads >= 5
    assert cursor_of(rt, job_id) == log_size(rt, job_id)


async def test_the_viewer_works_on_a_full_disk(disk: Disk, rt: Runtime, project: Path) -> None:
    """With the disk kept full, the viewer lists the jobs, shows the log, and k kills the
    highlighted job, which turns killed with its toast."""
    job = rt.start("for i in $(seq 1 30); do echo line $i; done; exec sleep 1000")
    rt.wait(job.id, timeout=10, pattern="^line 30$")
    disk.hold_full()
    app = make_app(project, home=disk.home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot_until(pilot, lambda: rows(app) == [(job.id, "running")], what="the row")
        view = log_view(app)
        await pilot_until(pilot, lambda: "line 30" in visible_lines(view), what="the log")
        await pilot.press("k")
        await pilot_until(pilot, lambda: rows(app) == [(job.id, "killed")], what="killed")
        await pilot_until(
            pilot, lambda: any(m.startswith(f"{job.id} killed") for m, _ in toasts(app))
        )
    assert rt.job(job.id).status is JobStatus.KILLED


def test_jobs_end_truly_when_another_job_filled_the_disk(
    disk: Disk, rt: Runtime, cli: RunCli
) -> None:
    """Another job's output fills the disk; then several jobs are killed: each is recorded
    killed (never left running), ``list`` says so, and each notice is given exactly once —
    the room for their records and notices was their own, not the disk's free space."""
    sleepers = [ok(cli("run", SLEEPER)).strip() for _ in range(4)]
    for job_id in sleepers:
        rt.wait(job_id, timeout=10, pattern="ready")
    assert ok(cli("notices")) == ""
    flood = rt.start("yes the disk is filling up")
    until(lambda: disk.free_pages() == 0, timeout=20, what="the flood to fill the disk")

    for job_id in sleepers:
        killed = ok(cli("kill", job_id, "--grace", "1"))
        assert killed.startswith(f"[bg:{job_id} killed by SIGTERM")
    listed = {j["id"]: j["status"] for j in json.loads(ok(cli("list", "--json")))}
    assert listed == {**{i: "killed" for i in sleepers}, flood.id: "running"}
    for job_id in sleepers:
        assert (rt.project.jobs_dir / job_id / JobFiles.RESULT).is_file()
    assert notice_ids(ok(cli("notices"))) == sleepers
    ok(cli("kill", flood.id, "--grace", "1"))
    assert notice_ids(ok(cli("notices"))) == [flood.id]
    assert "No space left on device" in (rt.job(flood.id).output_lost or "")

    disk.free()
    assert ok(cli("notices")) == ""
    assert {j.id: j.status for j in rt.jobs()} == {
        **{i: JobStatus.KILLED for i in sleepers},
        flood.id: JobStatus.KILLED,
    }


def test_a_garbage_control_request_on_a_full_disk_is_ignored(disk: Disk, rt: Runtime) -> None:
    """A malformed control request is ignored (and logged if there is room) also on a full
    disk: a kill sent after it still ends the job as killed, not lost."""
    job = rt.start(SLEEPER)
    rt.wait(job.id, timeout=10, pattern="ready")
    disk.fill()
    fd = os.open(job.dir / JobFiles.CONTROL, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, b"not a request\n")
    finally:
        os.close(fd)
    assert rt.kill(job.id, grace=1).status is JobStatus.KILLED


def test_a_supervisor_killed_on_a_full_disk_shows_lost(
    disk: Disk, rt: Runtime, cli: RunCli
) -> None:
    """SIGKILL a job's supervisor while the disk is kept full: ``bgview list`` says lost
    (exit 0, no traceback) and the job's processes are gone; once the disk is freed its
    record on disk says lost and its notice is given once."""
    job = rt.start('trap "" HUP TERM; echo ready; sleep 1000')
    running, _ = rt.wait(job.id, timeout=10, pattern="ready")
    assert running.supervisor_pid is not None and running.pid is not None
    pid = running.pid
    assert ok(cli("notices")) == ""
    disk.hold_full()
    os.kill(running.supervisor_pid, signal.SIGKILL)

    def listed() -> str:
        return str(json.loads(ok(cli("list", "--json")))[0]["status"])

    until(lambda: listed() == "lost", timeout=5, what="`bgview list` to show the job lost")
    assert "lost" in ok(cli("list"))
    until(lambda: live_members(pid) == [], timeout=5, what="the job's group to go")

    disk.free()
    assert listed() == "lost"
    result = json.loads((job.dir / JobFiles.RESULT).read_text())
    assert result["result"]["status"] == "lost"
    assert notice_ids(ok(cli("notices"))) == [job.id]
    assert ok(cli("notices")) == ""


def test_a_lost_job_with_no_reserve_is_lost_in_memory_until_there_is_room(
    disk: Disk, rt: Runtime, cli: RunCli
) -> None:
    """A running record whose supervisor is gone, from a store written before jobs had a
    reserve: on a full disk every reader says lost (exit 0) though nothing can be written;
    once the disk is freed the next reader writes the record, and its notice is given once."""
    craft_job(rt.project, 1, status="running", exit_code=None, ended_at=None)
    disk.hold_full()
    for _ in range(2):  # each reader finds it lost again, in memory
        assert [j["status"] for j in json.loads(ok(cli("list", "--json")))] == ["lost"]
    assert "lost" in ok(cli("list"))
    assert not (rt.project.jobs_dir / "bash_1" / JobFiles.RESULT).exists()
    assert ok(cli("notices")) == ""

    disk.free()
    assert [j["status"] for j in json.loads(ok(cli("list", "--json")))] == ["lost"]
    result = json.loads((rt.project.jobs_dir / "bash_1" / JobFiles.RESULT).read_text())
    assert result["result"]["status"] == "lost"
    assert notice_ids(ok(cli("notices"))) == ["bash_1"]
    assert ok(cli("notices")) == ""


def _run_with_pages_left(disk: Disk, rt: Runtime, cli: RunCli, leave: int, *name: str) -> bool:
    """``bgview run`` with exactly ``leave`` pages free: ``True`` if it started a job (which
    must then be supervised: running, its record naming its command's pid), ``False`` if it
    refused (one line, exit 1, nothing left in the store)."""
    before = store_paths(disk)
    disk.fill(leave)
    run = cli("run", *name, "--", "sleep", "1000")
    if run.returncode == 1:
        assert run.stdout == ""
        assert re.fullmatch(
            r"bgview: cannot start a job: No space left on device[^\n]*\n", run.stderr
        )
        assert store_paths(disk) == before, f"left behind with {leave} pages free"
        disk.free()
        return False
    job_id = ok(run).strip()
    job = settled(rt, job_id, f"{job_id}'s record to name its pid ({leave} pages left)")
    assert job.status is JobStatus.RUNNING and job.supervisor_pid is not None, (leave, job)
    disk.free()
    assert rt.kill(job_id, grace=0).status is JobStatus.KILLED
    return True


def test_run_with_little_room_starts_a_supervised_job_or_refuses(
    disk: Disk, rt: Runtime, cli: RunCli
) -> None:
    """For every amount of free space from none to plenty, page by page, ``bgview run``
    either starts a job that is supervised (its record names its command's pid) or refuses
    with one line and exit 1, leaving no job directory or stray file behind; it never prints
    an id whose supervisor then dies. Refusals are exactly the amounts below some size."""
    name = ("--name", "web")  # a named start writes one file more than an unnamed one
    first_job = ok(cli("run", *name, "--", "true")).strip()  # the project's files exist
    rt.wait(first_job, timeout=10)
    started = [_run_with_pages_left(disk, rt, cli, leave, *name) for leave in range(32)]
    assert not started[0] and started[-1]
    first = started.index(True)
    assert all(started[first:]), started
    assert ok(cli("notices", "--consumer", "sweep")).count("[bg:") == 1 + started.count(True)


def test_a_supervisor_that_cannot_write_its_record_ends_its_command(
    disk: Disk, rt: Runtime
) -> None:
    """The disk fills between a job's start and its supervisor's first record of the
    command's pid: the supervisor ends the command (nothing runs unsupervised) and the job is
    recorded failed, with the reason and its notice — also as the project's very first job."""
    attempts = 0
    while attempts < 10:
        attempts += 1
        job = rt.start("exec sleep 1000")
        disk.fill()  # a supervisor takes ~20 ms to start; filling takes ~1 ms
        ended = settled(rt, job.id, "the supervisor to record the pid or the end")
        if ended.status.ended:
            break
        disk.free()  # the supervisor was quicker than the fill: try again
        rt.kill(job.id, grace=0)
    else:
        pytest.fail("the disk never filled before a supervisor wrote its record")
    assert ended.status is JobStatus.FAILED, ended
    assert ended.reason == "could not write its record: No space left on device"
    assert ended.killed_by == "record"
    assert not live(marked(ended.mark))
    assert ended.pid is not None and live_members(ended.pid) == []
    disk.free()
    given = [n.job.id for n in rt.notices("record")]
    assert given[-1] == job.id and len(given) == len(set(given)) == attempts
    assert rt.notices("record") == []
