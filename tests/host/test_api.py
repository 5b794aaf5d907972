"""The helpers other REPLs use: the chip's count, notices once each, the store watcher."""

from __future__ import annotations

import asyncio
import time

from bgview.host import RunningJobs, chip_text, drain_notices, running_count
from bgview.host.watch import StoreWatcher
from bgview.runtime import Runtime


def test_chip_text() -> None:
    assert chip_text(0) == "⚙ 0 Background Jobs"
    assert chip_text(1) == "⚙ 1 Background Job"
    assert chip_text(3) == "⚙ 3 Background Jobs"


def test_running_jobs_are_counted_as_they_start_and_end(rt: Runtime) -> None:
    counter = RunningJobs(rt)
    assert counter.count() == 0
    first = rt.start("sleep 30")
    rt.start("true")
    rt.wait("bash_2", timeout=10)
    assert counter.count() == 1
    assert running_count(rt) == 1
    rt.kill(first.id, grace=0)
    assert counter.count() == 0


def test_notices_start_now_and_are_given_once(rt: Runtime) -> None:
    rt.start("true")
    rt.wait("bash_1", timeout=10)
    assert drain_notices(rt, "myrepl") == []  # a new consumer does not replay old jobs
    rt.start("exit 4")
    rt.wait("bash_2", timeout=10)
    notices = drain_notices(rt, "myrepl")
    assert [n.text.split(",")[0] for n in notices] == ["[bg:bash_2 exited 4"]
    assert drain_notices(rt, "myrepl") == []


async def test_the_watcher_hears_a_job_start_and_end_at_once(rt: Runtime) -> None:
    heard: list[float] = []
    watcher = StoreWatcher(rt, lambda: heard.append(time.monotonic()))
    watcher.start()
    try:
        job = rt.start("sleep 0.3")
        deadline = time.monotonic() + 1.5  # well before the 2 s fallback refresh
        while not heard and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert heard, "no event for the job's start"
        started = len(heard)
        rt.wait(job.id, timeout=10)
        ended_at = time.monotonic()
        while len(heard) == started and time.monotonic() < ended_at + 1.5:
            await asyncio.sleep(0.01)
        assert len(heard) > started, "no event for the job's end"
        assert heard[-1] - ended_at < 0.5
    finally:
        watcher.stop()
