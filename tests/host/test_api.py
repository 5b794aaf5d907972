"""The helpers other REPLs use: the chip's count, notices once each, the store watcher."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from bgview.host import RunningJobs, chip_text, drain_notices, running_count
from bgview.host.watch import StoreWatcher
from bgview.runtime import Runtime
from bgview.runtime.watch import JobWatcher


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


def _store_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "bgview-store-watch"]


async def test_the_watcher_stops_its_thread_and_calls_back_no_more(rt: Runtime) -> None:
    heard: list[float] = []
    watcher = StoreWatcher(rt, lambda: heard.append(time.monotonic()))
    watcher.start()
    rt.start("true")
    deadline = time.monotonic() + 5
    while not heard and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert heard
    count = len(heard)
    watcher.stop()
    assert not _store_threads()  # stop waits for the thread: nothing left to call back
    for _ in range(3):  # let callbacks already in the loop's queue run: none may call back
        await asyncio.sleep(0)
    assert len(heard) == count


async def test_a_store_that_cannot_be_watched_is_looked_at_often_instead(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_watch(self: JobWatcher, stop: threading.Event, **_: int) -> Iterator[object]:
        raise RuntimeError("no inotify watches left")

    monkeypatch.setattr(JobWatcher, "watch", cannot_watch)
    heard: list[float] = []
    watcher = StoreWatcher(rt, lambda: heard.append(time.monotonic()))
    watcher.start()
    try:
        started = time.monotonic()
        while len(heard) < 3 and time.monotonic() < started + 1.9:  # before the 2 s refresh
            await asyncio.sleep(0.01)
        assert watcher.failed
        assert len(heard) >= 3, "the fallback refresh did not run every half second"
        assert not _store_threads()  # the thread ended quietly
    finally:
        watcher.stop()
