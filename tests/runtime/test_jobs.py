"""Real commands in real ptys under real supervisors: what a job's owner relies on."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bgview.runtime import InvalidRequest, JobStatus, Runtime
from tests.runtime.helpers import ended, group_gone, live_members, until

PY = sys.executable


def test_every_byte_value_is_kept_exactly(rt: Runtime) -> None:
    """The pty does no output processing: ``\\n`` stays ``\\n``, ``\\r`` and NUL survive."""
    data = bytes(range(256)) * 4 + b"\n\r\n\x00"
    code = f"import os; os.write(1, {data!r})"
    job = ended(rt, rt.start([PY, "-c", code]).id)
    assert job.status is JobStatus.EXITED and job.exit_code == 0
    assert job.log_path.read_bytes() == data
    assert job.output_bytes == len(data)


def test_100_mb_of_output_is_kept_byte_for_byte(rt: Runtime) -> None:
    size = 100 * 1024 * 1024
    code = textwrap.dedent(
        f"""
        import os, random
        block = random.Random(7).randbytes(1 << 20)
        for i in range({size} >> 20):
            data = bytes([i % 256]) + block[1:]
            view = memoryview(data)
            while view:
                view = view[os.write(1, view):]
        """
    )
    expected = hashlib.sha256()
    block = __import__("random").Random(7).randbytes(1 << 20)
    for i in range(size >> 20):
        expected.update(bytes([i % 256]) + block[1:])
    job = ended(rt, rt.start([PY, "-c", code]).id, timeout=50)
    try:
        assert job.exit_code == 0
        assert job.output_bytes == size
        digest = hashlib.sha256()
        with open(job.log_path, "rb") as handle:
            while chunk := handle.read(1 << 22):
                digest.update(chunk)
        assert digest.hexdigest() == expected.hexdigest()
    finally:
        job.log_path.unlink()  # 100 MB need not outlive the test


@pytest.mark.parametrize(
    ("command", "status", "code", "sig"),
    [
        # a clean exit
        ("exit 0", JobStatus.EXITED, 0, None),
        # the real exit code, not a summary of it
        ("exit 3", JobStatus.EXITED, 3, None),
        ("exit 255", JobStatus.EXITED, 255, None),
        # a job that dies of a signal it did not get from us: killed, by nobody
        ("kill -SEGV $$", JobStatus.KILLED, None, "SIGSEGV"),
    ],
)
def test_exit_status_is_the_truth(
    rt: Runtime, command: str, status: JobStatus, code: int | None, sig: str | None
) -> None:
    job = ended(rt, rt.start(["bash", "-c", command]).id)
    assert (job.status, job.exit_code, job.signal, job.killed_by) == (status, code, sig, None)


def _stubborn(tmp: Path) -> tuple[list[str], Path]:
    """A job that ignores SIGTERM and SIGHUP and has two children (and a grandchild) that
    ignore them too; it writes the children's pids to a file once they run."""
    pids = tmp / "pids"
    script = f"""
        trap '' TERM HUP
        sleep 300 & a=$!
        bash -c 'sleep 300 & sleep 300' & b=$!
        echo "$a $b" > {pids}.tmp && mv {pids}.tmp {pids}
        echo ready
        wait
    """
    return ["bash", "-c", script], pids


def test_kill_ends_the_whole_group_before_saying_killed(rt: Runtime, tmp_path: Path) -> None:
    argv, pids_file = _stubborn(tmp_path)
    job = rt.start(argv)
    assert rt.wait(job.id, pattern="^ready$", timeout=10)[1]
    children = [int(p) for p in pids_file.read_text().split()]
    job = rt.job(job.id)
    assert job.pid is not None and len(live_members(job.pid)) >= 3
    killed = rt.kill(job.id, grace=0.3)
    # The moment kill returns, the record says killed and not one process of the group is left.
    assert killed.status is JobStatus.KILLED
    assert killed.signal == "SIGKILL"  # it ignored SIGTERM; the grace ran out
    assert killed.killed_by == "user"
    assert group_gone(job.pid)
    assert live_members(job.pid) == []
    for pid in children:
        assert not Path(f"/proc/{pid}").exists()


