"""Learning that a project's jobs started or ended, in any REPL, without polling.

Both helpers here are bound to the one live feed of a project's jobs
(:class:`~bgview.runtime.feed.JobFeed`): a thread of its own, woken by inotify, that re-reads
running jobs once a second (a job whose supervisor vanished shows ``lost`` within 2 s) and
looks at the store every half second where it cannot be watched. An idle prompt costs the
feed one look a second at the jobs that run.

- :class:`JobsWatch` needs no event loop: ``on_change`` is called from the feed's thread
  (a synchronous REPL: the plain Python one, IPython, a ``PromptSession.prompt()`` loop).
- :class:`StoreWatcher` calls ``on_change`` in the asyncio loop it was started in.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from bgview.runtime import Job, Runtime
from bgview.runtime.events import EventKind, JobEvent, running_count, waiting_count
from bgview.runtime.feed import JobFeed

TOLD = frozenset({EventKind.STARTED, EventKind.ENDED, EventKind.REMOVED, EventKind.NOTICE})
"""The events that change the chip or bring a notice (not a log that grew)."""


def _told_facts(job: Job) -> tuple[object, ...]:
    """What of a running job's record, when it changes, changes the chip or brings a notice:
    it waits for input, it is ready, its watch matched, it restarted. Not its CPU or memory,
    which change every second."""
    facts = job.facts
    return (facts.waiting_for_input, facts.ready, facts.matches, facts.watch_stopped, job.restarts)


STOP_WAIT = 1.0
"""Seconds :meth:`JobsWatch.stop` waits for the feed's thread."""


class JobsWatch:
    """Calls ``on_change()`` from the feed's thread soon after a job of the project starts
    or ends (and for the jobs there are already, once the feed has read the store).
    :meth:`start` it once."""

    def __init__(self, runtime: Runtime, on_change: Callable[[], None]) -> None:
        self.runtime = runtime
        self.on_change = on_change
        self.feed = JobFeed(runtime.project)
        self._unsubscribe: Callable[[], None] | None = None
        self._facts: dict[Path, tuple[object, ...]] = {}
        """Each running job's :func:`_told_facts` as last heard (from the feed's thread)."""

    def start(self) -> JobsWatch:
        if self._unsubscribe is None:
            self._unsubscribe = self.feed.subscribe(self._on_events)
            self.feed.start()
        return self

    def stop(self) -> None:
        """No call back after this returns (the feed's thread is stopped and waited for)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.feed.stop(STOP_WAIT)

    @property
    def polling(self) -> bool:
        """The store could not be watched: it is looked at every half second instead."""
        return self.feed.polling

    def jobs(self) -> list[Job]:
        """The project's jobs as the feed last read them."""
        return self.feed.jobs()

    def running(self) -> int:
        """How many of them run (the chip's count), without reading the store."""
        return running_count(self.feed.jobs())

    def waiting(self) -> int:
        """How many of them wait for input (the chip's ``· N waiting``)."""
        return waiting_count(self.feed.jobs())

    def note(self, job: Job) -> None:
        """This job was just started or killed here: have the feed read it now."""
        self.feed.note([job.dir])

    def _on_events(self, events: list[JobEvent]) -> None:
        told = False
        for event in events:
            if event.kind in TOLD:
                told = True
            if event.kind is EventKind.STARTED and event.job is not None:
                self._facts[event.job_dir] = _told_facts(event.job)
            elif event.kind in (EventKind.ENDED, EventKind.REMOVED):
                self._facts.pop(event.job_dir, None)
            elif event.kind is EventKind.CHANGED and event.job is not None:
                key = _told_facts(event.job)
                told = told or self._facts.get(event.job_dir) != key
                self._facts[event.job_dir] = key
        if told:
            self.on_change()


class StoreWatcher(JobsWatch):
    """Calls ``on_change()`` in the asyncio loop soon after a job starts or ends; a burst of
    them (ten jobs ending at once) is one call. :meth:`start` and :meth:`stop` it from inside
    the loop."""

    def __init__(self, runtime: Runtime, on_change: Callable[[], None]) -> None:
        super().__init__(runtime, self._from_feed)
        self.on_loop_change = on_change
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False
        self._stopped = False

    def start(self) -> StoreWatcher:
        self._loop = asyncio.get_running_loop()
        super().start()
        return self

    def stop(self) -> None:
        self._stopped = True  # calls already handed to the loop find it stopped
        super().stop()

    def _from_feed(self) -> None:
        """In the feed's thread: have the loop call back (unless it has closed: we are on
        the way out)."""
        if self._loop is not None and not self._stopped:
            with contextlib.suppress(RuntimeError):  # the loop is closed
                self._loop.call_soon_threadsafe(self._soon)

    def _soon(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._fire)

    def _fire(self) -> None:
        self._scheduled = False
        if not self._stopped:
            self.on_loop_change()
