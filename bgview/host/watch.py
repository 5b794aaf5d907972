"""Learning that a project's jobs started or ended, inside an asyncio loop, without polling.

A job's start creates its directory under ``jobs/``; its end appends a line to the project's
``notices.log``. Watching those two directories (inotify, see :mod:`bgview.host.inotify`) is
enough for the chip and the notices. A slow refresh runs as well: a job whose supervisor
vanished is only recorded ``lost`` when someone looks at it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bgview.host.inotify import IN_CREATE, IN_MODIFY, IN_MOVED_TO, DirWatch, open_watch
from bgview.runtime import Runtime

REFRESH = 2.0
"""Seconds between looks at the store when nothing was heard (or inotify is missing)."""
SETTLE = 0.1
"""A new job's directory appears a moment before its record: look again after this."""


class StoreWatcher:
    """Calls ``on_change()`` in the loop soon after a job of the project starts or ends."""

    def __init__(self, runtime: Runtime, on_change: Callable[[], None]) -> None:
        self.runtime = runtime
        self.on_change = on_change
        self._watch: DirWatch | None = None
        self._task: asyncio.Task[None] | None = None
        self._scheduled = False

    def start(self) -> None:
        project = self.runtime.project.ensure()
        loop = asyncio.get_running_loop()
        self._watch = open_watch()
        if self._watch is not None and not (
            self._watch.add(project.dir, IN_MODIFY | IN_MOVED_TO)
            and self._watch.add(project.jobs_dir, IN_CREATE | IN_MOVED_TO)
        ):
            self._watch.close()
            self._watch = None
        if self._watch is not None:
            loop.add_reader(self._watch.fileno(), self._on_event)
        self._task = asyncio.create_task(self._refresh())

    def stop(self) -> None:
        if self._watch is not None:
            asyncio.get_running_loop().remove_reader(self._watch.fileno())
            self._watch.close()
            self._watch = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _on_event(self) -> None:
        assert self._watch is not None
        changed = self._watch.read()
        if changed:
            self._soon()
            if any(d == self.runtime.project.jobs_dir for d, _ in changed):
                asyncio.get_running_loop().call_later(SETTLE, self._soon)

    def _soon(self) -> None:
        """Coalesce a burst of events (ten jobs ending at once) into one call."""
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._fire)

    def _fire(self) -> None:
        self._scheduled = False
        self.on_change()

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH)
            self._soon()