def test_kill_of_a_job_that_obeys_sigterm(rt: Runtime) -> None:
    job = rt.start("echo started; sleep 300")
    assert rt.wait(job.id, pattern="started", timeout=10)[1]
    killed = rt.kill(job.id, grace=5)
    assert (killed.status, killed.signal) == (JobStatus.KILLED, "SIGTERM")
    assert killed.wall_seconds() < 4  # it did not wait out the grace
    again = rt.kill(job.id)  # killing an ended job succeeds and changes nothing
    assert again.status is JobStatus.KILLED and again.ended_at == killed.ended_at


def test_supervisor_killed_outright_means_lost_and_group_gone(rt: Runtime, tmp_path: Path) -> None:
    argv, _ = _stubborn(tmp_path)
    job = rt.start(argv)
    assert rt.wait(job.id, pattern="^ready$", timeout=10)[1]
    job = rt.job(job.id)
    assert job.pid is not None and rt.job(job.id).supervisor_pid is not None
    os.kill(rt.job(job.id).supervisor_pid or 0, signal.SIGKILL)
    lost = until(lambda: (j := rt.job(job.id)).status is not JobStatus.RUNNING and j, 10, "lost")
    assert lost.status is JobStatus.LOST
    assert lost.reason and "supervisor vanished" in lost.reason
    # Its processes were SIGKILLed; no PID 1 here reaps orphans, so zombies may linger,
    # but nothing of the group runs on.
    until(lambda: live_members(job.pid or 0) == [], 10, "the lost job's group to go")
    assert [n.text for n in rt.notices()] == [
        f"[bg:{job.id} lost: {lost.reason}, 6B out, {lost.wall_seconds():.1f}s wall]"
    ]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        # a working directory that does not exist
        (
            lambda d: (["true"], {"cwd": d / "nope"}),
            "cannot use working directory .*nope: it does not exist",
        ),
        # a working directory that is a file
        (
            lambda d: (["true"], {"cwd": d / "file"}),
            "cannot use working directory .*file: it is not a directory",
        ),
        # a program that is not on PATH
        (lambda d: (["no-such-program-xyz"], {}), "command not found: no-such-program-xyz"),
        # a file that exists but is not executable: known before any process exists
        (lambda d: ([str(d / "file")], {}), "cannot run .*file: it is not an executable file"),
        # a directory given as the program
        (lambda d: ([str(d)], {}), "cannot run .*: it is not an executable file"),
        # an executable file that is no program at all: only exec can tell (the supervisor's
        # report through its close-on-exec pipe)
        (lambda d: ([str(d / "garbage")], {}), "cannot run .*garbage: Exec format error"),
    ],
)
def test_jobs_that_cannot_start_fail_with_the_reason(
    rt: Runtime, tmp_path: Path, make: object, reason: str
) -> None:
    (tmp_path / "file").write_text("data")
    (tmp_path / "garbage").write_bytes(b"\x7fELF\x00\x00garbage")
    (tmp_path / "garbage").chmod(0o755)
    argv, kwargs = make(tmp_path)  # type: ignore[operator]
    job = ended(rt, rt.start(argv, **kwargs).id)
    assert job.status is JobStatus.FAILED
    assert job.reason is not None
    assert __import__("re").fullmatch(reason, job.reason), job.reason
    assert [n.text for n in rt.notices()] == [f"[bg:{job.id} failed: {job.reason}]"]


def test_last_bytes_after_the_end_are_delivered(rt: Runtime) -> None:
    """A burst just before exit, ending without a newline: all of it, to the last byte."""
    job = rt.start([PY, "-c", "import os; os.write(1, b'x' * 300_000 + b'\\nthe end, no newline')"])
    ended(rt, job.id)
    size = 0
    text = ""
    for _ in range(20):
        out = rt.read(job.id, max_chars=1_000_000)
        text += out.text
        if not out.text:
            break
    size = rt.job(job.id).output_bytes
    assert size == 300_000 + len("\nthe end, no newline")
    assert text.endswith("\nthe end, no newline")


def test_read_wait_returns_when_output_arrives(rt: Runtime) -> None:
    job = rt.start("sleep 0.3; echo late")
    out = rt.read(job.id, wait=10)
    assert out.text == "late\n"


