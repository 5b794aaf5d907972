"""The helpers other REPLs use: the chip's count, notices once each, the watchers bound to
the live feed (in an asyncio loop, and in a thread for a synchronous REPL)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from bgview.host import JobsWatch, RunningJobs, chip_text, drain_notices, running_count
from bgview.host.watch import StoreWatcher
from bgview.runtime import Runtime
from bgview.runtime import feed as feed_module
from bgview.runtime.inotify import Inotify, Unwatchable
from tests.support import until


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
    watcher = StoreWatcher(rt, lambda: heard.append(time.monotonic())).start()
    try:
        assert watcher.feed.loaded.wait(5)
        before = len(heard)
        job = rt.start("sleep 0.3")
        await _until_async(lambda: len(heard) > before, 1.5)  # woken by inotify, not a timer
        assert watcher.running() == 1
        started = len(heard)
        rt.wait(job.id, timeout=10)
        ended_at = time.monotonic()
        await _until_async(lambda: len(heard) > started, 1.5)
        assert heard[-1] - ended_at < 0.5
        assert watcher.running() == 0
    finally:
        watcher.stop()


def _feed_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "bgview-feed"]


async def test_the_watcher_stops_its_thread_and_calls_back_no_more(rt: Runtime) -> None:
    heard: list[float] = []
    watcher = StoreWatcher(rt, lambda: heard.append(time.monotonic())).start()
    rt.start("true")
    await _until_async(lambda: bool(heard))
    count = len(heard)
    watcher.stop()
    assert not _feed_threads()  # stop waits for the thread: nothing left to call back
    rt.start("true")
    for _ in range(3):  # let callbacks already in the loop's queue run: none may call back
        await asyncio.sleep(0.05)
    assert len(heard) == count


def test_the_thread_watcher_needs_no_event_loop(rt: Runtime) -> None:
    """A synchronous REPL (no asyncio loop anywhere): called back from the feed's thread."""
    heard: list[str] = []
    watch = JobsWatch(rt, lambda: heard.append(threading.current_thread().name)).start()
    try:
        assert watch.feed.loaded.wait(5)
        job = rt.start("sleep 0.2")
        until(lambda: watch.running() == 1, 2)
        rt.wait(job.id, timeout=10)
        until(lambda: watch.running() == 0, 2)
        assert set(heard) == {"bgview-feed"}
    finally:
        watch.stop()


async def test_a_store_that_cannot_be_watched_is_looked_at_often_instead(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_inotify() -> Inotify:
        raise Unwatchable("no inotify instances left")

    monkeypatch.setattr(feed_module, "Inotify", no_inotify)
    heard: list[float] = []
    watcher = StoreWatcher(rt, lambda: heard.append(time.monotonic())).start()
    try:
        assert watcher.feed.loaded.wait(5)
        assert watcher.polling
        before = len(heard)
        job = rt.start("sleep 0.2")
        await _until_async(lambda: len(heard) > before, 1.5)  # the half-second look saw it
        rt.wait(job.id, timeout=10)
        await _until_async(lambda: watcher.running() == 0, 1.5)
    finally:
        watcher.stop()


async def _until_async(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)
