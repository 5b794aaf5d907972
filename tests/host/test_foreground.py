"""The foreground streamer in-process: a real job, a real pty for the keys, a pipe for the
screen. These pin down *how* output arrives (file-system events, or a poll where the job's
directory cannot be watched), which the end-to-end tests cannot tell apart."""

from __future__ import annotations

import asyncio
import errno
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bgview.host import foreground
from bgview.host.foreground import Foreground
from bgview.runtime import Job, JobStatus, Runtime
from bgview.runtime.inotify import Unwatchable


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


async def cannot_watch(directory: Path, stop: asyncio.Event) -> AsyncIterator[set[str]]:
    """What watching a directory does where inotify is missing or out of watches."""
    raise Unwatchable(errno.ENOSPC, "inotify: no watches left")
    yield set()  # an async generator, like the real one


@pytest.fixture(params=["events", "poll"])
def polling(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Each test twice: woken by file-system events, and where the directory cannot be
    watched (then the log is polled)."""
    if request.param == "poll":
        monkeypatch.setattr(foreground, "watch_dir", cannot_watch)
    return bool(request.param == "poll")


def streamer(rt: Runtime, job: Job, screen: Screen) -> Foreground:
    return Foreground(rt, job, stdin_fd=screen.tty, stdout_fd=screen.write_end)


async def test_output_written_later_is_shown_as_the_job_writes_it(
    rt: Runtime, screen: Screen, polling: bool
) -> None:
    job = rt.start("echo first; sleep 0.3; echo second; printf 'half'; sleep 30")
    fg = streamer(rt, job, screen)
    run = asyncio.create_task(fg.run())
    await screen.wait_for(b"first")
    await screen.wait_for(b"second\nhalf")  # written after the first look
    os.write(screen.keys, b"\x02")  # Ctrl+B
    outcome = await asyncio.wait_for(run, 10)
    rt.kill(job.id, grace=0)
    assert fg.polling is polling
    assert outcome.backgrounded and outcome.ended_mid_line
    # What was shown is the log up to the offset the outcome names, byte for byte.
    assert outcome.shown == len(b"first\nsecond\nhalf")
    assert rt.peek(job.id, offset=0, tail=outcome.shown).data == b"first\nsecond\nhalf"


async def test_the_end_of_a_job_is_noticed_without_a_periodic_look(
    rt: Runtime, screen: Screen, polling: bool
) -> None:
    job = rt.start("sleep 0.3; echo bye; exit 3")
    outcome = await asyncio.wait_for(streamer(rt, job, screen).run(), 10)
    assert not outcome.backgrounded
    assert outcome.job.status is JobStatus.EXITED and outcome.job.exit_code == 3
    assert screen.drain().endswith(b"bye\n")