def test_cursors_of_a_live_job_are_separate(rt: Runtime) -> None:
    job = rt.start("echo one; read x; echo two; sleep 300")
    assert rt.read(job.id, wait=10).text == "one\n"
    rt.peek(job.id)
    assert rt.read(job.id, consumer="viewer").text == "one\n"
    rt.write_stdin(job.id, "go\n")
    assert rt.wait(job.id, pattern="^two", timeout=10)[1]
    assert rt.read(job.id).text == "go\ntwo\n"  # the typed line is echoed, as in a terminal
    assert rt.read(job.id, consumer="viewer").text == "go\ntwo\n"


def test_timeout(rt: Runtime) -> None:
    job = ended(rt, rt.start("echo begun; sleep 300", timeout=0.5).id)
    assert (job.status, job.killed_by) == (JobStatus.TIMEOUT, "timeout")
    assert 0.5 <= job.wall_seconds() < 3
    assert rt.notices()[0].text.startswith(f"[bg:{job.id} timed out after 0.5s, 6B out, ")


def test_name_refused_while_running(rt: Runtime) -> None:
    first = rt.start("sleep 300", name="dev")
    with pytest.raises(InvalidRequest, match=f"'dev' is already running as {first.id}"):
        rt.start("sleep 300", name="dev")
    rt.kill(first.id, grace=0)
    assert rt.start("true", name="dev").status is JobStatus.RUNNING


def test_store_is_private(rt: Runtime, home: Path) -> None:
    job = rt.start("echo hi; sleep 300")
    rt.read(job.id, wait=10)
    rt.kill(job.id, grace=0)
    rt.notices()
    seen = set()
    for directory, dirs, files in os.walk(home):
        for name in dirs:
            mode = os.lstat(os.path.join(directory, name)).st_mode
            assert stat.S_IMODE(mode) == 0o700, os.path.join(directory, name)
        for name in files:
            mode = os.lstat(os.path.join(directory, name)).st_mode
            assert stat.S_IMODE(mode) == 0o600, os.path.join(directory, name)
            seen.add(name)
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    # FIFOs, logs, records, locks, cursors and notices are all among what was checked.
    assert {"meta.json", "output.log", "control", "stdin", "supervisor.lock", "agent"} <= seen


def test_notices_given_once_per_consumer(rt: Runtime) -> None:
    a = ended(rt, rt.start("exit 0").id)
    b = ended(rt, rt.start("exit 1").id)
    texts = [n.text for n in rt.notices()]
    assert [t.split(",")[0] for t in texts] == [f"[bg:{a.id} exited 0", f"[bg:{b.id} exited 1"]
    assert rt.notices() == []
    assert [n.text for n in rt.notices("repl")] == texts  # another consumer gets its own
    assert rt.notices("repl") == []
    rt.kill(a.id)  # a kill after the end adds no notice
    assert rt.notices() == [] and rt.notices("late", from_now=True) == []


