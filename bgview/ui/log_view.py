"""The log pane's view: the lines of a job's log (:class:`~bgview.ui.log_lines.LogLines`),
searched and filtered.

A search or a filter over more than a few hundred kilobytes runs in a thread worker
(:mod:`bgview.ui.log_scan`), one of each kind at a time (``exclusive``), cancelled when a newer
one starts or another log opens (the worker checks ``is_cancelled`` between blocks). Progress
and results come back as messages, so the UI thread never waits for a scan: the bar shows
``searching… 40%`` meanwhile, and a filter's rows appear as they are found.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from textual import on, work
from textual.message import Message
from textual.reactive import reactive
from textual.worker import get_current_worker

from bgview.runtime.patterns import UserPattern
from bgview.ui.log_model import LogState
from bgview.ui.log_scan import INLINE_BYTES, Throttle, Window, find, matching_lines, scan_blocks
from bgview.ui.log_term import TermLines

__all__ = ["LogState", "LogView"]

HAND_BACK = 0.1
"""How often a filter's worker hands the matches found so far to the view."""

Scan = Literal["search", "filter"]


class LogView(TermLines):
    """A job's output, following its tail until you scroll up; searched (:meth:`find`) and
    filtered (:attr:`filter`) off the UI thread."""

    filter: reactive[UserPattern | None] = reactive(None)
    """Only lines matching this are shown (``None``: every line)."""

    @dataclass
    class Searched(Message):
        """A search (``/``, ``n``, ``N``) ended: on the line it moved to, or ``None``: no match."""

        view: LogView
        line: int | None

        @property
        def control(self) -> LogView:
            return self.view

    @dataclass
    class _Progress(Message, bubble=False):
        """A scan's worker got this far (``done``, 0 to 1); newer news replaces older."""

        scan: Scan
        generation: int
        done: float

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, LogView._Progress) and message.scan == self.scan

    @dataclass
    class _Found(Message, bubble=False):
        """A search's worker ended: the line it found, or ``None``."""

        generation: int
        line: int | None

    @dataclass
    class _Matched(Message, bubble=False):
        """A filter's worker found these lines (``last``: and it is done)."""

        generation: int
        lines: list[int]
        keep_place: bool
        last: bool

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._find_gen = 0
        """Counts finds (``/``, ``n``, ``N``): a worker's answer to an older one is dropped."""
        self._filter_gen = 0
        self._busy: dict[Scan, float] = {}
        """Scans under way in workers, and how far each got."""

    @property
    def state(self) -> LogState:
        busy = None
        for scan, done in self._busy.items():
            busy = f"{'searching' if scan == 'search' else 'filtering'}… {done:.0%}"
        return self.model.state(self.follow, busy)

    def _window_changed(self) -> None:
        self._cancel_scans()
        self._start_filter()

    def _lines_added(self, first: int, last: int) -> bool:
        if self.model.filter is None:
            return True
        self._scan_filter(first, last, keep_place=True)  # its rows come with the matches
        return False

    def _may_extend(self) -> bool:
        # While the filter's matches still come in, scrolling to the top reads on afterwards.
        return "filter" not in self._busy

    # ---- search -------------------------------------------------------------------------

    def watch_search(self) -> None:
        super().watch_search()
        self._find_gen += 1
        self.workers.cancel_group(self, "search")
        self._done("search")

    def find(self, forward: bool = True) -> None:
        """Move to the next (or previous) line matching :attr:`search`, then post
        :class:`Searched`. Starts after (before) the current match, or from the top (bottom)
        of the screen, and wraps around the window once."""
        model, pattern = self.model, self.search
        if pattern is None or model.file is None or not model.row_count:
            self.post_message(self.Searched(self, None))
            return
        row = model.row_of(model.current_match) if model.current_match is not None else None
        if row is not None:
            row += 1 if forward else -1
        else:
            row = self.scroll_offset.y if forward else self.scroll_offset.y + self.size.height - 1
        start = model.row_line(row % model.row_count)
        keep = model.visible if model.filter is not None else None
        live = model.live_window()
        self._find_gen += 1  # an answer to an earlier n or N is of no use now
        if live.bytes_between(live.index.first, live.index.last) <= INLINE_BYTES:
            self._found(self._find_gen, find(live, pattern, start, forward, keep))
            return
        # The view holds still while it is searched, as it will on the match: following, a
        # busy job would move the window (and jump it to its tail) under the search.
        self.follow = False
        self._busy["search"] = 0.0
        self._changed()
        keep_copy = None if keep is None else keep[:]
        self._find_worker(model.window(), pattern, start, forward, keep_copy, self._find_gen)

    @work(thread=True, exclusive=True, group="search")
    def _find_worker(
        self,
        window: Window,
        pattern: UserPattern,
        start: int,
        forward: bool,
        keep: Sequence[int] | None,
        generation: int,
    ) -> None:
        worker = get_current_worker()
        throttle = Throttle(
            lambda done: self.post_message(self._Progress("search", generation, done))
        )
        line = find(window, pattern, start, forward, keep, lambda: worker.is_cancelled, throttle)
        if not worker.is_cancelled:
            self.post_message(self._Found(generation, line))

    @on(_Found)
    def _found_in_worker(self, message: _Found) -> None:
        self._found(message.generation, message.line)

    def _found(self, generation: int, line: int | None) -> None:
        if generation != self._find_gen:
            return
        self._done("search")
        row = self.model.row_of(line) if line is not None else None
        if line is None or row is None:
            self.post_message(self.Searched(self, None))
            return
        self.model.current_match = line
        self.follow = False
        self._scroll_quietly(row - self.size.height // 2)
        self.refresh()
        self.post_message(self.Searched(self, line))

    # ---- filter -------------------------------------------------------------------------

    def watch_filter(self) -> None:
        self._start_filter()
        self._sync_size()
        if self.follow:
            self._scroll_to_end()
        else:
            self._scroll_quietly(0)
        self.refresh()
        self._changed()

    def _start_filter(self) -> None:
        """Match the whole window against :attr:`filter` (or show every line again)."""
        self.workers.cancel_group(self, "filter")
        self._done("filter")
        generation, first, last = self.model.start_filter(self.filter)
        self._filter_gen = generation
        self._cache.clear()  # the current match is forgotten
        if first < last:
            self._scan_filter(first, last, keep_place=False)

    def _scan_filter(self, first: int, last: int, keep_place: bool) -> None:
        """Match lines ``[first, last)``: at once if they are few, else in a worker."""
        model, pattern = self.model, self.model.filter
        assert pattern is not None
        live = model.live_window()
        if live.bytes_between(first, last) <= INLINE_BYTES:
            lines = matching_lines(live, first, last, pattern)
            self._add_matches(self._Matched(self._filter_gen, lines, keep_place, last=True))
            return
        self._busy["filter"] = 0.0
        self._filter_worker(model.window(), pattern, first, last, keep_place, self._filter_gen)

    @work(thread=True, exclusive=True, group="filter")
    def _filter_worker(
        self,
        window: Window,
        pattern: UserPattern,
        first: int,
        last: int,
        keep_place: bool,
        generation: int,
    ) -> None:
        worker = get_current_worker()
        found: list[int] = []
        looked = 0
        handed = time.monotonic()
        for lines, matches in scan_blocks(
            window, first, last, pattern, lambda: worker.is_cancelled
        ):
            found.extend(matches)
            looked += lines
            if time.monotonic() - handed >= HAND_BACK:
                self.post_message(self._Matched(generation, found, keep_place, last=False))
                self.post_message(self._Progress("filter", generation, looked / (last - first)))
                found, handed = [], time.monotonic()
        if not worker.is_cancelled:
            self.post_message(self._Matched(generation, found, keep_place, last=True))

    @on(_Matched)
    def _add_matches(self, message: _Matched) -> None:
        if message.generation != self._filter_gen:
            return
        row, count = self.model.add_matches(message.generation, message.lines)
        if message.last:
            self._done("filter")
        if count:
            self._sync_size()
            if self.follow:
                self._scroll_to_end()
            elif message.keep_place and row <= self.scroll_offset.y:
                self._scroll_quietly(self.scroll_y + count)
            self.refresh()
        self._changed()

    # ---- scans under way ----------------------------------------------------------------

    @on(_Progress)
    def _progress(self, message: _Progress) -> None:
        current = self._find_gen if message.scan == "search" else self._filter_gen
        if message.generation == current and message.scan in self._busy:
            self._busy[message.scan] = message.done
            self._changed()

    def _done(self, scan: Scan) -> None:
        if self._busy.pop(scan, None) is not None:
            self._changed()

    def _cancel_scans(self) -> None:
        self.workers.cancel_node(self)
        self._find_gen += 1
        self._busy.clear()
