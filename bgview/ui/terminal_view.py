"""A job's live terminal in the viewer: its emulated screen drawn cell by cell, and the keys
typed in it turned back into the bytes a terminal sends.

The screen is a :class:`~bgview.runtime.livescreen.LiveScreen` (pyte) of the widget's size,
fed the job's output by its owner (:mod:`bgview.ui.attach`); only the rows it changed are
redrawn. The terminal's own 16 colours stay ANSI colours (the user's palette), 256 colours
and true colour are drawn as such; the cursor is shown where the job's is, when the job shows
it. Every key reaches the job — Ctrl+C, Tab, Escape — except the detach key, which is the
screen's binding; what the widget makes of a key is :func:`~bgview.ui.term_keys.key_bytes`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from bgview.runtime.livescreen import LiveScreen, colour_index
from bgview.ui.term_keys import key_bytes

PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"


def _colour(name: str) -> Color | None:
    if name == "default":
        return None
    index = colour_index(name)
    if index is not None:
        return Color.from_ansi(index)
    try:
        return Color.from_rgb(*(int(name[i : i + 2], 16) for i in (0, 2, 4)))
    except ValueError:
        return None


class TerminalView(Widget, can_focus=True):
    """The job's screen; ``send`` gets the bytes of every key typed and every paste."""

    DEFAULT_CSS = """
    TerminalView { width: 1fr; height: 1fr; background: ansi_default; color: ansi_default; }
    """

    def __init__(
        self,
        screen: LiveScreen,
        send: Callable[[bytes], None],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.term = screen
        self.send = send
        self._styles: dict[tuple[Any, ...], Style] = {}

    # ---- drawing ----------------------------------------------------------------------------

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self.term.columns

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.term.lines

    def changed(self) -> None:
        """The job drew on its screen: redraw the rows it changed (and the cursor's)."""
        dirty = self.term.dirty
        if not dirty:
            return
        width = self.size.width
        for y in dirty:
            self.refresh(Region(0, y, width, 1))
        dirty.clear()

    def render_line(self, y: int) -> Strip:
        term = self.term
        width = self.size.width
        if y >= term.lines:
            return Strip.blank(width)
        row = term.buffer[y]
        cursor_x = term.cursor.x if term.cursor_shown and y == term.cursor.y else -1
        segments: list[Segment] = []
        text: list[str] = []
        style: Style | None = None
        for x in range(min(term.columns, width)):
            char = row[x]
            if not char.data:  # the second cell of a wide character
                continue
            cell_style = self._style(tuple(char[1:]), x == cursor_x)
            if cell_style is not style and text:
                segments.append(Segment("".join(text), style))
                text = []
            style = cell_style
            text.append(char.data)
        if text:
            segments.append(Segment("".join(text), style))
        return Strip(segments).adjust_cell_length(width)

    def _style(self, key: tuple[Any, ...], cursor: bool) -> Style:
        cached = self._styles.get((*key, cursor))
        if cached is not None:
            return cached
        fg, bg, bold, italics, underscore, strikethrough, reverse, blink = key
        style = Style(
            color=_colour(fg),
            bgcolor=_colour(bg),
            bold=bold or None,
            italic=italics or None,
            underline=underscore or None,
            strike=strikethrough or None,
            blink=blink or None,
            reverse=(reverse != cursor) or None,
        )
        self._styles[(*key, cursor)] = style
        return style

    # ---- keys -------------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        data = key_bytes(event.key, event.character, app_cursor=self.term.cursor_keys_app)
        if data:
            event.stop()
            event.prevent_default()
            self.send(data)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        data = event.text.replace("\r\n", "\r").replace("\n", "\r").encode()
        self.send(PASTE_START + data + PASTE_END if self.term.bracketed_paste else data)
