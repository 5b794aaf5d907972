"""Learning that a project's jobs started or ended, inside an asyncio loop, without polling.

Built on the runtime's :class:`~bgview.runtime.watch.JobWatcher` (watchfiles), the watcher the
viewer uses: its batches of typed events arrive in a thread of their own, and those that matter
to a prompt (a job started, ended or was removed; not its log growing) wake the loop. A slow
refresh runs as well: a job whose supervisor vanished is only recorded ``lost`` when someone
looks at it. Where the file system cannot be watched (no inotify, or no watches left), the
refresh runs more often instead.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Callable

from bgview.runtime import Runtime
from bgview.runtime.events import EventKind
from bgview.runtime.watch import JobWatcher

STEP_MS = 20
"""How often the watcher looks for changes: a chip or a notice 20–40 ms late is not late to
anyone, and an idle prompt costs next to nothing (the viewer's 2 ms step costs ~1% of a core)."""
DEBOUNCE_MS = 200
"""The longest a burst of changes (a hundred jobs ending) is grouped into one batch."""
REFRESH = 1.0
"""Seconds between looks at the store when nothing was heard."""
FALLBACK_REFRESH = 0.5
"""Seconds between looks at the store when it cannot be watched."""
STOP_WAIT = 1.0
"""Seconds :meth:`StoreWatcher.stop` waits for the watching thread (it ends within a step)."""
TOLD = frozenset({EventKind.STARTED, EventKind.ENDED, EventKind.REMOVED})
"""The events that change the chip or bring a notice."""


class StoreWatcher:
    """Calls ``on_change()`` in the loop soon after a job of the project starts or ends.

    :meth:`start` and :meth:`stop` it from inside the loop.
    """

    def __init__(self, runtime: Runtime, on_change: Callable[[], None]) -> None:
        self.runtime = runtime
        self.on_change = on_change
        self.failed = False
        """The store could not be watched: the refresh runs every :data:`FALLBACK_REFRESH`."""
        self._jobs = JobWatcher(runtime.project)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._watch, name="bgview-store-watch", daemon=True)
        self._thread.start()
        self._task = asyncio.create_task(self._refresh())

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT)
            self._thread = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _watch(self) -> None:
        """The watching thread: the store as it is now, then its changes until :meth:`stop`."""
        try:
            # Load watchfiles before the scan, so that the scan and the watch are a moment
            # apart: a job that starts between the two is caught by its next write anyway.
            importlib.import_module("watchfiles")
            self._jobs.scan()  # the base later changes are told against
            self._wake()  # and what it found (jobs started just before us) is told once
            for events in self._jobs.watch(self._stop, step=STEP_MS, debounce=DEBOUNCE_MS):
                if any(event.kind in TOLD for event in events):
                    self._wake()
        except (OSError, RuntimeError):
            # No inotify here, or no watches left (watchfiles raises RuntimeError for what
            # it cannot name): the refresh looks more often instead.
            self._wake(self._fall_back)

    def _wake(self, callback: Callable[[], None] | None = None) -> None:
        """From the watching thread: have the loop call back, unless we are stopping (the loop
        may be closing, and would refuse the call)."""
        if not self._stop.is_set() and self._loop is not None:
            self._loop.call_soon_threadsafe(callback or self._soon)

    def _fall_back(self) -> None:
        """The store cannot be watched: look at it every :data:`FALLBACK_REFRESH` from now."""
        self.failed = True
        if self._task is not None:
            self._task.cancel()
            self._task = asyncio.create_task(self._refresh())
        self._soon()

    def _soon(self) -> None:
        """Coalesce a burst of events (ten jobs ending at once) into one call."""
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._fire)

    def _fire(self) -> None:
        self._scheduled = False
        if not self._stop.is_set():
            self.on_change()

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(FALLBACK_REFRESH if self.failed else REFRESH)
            self._soon()
