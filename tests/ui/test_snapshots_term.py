"""Snapshot tests of output drawn as a terminal draws it (scenes in ``scenarios_term.py``;
``make screenshots`` draws the same for the README). Regenerate with
``pytest tests/ui/test_snapshots_term.py --snapshot-update`` and look at every SVG first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.ui.scenarios import build_app
from tests.ui.scenarios_term import TERM_SCENARIOS

SnapCompare = Callable[..., bool]


def _check(snap_compare: SnapCompare, home: Path, name: str) -> None:
    scenario = next(s for s in TERM_SCENARIOS if s.name == name)
    app, store = build_app(scenario, home)
    try:
        assert snap_compare(app, terminal_size=scenario.size, run_before=scenario.keys)
    finally:
        store.close()


def test_a_three_bar_download_drawn_in_place(snap_compare: SnapCompare, home: Path) -> None:
    """A running download (bash_3, on top) drawing rich's three bars: the pane shows
    "✓ resolved 3 packages" and below it torch at 36 %, numpy at 50 %, pillow at 82 %, each
    bar once, in its colours (blue names, magenta percentages, green sizes, cyan times), on
    the terminal's own background; no stale frame above them."""
    _check(snap_compare, home, "bars")


def test_htop_shown_as_its_current_screen(snap_compare: SnapCompare, home: Path) -> None:
    """htop in a job, opened full-screen: its current screen from the top — the CPU and
    memory meters, Tasks/Load average/Uptime, the Main and I/O tabs, the column headings in
    black on green, the process list with its coloured columns — not a stream of frames."""
    _check(snap_compare, home, "htop")
