"""The foreground streamer in-process: a real job, a real pty for the keys, a pipe for the
screen. These pin down *how* output arrives (file-system events, or a poll where the job's
directory cannot be watched), which the end-to-end tests cannot tell apart."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bgview.host import foreground
from bgview.host.foreground import Foreground, Outcome
from bgview.runtime import Job, JobStatus, Runtime


class Screen:
    """What the streamer wrote, read from a pipe, and a pty whose keys it reads."""

    def __init__(self) -> None:
        self.keys, self.tty = os.openpty()
        self.read_end, self.write_end = os.pipe()
        os.set_blocking(self.read_end, False)
        self.data = b""

    def drain(self) -> bytes:
        try:
            while chunk := os.read(self.read_end, 65536):
                self.data += chunk
        except BlockingIOError:
            pass
        return self.data

    async def wait_for(self, text: bytes, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.drain():
            assert time.monotonic() < deadline, f"{text!r} not shown; shown: {self.data!r}"
            await asyncio.sleep(0.01)

    def close(self) -> None:
        for fd in (self.keys, self.tty, self.read_end, self.write_end):
            os.close(fd)


@pytest.fixture
def screen() -> Iterator[Screen]:
    s = Screen()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(autouse=True)
def no_health_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """No look at the log but the ones file-system events (or the fallback poll) bring."""
    monkeypatch.setattr(foreground, "HEALTH_CHECK", 600.0)


def streamer(rt: Runtime, job: Job, screen: Screen) -> Foreground:
    return Foreground(rt, job, stdin_fd=screen.tty, stdout_fd=screen.write_end)


async def follow_then_background(rt: Runtime, screen: Screen) -> tuple[Foreground, Outcome]:
    """A job that writes, pauses, writes more and waits: shown as it comes, then Ctrl+B."""
    job = rt.start("echo first; sleep 0.3; echo second; printf 'half'; sleep 30")
    fg = streamer(rt, job, screen)
    run = asyncio.create_task(fg.run())
    await screen.wait_for(b"first")
    await screen.wait_for(b"second\nhalf")  # written after the first look
    os.write(screen.keys, b"\x02")  # Ctrl+B
    outcome = await asyncio.wait_for(run, 10)
    rt.kill(job.id, grace=0)
    return fg, outcome


async def test_output_written_later_is_shown_as_the_job_writes_it(
    rt: Runtime, screen: Screen
) -> None:
    fg, outcome = await follow_then_background(rt, screen)
    assert not fg.polling
    assert outcome.backgrounded and outcome.ended_mid_line
    # What was shown is the log up to the offset the outcome names, byte for byte.
    shown = rt.peek(outcome.job.id, offset=0, tail=outcome.shown).data
    assert shown == b"first\nsecond\nhalf"


async def test_the_end_of_a_job_is_noticed_without_a_periodic_look(
    rt: Runtime, screen: Screen
) -> None:
    job = rt.start("sleep 0.3; echo bye; exit 3")
    outcome = await asyncio.wait_for(streamer(rt, job, screen).run(), 10)
    assert not outcome.backgrounded
    assert outcome.job.status is JobStatus.EXITED and outcome.job.exit_code == 3
    assert screen.drain().endswith(b"bye\n")


async def test_where_the_directory_cannot_be_watched_the_log_is_polled(
    rt: Runtime, screen: Screen, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def cannot_watch(directory: Path, stop: asyncio.Event) -> AsyncIterator[set[str]]:
        raise RuntimeError("no inotify watches left")
        yield set()  # an async generator, like the real one

    monkeypatch.setattr(foreground, "watch_dir", cannot_watch)
    fg, outcome = await follow_then_background(rt, screen)
    assert fg.polling
    assert outcome.shown == len(b"first\nsecond\nhalf")
