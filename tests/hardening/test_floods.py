"""Floods: huge lines, random bytes, colour firehoses, many jobs at once, a crowded store."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bgview.runtime import JobStatus, Runtime
from bgview.runtime.output import MAX_CHARS
from tests.conftest import RunCli
from tests.hardening.conftest import craft_job
from tests.support import live_members, until


def test_a_50mb_line_without_a_newline_still_reads(rt: Runtime, cli: RunCli) -> None:
    job = rt.start(
        [
            sys.executable,
            "-c",
            "import sys, time; sys.stdout.write('x' * 50_000_000); "
            "sys.stdout.flush(); time.sleep(60)",
        ]
    )
    until(lambda: rt.job(job.id).output_bytes >= 50_000_000, timeout=30, what="50 MB")
    result = cli("output", job.id)
    assert result.returncode == 0
    assert "line cut" in result.stdout and len(result.stdout) <= MAX_CHARS + 200
    again = cli("output", job.id)  # the cursor moved on: the next read is the next part
    assert again.returncode == 0 and "line cut" in again.stdout
    assert rt.job(job.id).running


def test_random_bytes_are_kept_exactly_and_read_as_clean_text(rt: Runtime, tmp_path: Path) -> None:
    source = tmp_path / "random.bin"
    with open("/dev/urandom", "rb") as rnd:
        source.write_bytes(rnd.read(16 * 1024 * 1024))
    job = rt.start(["cat", str(source)])
    done, _ = rt.wait(job.id, timeout=30)
    assert done.status is JobStatus.EXITED
    assert done.log_path.read_bytes() == source.read_bytes()
    for _ in range(3):
        text = rt.read(job.id).text
        assert text and "\x1b" not in text
    # A filter reads the whole log through the terminal emulation, which random bytes keep
    # busy with escapes of every kind (~0.4 MB/s): 2 MiB of them say as much as 16.
    (tmp_path / "less.bin").write_bytes(source.read_bytes()[: 2 * 1024 * 1024])
    less = rt.start(["cat", str(tmp_path / "less.bin")])
    rt.wait(less.id, timeout=30)
    filtered = rt.read(less.id, consumer="grep", filter="[a-f]{2}").text
    assert filtered and "\x1b" not in filtered  # random bytes do hold such pairs


def test_a_colour_firehose_that_clears_the_screen_reads_clean(rt: Runtime) -> None:
    # 20,000 coloured lines, each followed by a clear-screen and a cursor move.
    job = rt.start(
        "for i in $(seq 20000); do printf '\\033[2J\\033[H\\033[3%dmline %d\\033[0m\\n' "
        "$((i % 8)) $i; done"
    )
    done, _ = rt.wait(job.id, timeout=60)
    assert done.status is JobStatus.EXITED
    lines: list[str] = []
    while chunk := rt.read(job.id).text:
        lines.extend(chunk.splitlines())
    assert lines == [f"line {i}" for i in range(1, 20001)]


def test_a_hundred_jobs_at_once(rt: Runtime, cli: RunCli) -> None:
    jobs = [rt.start("echo up; sleep 60") for _ in range(100)]
    assert len({j.id for j in jobs}) == 100
    until(lambda: all(j.pid for j in rt.jobs()), timeout=60, what="100 supervisors to start")
    listed = json.loads(cli("list", "--json").stdout)
    assert [r["status"] for r in listed] == ["running"] * 100
    pids = [j.pid for j in rt.jobs()]
    for job in jobs:
        assert rt.kill(job.id, grace=1).status is JobStatus.KILLED
    assert all(live_members(pid) == [] for pid in pids if pid)


def test_two_thousand_finished_jobs_list_and_prune(rt: Runtime, cli: RunCli) -> None:
    for n in range(1, 2001):
        craft_job(rt.project, n)
    # The counter was not used by the crafted jobs; the next id still never reuses one.
    running = rt.start("sleep 60")
    assert running.id == "bash_2001"
    listed = json.loads(cli("list", "--json").stdout)
    assert len(listed) == 2001
    pruned = cli("prune", "--older-than", "10s")
    assert pruned.returncode == 0 and pruned.stdout.strip() == "removed 2000 finished jobs"
    left = json.loads(cli("list", "--json").stdout)
    assert [(r["id"], r["status"]) for r in left] == [("bash_2001", "running")]
    assert rt.job(running.id).running
