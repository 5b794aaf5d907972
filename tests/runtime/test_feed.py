"""The live feed of a project's jobs that every face binds to: real jobs, real inotify, and a
kernel that refuses inotify for the fallback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bgview.runtime import JobStatus, Runtime
from bgview.runtime.events import EventKind, JobEvent
from bgview.runtime.feed import JobFeed
from bgview.runtime.prune import prune
from tests.runtime.helpers import until


class Seen:
    """Every event a listener was handed, and a way to wait for one."""

    def __init__(self) -> None:
        self.events: list[JobEvent] = []
        self.changed = threading.Condition()

    def __call__(self, events: list[JobEvent]) -> None:
        with self.changed:
            self.events.extend(events)
            self.changed.notify_all()

    def wait_for(self, kind: EventKind, job_id: str, timeout: float = 10.0) -> JobEvent:
        def found() -> JobEvent | None:
            return next((e for e in self.events if e.kind is kind and e.job_id == job_id), None)

        with self.changed:
            if not self.changed.wait_for(lambda: found() is not None, timeout):
                kinds = [(e.kind.value, e.job_id) for e in self.events]
                raise AssertionError(f"no {kind.value} for {job_id} within {timeout}s: {kinds}")
            event = found()
            assert event is not None
            return event


@pytest.fixture
def feed(rt: Runtime) -> Iterator[tuple[JobFeed, Seen]]:
    feed = JobFeed(rt.project)
    seen = Seen()
    feed.subscribe(seen)
    feed.start()
    assert feed.loaded.wait(10)
    yield feed, seen
    feed.stop()


def test_a_job_is_told_from_start_to_end_with_its_output(
    rt: Runtime, feed: tuple[JobFeed, Seen]
) -> None:
    """A job started after the feed: its start, its output growing, its end, each carrying
    the job as it then was."""
    _, seen = feed
    job = rt.start("echo one; read go; echo two")
    seen.wait_for(EventKind.STARTED, job.id)
    grown = seen.wait_for(EventKind.OUTPUT, job.id)
    assert grown.size >= len("one\n")
    rt.write_stdin(job.id, "\n")
    ended = seen.wait_for(EventKind.ENDED, job.id)
    assert ended.job is not None and ended.job.status is JobStatus.EXITED


def test_jobs_there_before_the_feed_come_first(rt: Runtime) -> None:
    """The first batch is every job already in the store, each as STARTED."""
    done, _ = rt.wait(rt.start("echo earlier").id, timeout=10)
    feed = JobFeed(rt.project)
    seen = Seen()
    feed.subscribe(seen)
    feed.start()
    try:
        first = seen.wait_for(EventKind.STARTED, done.id)
        assert first.job is not None and first.job.status is JobStatus.EXITED
        assert [job.id for job in feed.jobs()] == [done.id]
    finally:
        feed.stop()


def test_a_deleted_job_is_told_removed(rt: Runtime, feed: tuple[JobFeed, Seen]) -> None:
    """`bgview prune` elsewhere: the feed says the job is gone."""
    _, seen = feed
    job, _ = rt.wait(rt.start("true").id, timeout=10)
    seen.wait_for(EventKind.ENDED, job.id)
    # Its supervisor holds its lock for the moment it takes to exit; prune waits that out.
    until(lambda: bool(prune(rt.project)), what="the job pruned")
    seen.wait_for(EventKind.REMOVED, job.id)


def test_a_vanished_supervisor_is_told_lost_within_two_seconds(
    rt: Runtime, feed: tuple[JobFeed, Seen]
) -> None:
    """A supervisor killed outright writes nothing; the feed's look at running jobs is what
    records the job lost, and it comes within 2 s."""
    _, seen = feed
    job = rt.start("sleep 300")
    seen.wait_for(EventKind.CHANGED, job.id)  # its supervisor recorded itself
    supervisor = rt.job(job.id).supervisor_pid
    assert supervisor is not None
    os.kill(supervisor, signal.SIGKILL)
    ended = seen.wait_for(EventKind.ENDED, job.id, timeout=2.5)
    assert ended.job is not None and ended.job.status is JobStatus.LOST


FALLBACK_PROBE = """
import json, sys, time
from pathlib import Path
from bgview.runtime import Runtime
from bgview.runtime.feed import JobFeed

rt = Runtime(Path(sys.argv[1]), home=Path(sys.argv[2]))
feed = JobFeed(rt.project, fallback=0.2)
seen = []
feed.subscribe(lambda events: seen.extend((e.kind.value, e.job_id) for e in events))
feed.start()
feed.loaded.wait(10)
job = rt.start(["true"])
deadline = time.monotonic() + 10
while ("ended", job.id) not in seen and time.monotonic() < deadline:
    time.sleep(0.05)
print(json.dumps({"polling": feed.polling, "seen": seen}))
"""


@pytest.mark.parametrize("limit", ["max_inotify_instances", "max_inotify_watches"])
def test_a_store_that_cannot_be_watched_is_looked_at_instead(
    home: Path, project: Path, rt: Runtime, limit: str
) -> None:
    """Where the kernel refuses inotify — no instances left, or no watches left (a full
    inotify table) — the feed falls back to looking at the store every so often, and still
    tells a job's start and end. The limit is set to 0 in a user namespace of the test's
    own, so the kernel refuses for real without touching the rest of the machine."""
    script = f'echo 0 > /proc/sys/user/{limit} && exec "$@"'
    result = subprocess.run(
        [
            *("unshare", "--user", "--map-root-user", "sh", "-c", script, "sh"),
            *(sys.executable, "-c", FALLBACK_PROBE, str(project), str(home)),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["polling"] is True
    assert ["ended", "bash_1"] in report["seen"]


def test_a_notice_is_told_when_it_lands(rt: Runtime, feed: tuple[JobFeed, Seen]) -> None:
    """A match of ``--notify-on`` is a line in the project's ``notices.log``: the feed tells
    ``NOTICE`` for the project once it is there, not only when the job's facts change. (The
    supervisor writes the facts a moment before the notice: a REPL told only of the facts
    drained too soon, and heard nothing more; its notice never printed.) What each
    ``NOTICE`` finds in the log is read as it is told, as a REPL draining then would."""
    job_feed, _ = feed
    log = rt.project.dir / "notices.log"
    found: list[bytes] = []
    told: list[JobEvent] = []

    def on_notice(events: list[JobEvent]) -> None:
        for event in events:
            if event.kind is EventKind.NOTICE:
                told.append(event)
                found.append(log.read_bytes() if log.exists() else b"")

    job_feed.subscribe(on_notice)
    job = rt.start("sleep 0.3; echo ERROR in the build; exec sleep 30", notify_on="ERROR")
    line = f'{job.id} {{"kind":"match","text":"ERROR in the build"'.encode()
    try:
        until(lambda: any(line in text for text in found), 10, "a NOTICE with the match in")
        assert all(e.job is None and e.job_dir == rt.project.dir for e in told), told
    finally:
        rt.kill(job.id, grace=0)
