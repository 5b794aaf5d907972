"""The one live feed of the store (:class:`~bgview.runtime.feed.JobFeed`), handed to Textual.

The feed calls its listeners from its own thread. A :class:`FeedLink` turns those calls into
:class:`~bgview.ui.messages.JobsChanged` messages for one screen: one message at a time is
in flight, and batches that arrive while it waits are added to it, so a busy UI is never
handed a backlog of stale batches (a firehose's output events merge into one per job). It
also keeps count of the running jobs, for the chip.

No store I/O here or in the screens: the feed reads, in its thread; the link only moves what
it read across.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from textual.message_pump import MessagePump

from bgview.runtime.events import EventKind, JobEvent
from bgview.runtime.feed import JobFeed
from bgview.runtime.model import Job
from bgview.ui.messages import FeedLoaded, JobsChanged

LOADED_POLL = 0.1
"""How often the wait for the feed's first look checks whether it was given up."""


class FeedLink:
    """One screen's subscription to a feed: batches posted to ``target`` as messages.

    ``only`` keeps the events of one job (a job's own screen); the running count covers
    every job either way.
    """

    def __init__(self, feed: JobFeed, target: MessagePump, *, only: Path | None = None) -> None:
        self.feed = feed
        self.target = target
        self.only = only
        self.running = 0
        """How many jobs run now, as of the last batch taken (see :meth:`take`)."""
        self._running: set[Path] = set()
        """Directories of the jobs running now, as the feed last said (its thread's)."""
        self._lock = threading.Lock()
        self._in_flight: JobsChanged | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._closed = threading.Event()

    def open(self) -> list[Job]:
        """Subscribe; returns the jobs the feed already knows (none before its first look,
        whose batch then comes as a message). A batch that races this call may repeat some of
        them: applying a job twice changes nothing."""
        self._unsubscribe = self.feed.subscribe(self._listen)
        jobs = self.feed.jobs()
        with self._lock:
            self._running = {job.dir for job in jobs if job.running}
            self.running = len(self._running)
        return [job for job in jobs if self.only is None or job.dir == self.only]

    def close(self) -> None:
        self._closed.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    @property
    def loaded(self) -> bool:
        """Whether the feed has had its first look at the store."""
        return self.feed.loaded.is_set()

    def wait_loaded(self) -> None:
        """Block until the feed's first look is done, then post :class:`FeedLoaded` (run it
        in a thread worker). An empty store gives no first batch: this is how it is told."""
        while not self.feed.loaded.wait(LOADED_POLL):
            if self._closed.is_set():
                return
        if not self._closed.is_set():
            self.target.post_message(FeedLoaded())

    def take(self, message: JobsChanged) -> list[JobEvent]:
        """The events of ``message`` (and of every batch that joined it); from now on new
        batches go into a new message."""
        with self._lock:
            if self._in_flight is message:
                self._in_flight = None
            events, message.events = message.events, []
            self.running = message.running
        return merge_output(events)

    # ---- the feed's thread ----------------------------------------------------------------

    def _listen(self, events: list[JobEvent]) -> None:
        # Notices are the REPL's to print: the viewer toasts from the records themselves.
        events = [e for e in events if e.kind is not EventKind.NOTICE]
        mine = [e for e in events if self.only is None or e.job_dir == self.only]
        with self._lock:
            before = len(self._running)
            for event in events:
                if event.kind is EventKind.OUTPUT:
                    continue
                if event.kind is not EventKind.REMOVED and event.job and event.job.running:
                    self._running.add(event.job_dir)
                else:
                    self._running.discard(event.job_dir)
            running = len(self._running)
            if not mine and running == before:
                return
            if self._in_flight is not None:  # still on its way: this batch rides along
                self._in_flight.events.extend(mine)
                self._in_flight.running = running
                return
            message = self._in_flight = JobsChanged(mine, running)
        if not self.target.post_message(message):  # the screen is closing: nothing waits
            with self._lock:
                self._in_flight = None


def merge_output(events: list[JobEvent]) -> list[JobEvent]:
    """Keep only the last ``OUTPUT`` event of each job: the log is read up to its end anyway."""
    last = {e.job_dir: i for i, e in enumerate(events) if e.kind is EventKind.OUTPUT}
    return [
        e for i, e in enumerate(events) if e.kind is not EventKind.OUTPUT or last[e.job_dir] == i
    ]
