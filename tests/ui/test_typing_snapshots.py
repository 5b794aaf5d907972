"""Snapshot tests of typing into jobs: the input box and an attached job (the scenes are in
``typing_scenes.py``; ``make screenshots`` draws them for the README too)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.ui.scenarios import build_app
from tests.ui.typing_scenes import TYPING_SCENARIOS

SnapCompare = Callable[..., bool]


def _check(snap_compare: SnapCompare, home: Path, name: str) -> None:
    scenario = next(s for s in TYPING_SCENARIOS if s.name == name)
    app, store = build_app(scenario, home)
    try:
        assert snap_compare(app, terminal_size=scenario.size, run_before=scenario.keys)
    finally:
        store.close()


def test_input_box_at_a_prompt(snap_compare: SnapCompare, home: Path) -> None:
    """i on the migration (bash_2): a box over the dimmed table, "Type into bash_2", the
    prompt it asks ("Apply 3 migrations to the production database? [y/N]"), the line with
    the y typed, and "enter send · esc cancel" below it."""
    _check(snap_compare, home, "input")


def test_input_box_at_a_password_prompt(snap_compare: SnapCompare, home: Path) -> None:
    """i on the deploy asking for a password (bash_3): the box's border in the warning
    colour, the seven characters typed shown as dots, and the line below saying they are
    hidden because the job's terminal does not echo."""
    _check(snap_compare, home, "password")


def test_attached_htop(snap_compare: SnapCompare, home: Path) -> None:
    """a on htop (bash_2): "attached to bash_2  htop  ·  ctrl+] detaches" on top, then
    htop's own screen in its colours — the CPU and memory meters, the header row on its
    green background, the three processes, and its F-key bar on the last row — and the
    footer offering only ctrl+] Detach."""
    _check(snap_compare, home, "attached")
