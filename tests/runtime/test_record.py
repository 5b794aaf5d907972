"""The typed job record: its parts and their writers, control requests, and what a user reads
of it (notices, status words) — with real jobs where a real job is what causes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bgview.runtime import JobStatus, Runtime, notice_text
from bgview.runtime.controlmsg import KillRequest, ResizeRequest, encode_control, parse_control
from bgview.runtime.errors import BgviewError
from bgview.runtime.notices import status_words
from bgview.runtime.prune import prune
from bgview.runtime.record import (
    FinalRecord,
    KillReason,
    Request,
    Result,
    RunState,
)
from tests.conftest import RunCli
from tests.runtime.helpers import until

REQUEST = Request(
    id="bash_7",
    project="/p",
    command="make dev",
    argv=("bash", "-c", "make dev"),
    cwd="/p",
    started_at=1.5,
    mark="p-1234/bash_7",
    name="web",
    timeout=30.0,
    winsize=(100, 30),
)


def test_a_final_record_reads_back_as_written() -> None:
    """What the finalizer writes is what every reader gets back, field for field."""
    state = RunState(pid=10, pid_start=99, dropped_bytes=5, output_bytes=12)
    result = Result(JobStatus.KILLED, 3.0, signal="SIGTERM", killed_by="user")
    record = FinalRecord(REQUEST, state, result)
    assert FinalRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record


@pytest.mark.parametrize(
    "damage",
    [
        {"argv": "bash -c x"},  # argv must be a list of strings
        {"argv": []},  # ... and not empty
        {"command": 7},  # the command is a string
        {"owner_pid": "12"},  # a pid is a whole number, not a string
        {"owner_pid": True},  # ... nor a boolean (JSON true)
        {"timeout": "soon"},  # a timeout is a number
        {"name": ["web"]},  # a name is a string
    ],
)
def test_a_damaged_request_is_refused_not_half_read(damage: dict[str, object]) -> None:
    """A record with a field of the wrong type is damaged: reading it says so (the store
    then skips the job) rather than handing a face a wrong-typed value."""
    with pytest.raises((ValueError, KeyError)):
        Request.from_dict({**REQUEST.to_dict(), **damage})


def test_a_result_must_be_final() -> None:
    """No finalizer can write ``running`` as a result."""
    with pytest.raises(ValueError):
        Result(JobStatus.RUNNING, 1.0)


@pytest.mark.parametrize(
    "line",
    [
        b'{"op": "kill", "grace": "soon"}',  # grace is not a number
        b'{"op": "kill", "grace": null}',  # ... nor null
        b'{"op": "kill", "grace": Infinity}',  # ... nor infinite
        b'{"op": "kill", "grace": NaN}',  # ... nor NaN (would never reach its deadline)
        b'{"op": "kill", "grace": -1}',  # ... nor negative
        b'{"op": "kill", "grace": true}',  # a boolean is not a number here
        b'{"op": "kill", "by": "mallory"}',  # who asked must be a known reason
        b'{"op": "resize", "columns": -1, "rows": 10}',  # no terminal is -1 wide
        b'{"op": "resize", "columns": 80.5, "rows": 10}',  # ... nor half a column
        b'{"op": "explode"}',  # an unknown request
        b"[1, 2]",  # not an object
        b"kill",  # not JSON
        b"\xff\xfe",  # not even text
    ],
)
def test_garbage_on_the_control_channel_is_refused(line: bytes) -> None:
    """Every malformed control request is a ``ValueError`` with a reason (the supervisor
    logs it and lives on)."""
    with pytest.raises(ValueError):
        parse_control(line)


@pytest.mark.parametrize(
    "request_",
    [KillRequest(KillReason.AGENT, 0.5), KillRequest(KillReason.USER), ResizeRequest(80, 24)],
)
def test_a_control_request_survives_its_channel(request_: KillRequest | ResizeRequest) -> None:
    """What the CLI sends is what the supervisor reads."""
    assert parse_control(encode_control(request_).rstrip(b"\n")) == request_


def test_the_notice_says_how_many_processes_were_ended_with_the_job(
    rt: Runtime, tmp_path: Path
) -> None:
    """A job whose leader exits leaving a daemon behind: the daemon is ended with it, the
    record names it, and the notice says so."""
    # The leader waits until the daemon is in its own session (it wrote its pid): before
    # that, the hangup of the leader's exit would end it, and nothing would be left behind.
    daemon = "setsid sh -c 'echo $$ > daemon.pid; exec sleep 300' &"
    job = rt.start(f"{daemon} until [ -s daemon.pid ]; do :; done; echo started", cwd=tmp_path)
    job, ended = rt.wait(job.id, timeout=20)
    assert ended and job.status is JobStatus.EXITED and job.exit_code == 0
    assert [p.command for p in job.left_behind] == ["sleep 300"]
    assert job.left_behind[0].pid == int((tmp_path / "daemon.pid").read_text())
    assert notice_text(job).endswith(", 1 process ended with it]")
    assert not Path(f"/proc/{job.left_behind[0].pid}").exists() or _zombie(job.left_behind[0].pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_plain_job_leaves_nothing_behind_and_says_nothing_of_it(rt: Runtime) -> None:
    """The notice of an ordinary job is as it always was."""
    job, _ = rt.wait(rt.start("echo hi").id, timeout=20)
    assert job.left_behind == () and "ended with it" not in notice_text(job)


def test_a_stopped_supervisor_is_said_and_a_kill_still_ends_the_job(
    rt: Runtime, cli: RunCli
) -> None:
    """SIGSTOP a job's supervisor: `bgview list` says so, and `bgview kill` still ends the
    job, within its grace plus a second."""
    job = rt.start("sleep 300")
    until(lambda: rt.job(job.id).pid is not None, what="the job's pid")
    supervisor = rt.job(job.id).supervisor_pid
    assert supervisor is not None
    os.kill(supervisor, signal.SIGSTOP)
    try:
        until(lambda: rt.job(job.id).supervisor_stopped, what="the supervisor stopped")
        assert status_words(rt.job(job.id)) == "running (supervisor stopped)"
        assert "running (supervisor stopped)" in cli("list").stdout
        killed = cli("kill", job.id, "--grace", "1", timeout=10)
        assert killed.returncode == 0, killed.stderr
        assert rt.job(job.id).status is JobStatus.KILLED
    finally:
        os.kill(supervisor, signal.SIGCONT)


def test_a_start_racing_a_prune_always_returns_its_job(rt: Runtime) -> None:
    """Jobs that fail at once (their end is recorded by their starter) started while a prune
    loop runs beside them: every start returns its own job, none raises "no such job"."""
    stop = threading.Event()

    def prune_loop() -> None:
        while not stop.is_set():
            prune(rt.project)

    pruner = threading.Thread(target=prune_loop)
    pruner.start()
    failures: list[str] = []
    try:
        for _ in range(150):
            try:
                job = rt.start(["/no/such/program"])
            except BgviewError as exc:
                failures.append(str(exc))
                continue
            if job.status is not JobStatus.FAILED:
                failures.append(f"{job.id} is {job.status}")
    finally:
        stop.set()
        pruner.join()
    assert failures == []


def test_a_prune_in_another_process_never_takes_a_job_being_started(
    rt: Runtime, home: Path, project: Path
) -> None:
    """The same race across processes, as an agent and a person's `bgview prune` would run
    it: a loop of real `bgview prune` beside 100 starts of a job that cannot start."""
    env = {**os.environ, "BGVIEW_HOME": str(home)}
    loop = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom bgview.cli import main\nwhile True: main(['prune'])",
        ],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            assert rt.start(["/no/such/program"]).status is JobStatus.FAILED
    finally:
        loop.kill()
        loop.wait()
