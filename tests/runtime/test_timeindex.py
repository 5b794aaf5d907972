"""The time index beside ``output.log``: when output arrived, small, right across the size cap
and a SIGKILLed supervisor."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bgview.runtime import Runtime
from bgview.runtime.fsio import DirFd
from bgview.runtime.record import JobFiles
from bgview.runtime.timeindex import BURST, RECORD, REFILL, TimeIndexWriter, load, parse
from tests.support import until


class Clock:
    """A hand-moved clock for the writer's pacing."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _writer(tmp_path: Path, clock: Clock) -> TimeIndexWriter:
    return TimeIndexWriter(DirFd.open(tmp_path), clock)


def test_entries_are_paced_a_burst_then_one_per_refill(tmp_path: Path) -> None:
    clock = Clock()
    writer = _writer(tmp_path, clock)
    writer.note(0)
    writer.note(10)  # the same instant: no entry
    for second in range(1, 2 * BURST):  # output every second for two minutes
        clock.now += 1
        writer.note(second * 100)
    index = load(tmp_path)
    # A minute's burst timed to the second, then one entry per REFILL seconds at most.
    assert len(index.offsets) <= BURST + (2 * BURST) / REFILL + 1
    assert index.offsets[:3] == [0, 100, 200]
    assert index.times[:3] == [1_000_000.0, 1_000_001.0, 1_000_002.0]


def test_a_firehose_costs_a_few_kilobytes_an_hour(tmp_path: Path) -> None:
    clock = Clock()
    writer = _writer(tmp_path, clock)
    for tick in range(36_000):  # output ten times a second for an hour
        clock.now += 0.1
        writer.note(tick * 4096)
    size = (tmp_path / JobFiles.TIMES).stat().st_size
    assert size <= (BURST + 3600 / REFILL + 1) * RECORD.size
    assert size < 5 * 1024


def test_output_after_a_quiet_spell_is_timed_exactly(tmp_path: Path) -> None:
    clock = Clock()
    writer = _writer(tmp_path, clock)
    for tick in range(10_000):  # a firehose spends the burst
        clock.now += 0.1
        writer.note(tick)
    clock.now += 600  # ten quiet minutes refill it
    writer.note(50_000)
    index = load(tmp_path)
    assert index.offset_since(clock.now) == 50_000
    assert index.time_at(50_000) == clock.now
    assert index.time_at(60_000) == clock.now  # later bytes came then or later


def test_a_torn_record_is_ignored_and_cut_off_by_the_next_writer(tmp_path: Path) -> None:
    path = tmp_path / JobFiles.TIMES
    path.write_bytes(RECORD.pack(0, 5.0) + RECORD.pack(7, 6.0)[:5])  # a full disk tore it
    assert parse(path.read_bytes()).offsets == [0]
    clock = Clock()
    _writer(tmp_path, clock).note(100)
    assert path.stat().st_size == 2 * RECORD.size
    assert load(tmp_path).offsets == [0, 100]


def test_entries_out_of_order_are_left_out(tmp_path: Path) -> None:
    # A clock set back, or a file edited by hand: offsets and times stay in order.
    raw = RECORD.pack(0, 10.0) + RECORD.pack(50, 5.0) + RECORD.pack(40, 20.0) + RECORD.pack(90, 30)
    index = parse(raw)
    assert index.offsets == [0, 40, 90]
    assert index.times == [10.0, 20.0, 30.0]


def test_no_index_reads_as_empty(tmp_path: Path) -> None:
    assert not load(tmp_path)
    os.mkfifo(tmp_path / JobFiles.TIMES, 0o600)  # something not a file in its place
    assert not load(tmp_path)


# ---- a real job under its supervisor ------------------------------------------------------

BURSTS = """
import sys, time
for i in range(3):
    sys.stdout.write(f"burst {i}\\n"); sys.stdout.flush()
    time.sleep(1.3)
"""


def _job_dir(rt: Runtime, job_id: str) -> Path:
    return Path(rt.job(job_id).log_path).parent


def test_a_job_s_bursts_are_timed_in_order(rt: Runtime) -> None:
    before = time.time()
    job = rt.start([sys.executable, "-c", BURSTS])
    until(lambda: rt.job(job.id).status.ended, timeout=20, what="the job to end")
    log = Path(job.log_path).read_bytes()
    index = load(_job_dir(rt, job.id))
    starts = [log.index(b"burst %d" % i) for i in range(3)]
    assert [index.offset_since(index.time_at(s) or 0) for s in starts] == starts
    times = [index.time_at(s) or 0 for s in starts]
    assert before <= times[0] <= times[1] - 1.2 <= times[2] - 2.4 <= time.time()


def test_the_index_survives_the_size_cap(rt: Runtime) -> None:
    # 64 KiB cap; bursts of 100 KB a second and a half apart trim the log again and again.
    writer = """
import sys, time
for i in range(5):
    for n in range(1000):
        sys.stdout.write(f"{i} {n:05d} " + "x" * 90 + "\\n")
    sys.stdout.flush()
    time.sleep(1.3)
"""
    job = rt.start([sys.executable, "-c", writer], max_log=64 * 1024)
    until(lambda: rt.job(job.id).status.ended, timeout=30, what="the job to end")
    done = rt.job(job.id)
    assert done.dropped_bytes > 0
    index = load(_job_dir(rt, job.id))
    # The last burst began at logical offset 4 * 1000 * 99: timed, after the ones before.
    assert 396_000 in index.offsets
    last = index.time_at(396_000) or 0
    assert index.time_at(done.dropped_bytes) is not None  # the first kept byte has a time
    assert (index.time_at(297_000) or 0) <= last - 1.2
    assert index.offset_since(last) == 396_000


def test_the_index_survives_a_sigkilled_supervisor(rt: Runtime) -> None:
    script = (
        "import time\nprint('first', flush=True)\ntime.sleep(1.3)\n"
        "print('second', flush=True)\ntime.sleep(60)\n"
    )
    job = rt.start([sys.executable, "-c", script])
    until(lambda: b"second" in Path(job.log_path).read_bytes(), what="the second line")
    supervisor = rt.job(job.id).supervisor_pid
    assert supervisor is not None
    os.kill(supervisor, signal.SIGKILL)
    until(lambda: rt.job(job.id).status.ended, timeout=20, what="the job to be seen lost")
    job_dir = _job_dir(rt, job.id)
    assert (job_dir / JobFiles.TIMES).stat().st_size % RECORD.size == 0
    index = load(job_dir)
    log = Path(job.log_path).read_bytes()
    second = log.index(b"second")
    assert index.offset_since(index.time_at(second) or 0) == second
    assert (index.time_at(second) or 0) - (index.time_at(0) or 0) >= 1.2


@pytest.mark.parametrize("name", [JobFiles.TIMES])
def test_the_index_is_private(rt: Runtime, name: str) -> None:
    job = rt.start([sys.executable, "-c", "print('hi')"])
    until(lambda: rt.job(job.id).status.ended, what="the job to end")
    assert (_job_dir(rt, job.id) / name).stat().st_mode & 0o777 == 0o600
