"""Selecting the log's lines with the mouse, where the terminal lets the viewer see it.

A drag over the log pane selects whole lines, from the one pressed on to the one under the
pointer, drawn as visual mode (``v``) draws its selection — it *is* visual mode, its anchor
and cursor set by the mouse — and on release they are copied as ``y`` copies them (cleaned,
through the terminal: OSC 52; :func:`~bgview.ui.log_actions.copy_rows`). The selection stays
shown after the copy, as a terminal's does: the movement keys extend it, ``y`` copies it again,
``esc`` or a click in the log leaves it. Dragging past the pane's top or bottom edge scrolls
it a line per move.

Textual's own text selection is turned off here (``ALLOW_SELECT``): it knows the widget's
rendered cells, not the log's lines, and would copy what happens to be on screen, escapes
drawn as text included.

A terminal gives the viewer the mouse only while it asks for it (Textual does) and while the
terminal itself does not keep it: in tmux with ``mouse on`` a drag is tmux's own (its copy
mode) unless the pane's program asks for the mouse, as the viewer does; a shift-drag is left
to the terminal in most emulators.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.geometry import Offset

from bgview.ui.log_actions import copy_rows
from bgview.ui.log_decor import GUTTER, DecoratedLines


class MouseSelectLines(DecoratedLines):
    """Log lines a mouse drag selects and copies (see the module's docstring)."""

    ALLOW_SELECT: ClassVar[bool] = False

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._press: tuple[int, Offset] | None = None
        """Where the left button went down: the view row, and the pointer's screen cell."""
        self._dragged = False

    def row_at(self, y: int) -> int | None:
        """The view row drawn at the pane's screen row ``y`` (clamped to the pane), or
        ``None`` with no rows."""
        if not self.row_count:
            return None
        height = max(1, self.scrollable_content_region.height)
        y = max(0, min(height - 1, y))
        if self.wrap:
            width = max(1, self.scrollable_content_region.width - (GUTTER if self.times else 0))
            pieces = self._wrapped(width)
            if not pieces:
                return None
            return pieces[min(y, len(pieces) - 1)][0]
        return min(self.row_count - 1, self.scroll_offset.y + y)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        row = self.row_at(event.y)
        if row is None:
            return
        self._press, self._dragged = (row, event.screen_offset), False
        self.capture_mouse()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        press = self._press
        if press is None or (not self._dragged and event.screen_offset == press[1]):
            return
        height = self.scrollable_content_region.height
        if event.y < 0 or event.y >= height:  # past an edge: the lines beyond come into view
            step = -1 if event.y < 0 else 1
            self._scroll_quietly(self.scroll_offset.y + step)
            self.follow = False
        row = self.row_at(event.y)
        if row is None:
            return
        if not self._dragged:
            self._dragged = True
            self.follow = False
            self.sel_anchor = press[0]
            self.visual = True
        self.sel_cursor = row
        self._keep_cursor_in_view()
        self.refresh()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        press, self._press = self._press, None
        if press is None:
            return
        self.release_mouse()
        if not self._dragged:
            self.visual = False  # a click leaves a selection, as in a terminal
            return
        self._dragged = False
        first, last = self.selection()
        copy_rows(self, first, last)
