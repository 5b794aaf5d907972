"""Snapshot tests of a log in a person's hands (:mod:`tests.ui.scenarios_log`): what each
looks like is in its docstring."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.ui.scenarios import build_app
from tests.ui.scenarios_log import LOG_SCENARIOS

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Arrival times drawn in UTC, wherever the tests run."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _check(snap_compare: SnapCompare, home: Path, name: str) -> None:
    scenario = next(s for s in LOG_SCENARIOS if s.name == name)
    app, store = build_app(scenario, home)
    try:
        assert snap_compare(app, terminal_size=scenario.size, run_before=scenario.keys)
    finally:
        store.close()


def test_a_search_says_match_3_of_8(snap_compare: SnapCompare, home: Path) -> None:
    """The API server's screen; its bar ends "search /ERROR/: match 3 of 8"; the third ERROR
    line (order=803) in the middle of the pane, its row in the accent colour and "ERROR" in
    the match colour, as in the other ERROR lines on screen."""
    _check(snap_compare, home, "search")


def test_t_shows_when_each_line_came(snap_compare: SnapCompare, home: Path) -> None:
    """From line 1,501 (INFO GET /api/items/1500) on: a muted gutter of times before each line,
    13:16:20 for the first ten, 13:16:21 for the next ten (a line every 0.12 s here), then
    13:16:22; the lines as before, after the gutter."""
    _check(snap_compare, home, "times")


def test_w_wraps_a_long_line(snap_compare: SnapCompare, home: Path) -> None:
    """From line 1,200: the ERROR line of order=1203 is not cut at the edge; it goes on in the
    row below ("after 30s (attempt 3 of 3); giving up", no letter lost under the scrollbar),
    the INFO lines after it follow."""
    _check(snap_compare, home, "wrap")


def test_v_selects_lines(snap_compare: SnapCompare, home: Path) -> None:
    """From line 1,250: its first four lines (items 1249 to 1252) in the selection colour;
    the footer still lists the log's keys."""
    _check(snap_compare, home, "visual")


def test_f_over_a_multi_bar_progress_shows_its_bars_as_drawn(
    snap_compare: SnapCompare, home: Path
) -> None:
    """The download's screen, its bar saying "filter /whl/: 3 of … lines": three rows, torch at
    36%, numpy at 50%, pillow at 82%, each bar drawn in its colours as in the unfiltered pane —
    no frames run together, no escape shown."""
    _check(snap_compare, home, "filtered-bars")
