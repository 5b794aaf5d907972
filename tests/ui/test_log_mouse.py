"""A mouse drag over the log pane, under Textual's pilot: it selects whole lines, drawn as visual
mode draws them, and copies them on release as `y` does (cleaned; what the app hands to the
terminal's clipboard through OSC 52 is what is asserted). A plain click copies nothing and
leaves the selection; a drag over a rich multi-bar progress copies the rows the terminal drew.
The same through a real terminal (tmux, its buffer) is in `test_log_outside.py`."""

from __future__ import annotations

from pathlib import Path

from bgview.ui.log_view import LogView
from tests.runtime.test_screen import RECORDINGS
from tests.ui.helpers import toasts, until, visible_lines
from tests.ui.test_log_keys import job_log


def selected_rows(view: LogView) -> list[int]:
    """The screen rows drawn on the selection's background."""
    selected = view.get_component_rich_style("log--selected").bgcolor
    rows = []
    for y in range(view.scrollable_content_region.height):
        text = [s for s in view.render_line(y) if s.text.strip()]
        if text and all(s.style is not None and s.style.bgcolor == selected for s in text):
            rows.append(y)
    return rows


async def test_a_drag_selects_lines_and_copies_them_cleaned_on_release(
    home: Path, tmp_path: Path
) -> None:
    async with job_log(home, tmp_path) as (pilot, app, view, _):
        await pilot.press("colon", *"101", "enter")  # "red 0100" at the top
        assert visible_lines(view)[:3] == ["red 0100", "line 0101", "line 0102"]
        await pilot.mouse_down(view, offset=(3, 0))
        await pilot.hover(view, offset=(10, 1))
        await pilot.hover(view, offset=(5, 2))
        assert view.visual and view.selection() == (100, 102)  # shown as `v` shows it
        assert selected_rows(view) == [0, 1, 2]
        assert app.clipboard == ""  # nothing copied before the button is let go
        await pilot.mouse_up(view, offset=(5, 2))
        assert app.clipboard == "red 0100\nline 0101\nline 0102"  # no colour codes
        assert ("copied 3 lines", "information") in toasts(app)
        assert view.visual and selected_rows(view) == [0, 1, 2]  # still shown, as a terminal does
        await pilot.click(view, offset=(5, 10))
        assert not view.visual  # a click leaves it
        assert app.clipboard == "red 0100\nline 0101\nline 0102"  # and copies nothing


async def test_a_drag_upwards_and_past_the_edge_scrolls_and_selects(
    home: Path, tmp_path: Path
) -> None:
    async with job_log(home, tmp_path) as (pilot, app, view, _):
        await pilot.press("colon", *"101", "enter")
        await pilot.mouse_down(view, offset=(2, 1))  # "line 0101", the second row
        for y in (-1, -2, -1):  # the pointer moved above the pane's top: a line each move
            await pilot.hover(view, offset=(2, y))
        assert view.scroll_offset.y == 97 and not view.follow
        await pilot.mouse_up(view, offset=(2, 0))  # let go on the top row
        assert app.clipboard == "line 0097\nline 0098\nline 0099\nred 0100\nline 0101"


async def test_a_drag_over_a_multi_bar_progress_copies_what_the_terminal_drew(
    home: Path, tmp_path: Path
) -> None:
    data = (RECORDINGS / "rich_bars.bytes").read_bytes()
    async with job_log(home, tmp_path, data, size=(130, 30)) as (pilot, app, view, _):
        await until(pilot, lambda: "done" in visible_lines(view), timeout=20, what="the bars drawn")
        lines = visible_lines(view)
        top = lines.index("step 0 " + "━" * 40 + " 100% 0:00:00")
        await pilot.mouse_down(view, offset=(0, top))
        await pilot.hover(view, offset=(0, top + 3))
        await pilot.mouse_up(view, offset=(0, top + 3))
        bar = " " + "━" * 40 + " 100% 0:00:00"
        assert app.clipboard == f"step 0{bar}\nstep 1{bar}\nstep 2{bar}\ndone"