def test_notices_drained_in_parallel_are_given_once(rt: Runtime, project: Path) -> None:
    ids = [rt.start(f"exit {i}").id for i in range(5)]
    for job_id in ids:
        ended(rt, job_id)
    drain = (
        "import sys; from bgview.runtime import Runtime;"
        " [print(n.job.id) for n in Runtime(sys.argv[1]).notices()]"
    )
    procs = [
        subprocess.Popen([PY, "-c", drain, str(project)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    got = [line for p in procs for line in p.communicate(timeout=30)[0].split()]
    assert sorted(got) == sorted(ids)


SESSION_CHILD = """
import sys, time
from bgview.runtime import Session
session = Session(sys.argv[1])
owned = session.start("echo up; sleep 300")
kept = session.start("echo up; sleep 300", keep=True)
stubborn = session.start(["bash", "-c", "trap '' TERM HUP; echo up; sleep 300"])
print(owned.id, kept.id, stubborn.id, flush=True)
time.sleep(300)
"""


def test_session_jobs_end_when_its_process_is_sigkilled(rt: Runtime, project: Path) -> None:
    child = subprocess.Popen(
        [PY, "-c", SESSION_CHILD, str(project)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    owned, kept, stubborn = child.stdout.readline().split()
    for job_id in (owned, kept, stubborn):
        assert rt.wait(job_id, pattern="^up", timeout=10)[1]
    child.kill()
    child.wait()
    for job_id in (owned, stubborn):
        job = ended(rt, job_id, timeout=15)
        assert (job.status, job.killed_by) == (JobStatus.KILLED, "owner-exit")
        assert live_members(job.pid or 0) == []
    assert rt.job(kept).status is JobStatus.RUNNING  # started with keep: it lives on
    rt.kill(kept, grace=0)


def test_session_close_ends_its_jobs(rt: Runtime, project: Path, home: Path) -> None:
    from bgview.runtime import Session

    with Session(project, home=home) as session:
        job = session.start("sleep 300")
        stubborn = [session.start("trap '' TERM; echo up; sleep 300") for _ in range(3)]
        kept = session.start("sleep 300", keep=True)
        for other in stubborn:
            assert rt.wait(other.id, pattern="up", timeout=10)[1]
        assert {j.id for j in session.owned()} == {job.id} | {j.id for j in stubborn}
    assert rt.job(job.id).killed_by == "owner-exit"
    ends = [rt.job(j.id) for j in stubborn]
    assert {(j.status, j.signal, j.killed_by) for j in ends} == {
        (JobStatus.KILLED, "SIGKILL", "owner-exit")
    }
    # One grace period (1 s) for all of them: one after another, they would end 2 s apart.
    assert max(j.ended_at or 0 for j in ends) - min(j.ended_at or 0 for j in ends) < 1.5
    assert rt.job(kept.id).running


def test_run_outlives_the_terminal_that_started_it(
    home: Path, project: Path, tmp_path: Path
) -> None:
    """Start a job from a shell in a pty, hang that terminal up: the job lives on."""
    import pexpect

    env = {**os.environ, "BGVIEW_HOME": str(home), "PS1": "$ "}
    shell = pexpect.spawn("bash", ["--norc", "--noprofile"], cwd=str(project), env=env, timeout=20)
    shell.expect_exact("$ ")
    shell.sendline(f"{PY} -m bgview run 'while :; do date +%s%N; sleep 0.05; done' && echo ok")
    shell.expect(r"(bash_\d+)\r\nok")
    job_id = shell.match.group(1).decode()
    shell.close(force=True)  # the terminal goes: SIGHUP to its session, and the pty is closed
    assert not shell.isalive()
    rt = Runtime(project, home=home)
    size = rt.job(job_id).output_bytes
    until(lambda: rt.job(job_id).output_bytes > size + 100, 10, "the job to keep writing")
    assert rt.job(job_id).status is JobStatus.RUNNING
    rt.kill(job_id, grace=0)


def test_20_parallel_runs_get_20_ids(cli: object, home: Path, project: Path) -> None:
    env = {**os.environ, "BGVIEW_HOME": str(home)}
    procs = [
        subprocess.Popen(
            [PY, "-m", "bgview", "run", "--", "true"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(20)
    ]
    ids = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(ids, key=lambda i: int(i[5:])) == [f"bash_{n}" for n in range(1, 21)]
    rt = Runtime(project, home=home)
    for job_id in ids:
        assert ended(rt, job_id).status is JobStatus.EXITED  # and none was ever called lost


def test_a_job_being_started_is_never_called_lost(rt: Runtime) -> None:
    """Readers running while jobs start never find one without its supervisor's lock held
    (that would record it lost): the lock is taken before the record says running."""
    import threading

    seen: set[JobStatus] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.update(
                j.status for j in Runtime(rt.path, home=rt.project.dir.parent.parent).jobs()
            )

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        ids = [rt.start(["true"]).id for _ in range(15)]
        ids.append(rt.start(["no-such-program-xyz"]).id)
    finally:
        stop.set()
        watcher.join()
    assert JobStatus.LOST not in seen
    assert [ended(rt, i).status for i in ids] == [JobStatus.EXITED] * 15 + [JobStatus.FAILED]


def test_kill_right_after_start(rt: Runtime) -> None:
    """The supervisor may not have opened its control FIFO yet: the kill still lands."""
    job = rt.kill(rt.start(["sleep", "300"]).id, grace=1)
    assert (job.status, job.killed_by) == (JobStatus.KILLED, "user")
