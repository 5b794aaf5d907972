"""The log pane's view: every line of a job's log (:class:`~bgview.ui.log_lines.LogLines`),
counted, searched and filtered off the UI thread.

Three kinds of thread worker, each one at a time (and the count only while no scan runs:
the UI thread shares the GIL with one worker, not two): the *count* of the lines before the tail
(a big log opens at its tail at once, the rest is counted meanwhile: ~1 s a gigabyte), and a
*scan* each for the search and the filter, over the whole log (:mod:`bgview.ui.log_matches`).
A scan hands back what it found every :data:`HAND_BACK` seconds, so the filter's rows stream
in and the search's total counts up (``match 3 of 41+``); ``n``/``N`` answer as soon as the
scan has been where the answer lies. New output is matched as it is taken in, and a backlog
skipped under a firehose is scanned afterwards (the scan's holes).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass

from textual import on, work
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.worker import Worker, get_current_worker

from bgview.runtime.patterns import UserPattern
from bgview.ui.log_file import LogFile
from bgview.ui.log_filtered import FilteredLines
from bgview.ui.log_map import LineMap, count_range
from bgview.ui.log_matches import WAIT, Kind, Scan, scan_range
from bgview.ui.log_model import LogState
from bgview.ui.log_mouse import MouseSelectLines

__all__ = ["LogState", "LogView"]

KINDS: tuple[Kind, ...] = ("search", "filter")
WORKER_NICENESS = 10
BEAT = 0.015
"""How often the UI thread says it runs while workers do."""
MAX_GIVE_WAY = 0.05
"""The longest a worker stands aside for the UI thread in one go (it always gets on)."""
HAND_BACK = 0.1
"""How often a worker hands what it found (or counted) so far to the view."""


def _yield_to_keys() -> None:
    """Lower this worker thread's priority (Linux keeps one per thread): on a busy machine the
    UI thread, which answers keys, is then given the CPU first whenever both could run."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)


