"""Faults caused for real: vanished supervisors and owners, a full disk, a damaged store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bgview.runtime import JobStatus, Runtime
from bgview.runtime.proc import start_time
from tests.conftest import RunCli
from tests.hardening.conftest import craft_job
from tests.support import live_members, until

# Ignores SIGHUP and SIGTERM and has a child: the hardest kind of job to get rid of.
STUBBORN = 'trap "" HUP TERM; sleep 1000 & echo ready; sleep 1000'


def started(rt: Runtime, command: str) -> int:
    """Start ``command`` and return its pid once it has printed ``ready``."""
    job = rt.start(command)
    found, _ = rt.wait(job.id, timeout=10, pattern="ready")
    assert found.pid is not None
    return found.pid


def test_a_sigkilled_supervisor_shows_lost_and_its_group_is_gone(rt: Runtime, cli: RunCli) -> None:
    pid = started(rt, STUBBORN)
    job = rt.jobs()[0]
    assert job.supervisor_pid is not None and live_members(pid)
    os.kill(job.supervisor_pid, signal.SIGKILL)

    def listed_lost() -> bool:
        record = json.loads(cli("list", "--json").stdout)[0]
        return bool(record["status"] == "lost")

    until(listed_lost, timeout=2, what="`bgview list` to show the job lost")
    assert live_members(pid) == []
    assert "supervisor vanished" in (rt.job(job.id).reason or "")


def test_a_sigkilled_owner_session_takes_its_jobs_down(rt: Runtime, project: Path) -> None:
    host = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from bgview import Session\n"
            "s = Session(sys.argv[1]); print(s.start(sys.argv[2]).id, flush=True); time.sleep(60)",
            str(project),
            STUBBORN,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert host.stdout is not None
    job_id = host.stdout.readline().strip()
    running, _ = rt.wait(job_id, timeout=10, pattern="ready")
    assert running.owner_pid == host.pid and running.pid is not None
    host.kill()
    host.wait()
    ended = until(lambda: rt.job(job_id).status.ended and rt.job(job_id), timeout=2.5)
    assert ended.status is JobStatus.KILLED
    assert ended.killed_by == "owner-exit" and f"pid {host.pid}" in (ended.reason or "")
    assert live_members(running.pid) == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs: the disk fills for real (needs root, which CI here has)."""
    if os.geteuid() != 0:
        pytest.fail("filling a disk for real needs a tmpfs mount, which needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_loses_output_not_the_job(tiny_disk: Path, project: Path) -> None:
    rt = Runtime(project, home=tiny_disk / "home")
    job = rt.start("head -c 3000000 /dev/zero | tr '\\0' x; echo; echo still alive")
    try:
        done, _ = rt.wait(job.id, timeout=20)
    finally:
        if rt.job(job.id).running:
            rt.kill(job.id, grace=0)
    assert done.status is JobStatus.EXITED and done.exit_code == 0  # it ran to its end
    assert done.output_lost is not None
    assert "No space left on device" in done.output_lost
    lost_from = int(done.output_lost.split("from byte ")[1].split()[0])
    assert lost_from == os.stat(done.log_path).st_size  # everything before it is on disk
    notices = [n.text for n in rt.notices()]
    assert len(notices) == 1 and notices[0].startswith(f"[bg:{job.id} exited 0, ")


def test_a_deleted_log_is_recreated_and_output_goes_on(rt: Runtime) -> None:
    job = rt.start("echo ready; for i in $(seq 1000); do echo tick $i; sleep 0.02; done")
    rt.wait(job.id, timeout=10, pattern="ready")
    os.unlink(job.log_path)
    until(lambda: job.log_path.exists() and b"tick" in job.log_path.read_bytes(), timeout=5)
    assert rt.job(job.id).running


def test_a_truncated_log_does_not_stall_the_reader(rt: Runtime) -> None:
    job = rt.start("for i in $(seq 1000); do echo tick $i; sleep 0.01; done")
    until(lambda: rt.job(job.id).output_bytes > 500, timeout=10, what="some output")
    assert rt.read(job.id).lines >= 20
    before = rt.read(job.id)
    os.truncate(job.log_path, 0)
    # The next lines after the truncation reach the reader, none skipped.
    after = until(lambda: rt.read(job.id).text, timeout=5, what="output after truncation")
    last_before = int(before.text.split()[-1]) if before.text else int(after.split()[1]) - 1
    first_after = int(after.split()[1])
    assert first_after <= last_before + 2


def test_damaged_records_are_skipped_and_the_rest_listed(rt: Runtime, cli: RunCli) -> None:
    craft_job(rt.project, 1)
    garbage = craft_job(rt.project, 2)
    (garbage / "meta.json").write_text("{not json")
    truncated = craft_job(rt.project, 3)
    (truncated / "meta.json").write_text('{"id": "bash_3", "comm')
    (rt.project.jobs_dir / "bash_4").mkdir(mode=0o700)  # a directory without a record
    craft_job(rt.project, 5, future_field={"from": "a newer bgview"}, status="exited")

    listed = cli("list", "--json")
    assert listed.returncode == 0
    assert [j["id"] for j in json.loads(listed.stdout)] == ["bash_1", "bash_5"]
    assert cli("list").returncode == 0
    broken = cli("output", "bash_2")
    assert broken.returncode == 2
    assert broken.stderr.startswith("bgview: ") and "Traceback" not in broken.stderr
    started_after = cli("run", "echo fine")
    assert started_after.returncode == 0 and started_after.stdout.strip() == "bash_6"


def test_a_reused_pid_is_never_killed(rt: Runtime, cli: RunCli) -> None:
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        real_start = start_time(stranger.pid)
        assert real_start is not None
        # A job whose supervisor is gone, whose pid now belongs to an unrelated process.
        craft_job(
            rt.project,
            1,
            status="running",
            exit_code=None,
            ended_at=None,
            pid=stranger.pid,
            pid_start=real_start - 100,
        )
        killed = cli("kill", "bash_1")
        assert killed.returncode == 0
        assert "lost" in killed.stdout
        time.sleep(0.2)  # give a wrongly sent signal time to land before looking
        assert stranger.poll() is None, "bgview killed a process that was not its job"
    finally:
        stranger.kill()
        stranger.wait()
