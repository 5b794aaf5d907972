"""Snapshot tests: each compares the viewer's screen with an SVG a person looked at and accepted
(tests/ui/__snapshots__). The scenes are in ``scenarios.py``; ``make screenshots`` draws the
same scenes for the README. Regenerate with ``pytest tests/ui --snapshot-update`` and look at
every SVG before committing it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.ui.scenarios import PROJECT, SCENARIOS, Host, build_app, mixed, push_jobs
from tests.ui.store_builder import StoreBuilder

SnapCompare = Callable[..., bool]


def _scene(name: str) -> Any:
    return next(s for s in SCENARIOS if s.name == name)


def _check(snap_compare: SnapCompare, home: Path, name: str) -> None:
    scenario = _scene(name)
    app, store = build_app(scenario, home)
    try:
        assert snap_compare(app, terminal_size=scenario.size, run_before=scenario.keys)
    finally:
        store.close()


def test_table_with_mixed_statuses(snap_compare: SnapCompare, home: Path) -> None:
    """Seven jobs: two running on top (newest first, runtimes from the fixed clock), then
    exited 0 (✓ green), exited 1 (✗ red, exit 1), killed (SIGTERM, yellow), timeout, failed.
    The chip on the right of the footer says ⚙ 2 Background Jobs; the log pane below shows
    the top job's output with "● following"."""
    _check(snap_compare, home, "table")


def test_job_open_with_colours_and_progress_bar(snap_compare: SnapCompare, home: Path) -> None:
    """The build open full-screen: its command, cwd, pid, times; its log in colour, the
    progress bar as one line in its final state (100%), and the screen-clear escape gone."""
    _check(snap_compare, home, "job")


def test_toast_when_a_job_ends(snap_compare: SnapCompare, home: Path) -> None:
    """A red toast, bottom right: "bash_2 exited 1 · 79 B · 31 s"."""
    _check(snap_compare, home, "toast")


def test_empty_state(snap_compare: SnapCompare, home: Path) -> None:
    """No jobs: a box saying so, and how to start one; the chip says ⚙ 0 Background Jobs."""
    _check(snap_compare, home, "empty")


def test_cut_log(snap_compare: SnapCompare, home: Path) -> None:
    """The log bar says in yellow that the first 3.0 MB were dropped by the log size cap."""
    _check(snap_compare, home, "cut")


def test_narrow_terminal(snap_compare: SnapCompare, home: Path) -> None:
    """60×20: the command column shrinks to what is left and ends in "…"; nothing overlaps."""
    _check(snap_compare, home, "narrow")


def test_one_toast_for_twenty_jobs_ending_together(snap_compare: SnapCompare, home: Path) -> None:
    """Twenty test jobs end in one batch: a single red toast over the table's lower rows,
    "20 jobs ended: 18 exited 0, 2 failed (bash_5, bash_13)", and the log pane's last lines
    free of it."""
    _check(snap_compare, home, "ended")


def test_d_asks_before_deleting(snap_compare: SnapCompare, home: Path) -> None:
    """d on the failed test run (bash_2): a box over the dimmed screen asks "Delete bash_2
    and its log (81B)?", names its command, and says y deletes, n keeps."""
    _check(snap_compare, home, "delete")


def test_facts_in_the_table(snap_compare: SnapCompare, home: Path) -> None:
    """What jobs are doing: the migration waiting for input on top in the warning colour with
    "⌨ input"; the dev server "● ready" serving http://localhost:5173/ (3% CPU, 182MB); the
    busy test run at 388% CPU and 1.3GB; the API "◌ starting"; the build ended, with no
    facts. The chip says ⚙ 4 Background Jobs · 1 waiting."""
    _check(snap_compare, home, "facts")


def test_restart_counts_in_the_table(snap_compare: SnapCompare, home: Path) -> None:
    """Restart policies: the dev server "web" on top, "↻ restarting" in yellow (its third run
    crashed; it waits out the backoff) with 2/5 in the Restarts column; the queue worker
    running with 1/10; the build restarted by hand says "(restart of bash_2)" in its command;
    the worker that gave up is "✗ exited" with exit 1 and 5/5. Jobs without a policy have
    nothing in the Restarts column."""
    _check(snap_compare, home, "restarts")


def test_job_screen_lists_its_processes(snap_compare: SnapCompare, home: Path) -> None:
    """The ready dev server open full-screen: ● ready after 1.8s at http://localhost:5173/;
    its processes, npm and its └ node child, each with CPU, memory and (the child) port 5173,
    and the total; then its log."""
    _check(snap_compare, home, "processes")


def test_pushed_in_another_app(snap_compare: SnapCompare, home: Path) -> None:
    """bgview's jobs screen pushed by a plain Textual app with no CSS of bgview's: the same
    picture as test_table_with_mixed_statuses (the layout is the screen's own)."""
    store = StoreBuilder(home, PROJECT)
    mixed(store)
    try:
        assert snap_compare(Host(home), terminal_size=(120, 32), run_before=push_jobs)
    finally:
        store.close()