class LogView(MouseSelectLines, FilteredLines):
    """A job's output, following its tail until you scroll up; searched (:meth:`find`) and
    filtered (:attr:`filter`) over the whole log, off the UI thread."""

    filter: reactive[UserPattern | None] = reactive(None)
    """Only lines matching this are shown (``None``: every line)."""

    @dataclass
    class Searched(Message):
        """A search (``/``, ``n``, ``N``) ended: on the line starting at ``line`` (a logical
        offset) it moved to, or ``None``: no match."""

        view: LogView
        line: int | None

        @property
        def control(self) -> LogView:
            return self.view

    @dataclass
    class _Found(Message, bubble=False):
        """A scan's worker matched ``[a, b)`` (``last``: and it is done)."""

        scan: Scan
        a: int
        b: int
        starts: list[int]
        stops: list[int]
        last: bool

    @dataclass
    class _Counted(Message, bubble=False):
        """The count's worker got this far (``last``: it is done)."""

        file: LogFile
        lmap: LineMap
        last: bool

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._pending: tuple[bool, int] | None = None
        """A find waiting for the search's scan: ``(forward, from offset)``."""
        self._workers_on: set[str] = set()
        """Workers under way: ``count``, ``search``, ``filter``."""
        self._scanners: dict[Kind, Worker[None]] = {}
        self._beat = time.monotonic()
        """When the UI thread last ran its heartbeat (see :meth:`_give_way`)."""
        self._beat_timer: Timer | None = None

    # ---- the UI thread first -------------------------------------------------------------

    def _beating(self) -> None:
        """While workers run, the UI thread notes every :data:`BEAT` that it got to run."""
        self._beat = time.monotonic()
        if self._beat_timer is None:
            self._beat_timer = self.set_interval(BEAT, self._heartbeat)

    def _heartbeat(self) -> None:
        self._beat = time.monotonic()
        if not self._workers_on and self._beat_timer is not None:
            self._beat_timer.stop()
            self._beat_timer = None

    def _give_way(self) -> None:
        """In a worker, between blocks: if the UI thread has not run for a while (it waits for
        the GIL behind the workers), stand aside until it has, or :data:`MAX_GIVE_WAY`."""
        deadline = time.monotonic() + MAX_GIVE_WAY
        while time.monotonic() - self._beat > 2 * BEAT and time.monotonic() < deadline:
            time.sleep(0.002)

    @property
    def state(self) -> LogState:
        return self.model.state(self.follow, self._busy())

    @property
    def current_line(self) -> int | None:
        """The row of the current match (what tests and the panel read)."""
        match = self.model.current_match
        return self.model.row_of_offset(match) if match is not None else None

    def _busy(self) -> str | None:
        model = self.model
        size = max(1, model.tail.end - model.map.base)
        for kind in KINDS:
            scan = model.scans.get(kind)
            if scan is not None and not scan.done:
                left = sum(hi - lo for lo, hi in scan.holes)
                word = "searching" if kind == "search" else "filtering"
                return f"{word}… {1 - left / size:.0%}"
        if model.gap:
            todo = max(1, model.tail.base - model.map.base)
            return f"counting lines… {(model.map.end - model.map.base) / todo:.0%}"
        return None

    def _window_changed(self) -> None:
        """Another log (or the same one started over): count it, scan it again."""
        self.workers.cancel_node(self)
        self._workers_on.clear()
        self._scanners.clear()
        self._pending = None
        self._start_count()
        self._rescan("search", self.search)
        self._rescan("filter", self.filter)

    def _jumped(self) -> None:
        self._start_count()
        for kind in KINDS:
            self._scan_on(kind)

    # ---- counting -------------------------------------------------------------------------

    def _start_count(self) -> None:
        job = self.model.count_job()
        if job is None or "count" in self._workers_on or self.model.file is None:
            return
        if self._workers_on & set(KINDS):
            return  # one worker at a time beside the UI thread: counting goes on after the scan
        self._workers_on.add("count")
        self._beating()
        self._count_worker(self.model.file, *job)
        self._changed()

    @work(thread=True, exclusive=True, group="count")
    def _count_worker(self, file: LogFile, lmap: LineMap, stop: int) -> None:
        worker = get_current_worker()
        _yield_to_keys()
        handed = time.monotonic()
        for _ in count_range(lmap, stop, file.read_at, lambda: worker.is_cancelled):
            self._give_way()
            if time.monotonic() - handed >= HAND_BACK:
                self.post_message(self._Counted(file, lmap.copy(), last=False))
                handed = time.monotonic()
        if not worker.is_cancelled:
            self.post_message(self._Counted(file, lmap, last=True))

    @on(_Counted)
    def _counted(self, message: _Counted) -> None:
        if "count" not in self._workers_on or message.file is not self.model.file:
            return  # another log's
        top = self.model.offset_of_row(self.scroll_offset.y) if not self.follow else None
        delta = self.model.counted(message.lmap)
        if message.last:
            self._workers_on.discard("count")
            if delta is None:
                self._start_count()  # the tail moved on meanwhile: count the rest
        if delta is not None:
            row = self.model.row_of_offset(top) if top is not None else None
            self._renumbered(delta if row is None else row - self.scroll_offset.y)
        self._changed()

    # ---- scans ----------------------------------------------------------------------------

    def _rescan(self, kind: Kind, pattern: UserPattern | None) -> None:
        """Match ``pattern`` over the whole log for the search or the filter, anew."""
        worker = self._scanners.pop(kind, None)
        if worker is not None:
            worker.cancel()
        self._workers_on.discard(kind)
        self.model.start_scan(kind, pattern)
        self._scan_on(kind)

    def _scan_on(self, kind: Kind) -> None:
        """Start a worker on what ``kind``'s scan has not matched yet, if none is at it."""
        scan = self.model.scans.get(kind)
        if scan is None or scan.done or kind in self._workers_on or self.model.file is None:
            return
        top = self.model.offset_of_row(self.scroll_offset.y) if kind == "search" else None
        if "count" in self._workers_on:  # it hands back what it counted: little is lost
            self.workers.cancel_group(self, "count")
            self._workers_on.discard("count")
        self._workers_on.add(kind)
        self._beating()
        self._scanners[kind] = self._scan_worker(self.model.file, scan, scan.plan(top or 0))

    @work(thread=True, group="scan")
    def _scan_worker(self, file: LogFile, scan: Scan, plan: list[tuple[int, int]]) -> None:
        worker = get_current_worker()
        _yield_to_keys()
        for a, b in plan:
            starts: list[int] = []
            stops: list[int] = []
            handed, reached = time.monotonic(), a
            drawn, cancelled = scan.matches.drawn, lambda: worker.is_cancelled
            for end, got, ends in scan_range(file, a, b, scan.pattern, cancelled, drawn):
                self._give_way()
                starts += got
                stops += ends
                if time.monotonic() - handed >= HAND_BACK or len(starts) > 50_000:
                    self.post_message(self._Found(scan, reached, end, starts, stops, False))
                    starts, stops, handed, reached = [], [], time.monotonic(), end
            if worker.is_cancelled:
                return
            self.post_message(self._Found(scan, reached, b, starts, stops, False))
        self.post_message(self._Found(scan, 0, 0, [], [], True))

    @on(_Found)
    def _found(self, message: _Found) -> None:
        scan = message.scan
        row = self.model.add_found(scan, message.a, message.b, message.starts, message.stops)
        if row < 0:
            return
        if message.last:
            self._workers_on.discard(scan.kind)
            self._scan_on(scan.kind)  # a backlog skipped meanwhile is still to be matched
            self._start_count()  # set aside while the scan ran
        count = len(message.starts)
        if scan.kind == "filter" and count:
            self._sync_size()
            if self.follow:
                self._scroll_to_end()
            elif row <= self.scroll_offset.y:
                self._scroll_quietly(self.scroll_y + count)
            self.refresh()
        if scan.kind == "search" and self._pending is not None:
            self._find_from(*self._pending)
        self._changed()

    # ---- search -------------------------------------------------------------------------

    def watch_search(self) -> None:
        super().watch_search()
        self._pending = None
        self._rescan("search", self.search)
        self._changed()

    def find(self, forward: bool = True) -> None:
        """Move to the next (previous) line matching :attr:`search`, then post
        :class:`Searched`: after (before) the current match, or from the top of the screen;
        wrapping around the log once. Waits for the scan if it has not been there yet."""
        model = self.model
        if self.search is None or model.file is None or "search" not in model.scans:
            self.post_message(self.Searched(self, None))
            return
        ref = model.current_match
        if ref is None:
            top = model.offset_of_row(self.scroll_offset.y) or model.map.base
            ref = top - 1 if forward else top
        self._find_from(forward, ref)

    def _find_from(self, forward: bool, ref: int) -> None:
        model = self.model
        scan = model.scans.get("search")
        if scan is None:
            self._pending = None
            return
        found, start = scan.matches, ref
        for _ in range(len(found) + 1):
            got = scan.next(ref, forward, model.map.base, model.tail.end)
            if got == WAIT:
                self._pending = (forward, start)
                self.follow = False  # hold still on the way to the match
                return
            if got is None:
                break
            offset = found.starts[got]
            if model.row_of_offset(offset) is not None:  # a filter's row (or no filter)
                self._go_to_match(offset)
                return
            if offset == start:
                break
            ref = offset
        self._pending = None
        self.post_message(self.Searched(self, None))

    def _go_to_match(self, offset: int) -> None:
        self._pending = None
        self.model.current_match = offset
        self.model.seat_at(offset)  # not counted yet: seated where the match is
        row = self.model.row_of_offset(offset)
        self.follow = False
        if row is not None:
            self._scroll_quietly(row - self.size.height // 2)
        self.refresh()
        self.post_message(self.Searched(self, offset))
        self._changed()

    def go_to_row(self, row: int) -> None:
        """``:``: put row ``row`` at the top (clamped to the log), not following."""
        self.follow = False
        self._scroll_quietly(max(0, min(row, self.model.row_count - 1)))
        self.refresh()
        self._changed()

    # ---- filter -------------------------------------------------------------------------

    def watch_filter(self) -> None:
        self._rescan("filter", self.filter)
        self._cache.clear()
        self._sync_size()
        if self.follow:
            self._scroll_to_end()
        else:
            self._scroll_quietly(0)
        self.refresh()
        self._changed()
