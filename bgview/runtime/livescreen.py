"""The screen of an attached job, with its colours: what the job's terminal shows now.

Where :mod:`bgview.runtime.screen` turns output into text lines for reading (colours gone,
final lines given once), an attached terminal needs the screen itself, cell by cell, styled,
with the cursor, as the job keeps drawing on it — vim, htop, a REPL. pyte keeps it; this adds
what pyte lacks and a job's terminal needs: the alternate screen (``?1049``, ``?1047``,
``?47``), scroll up and down and repeat (``CSI S``/``T``/``b``, through
:class:`~bgview.runtime.vtstream.Stream`), ``\\n`` returning to column 0 (a job's pty does no
output processing), no 132-column switch (``?3``, which tmux ignores too), and answers to the
job's questions (cursor position, device attributes) sent back only while live.

:meth:`LiveScreen.paint` gives the screen as bytes for a real terminal (``bgview attach``
paints what the job shows before copying its output on). This module imports pyte: nothing on
``bgview run``'s or the supervisor's start path may import it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pyte
from pyte import modes as mo
from pyte.screens import StaticDefaultDict

from bgview.runtime.vtstream import Stream

_ALT_MODES = frozenset({47, 1047, 1049})
CURSOR_KEYS_APP = 1 << 5
"""pyte's numbering of the private mode ``?1`` (DECCKM), which it keeps but does not name."""
BRACKETED_PASTE = 2004 << 5
"""pyte's numbering of the private mode ``?2004``: the program wants pastes bracketed."""
_COLOURS = {
    name: index
    for index, name in enumerate(
        ("black", "red", "green", "brown", "blue", "magenta", "cyan", "white")
    )
}


def colour_index(name: str) -> int | None:
    """The ANSI palette index (0-15) of one of pyte's colour names, ``None`` otherwise."""
    bright = name.startswith("bright")
    index = _COLOURS.get(name[6:] if bright else name)
    if index is None:
        return None
    return index + 8 if bright else index


class LiveScreen(pyte.Screen):
    """A job's screen, ``columns``×``lines``, fed its output (:meth:`feed`)."""

    def __init__(self, columns: int, lines: int) -> None:
        self.alternate = False
        self._main: tuple[Any, Any] | None = None
        self.reply: Callable[[str], None] | None = None
        """Where the job's questions are answered (``None``: not live, nobody answers)."""
        super().__init__(columns, lines)
        self.mode.add(mo.LNM)
        self.stream = Stream(self)
        self.stream.use_utf8 = False  # fed text, decoded by the caller
        self._decoder = _Utf8()

    def feed(self, data: bytes) -> None:
        """Output of the job; a character cut between two feeds waits for its rest."""
        self.stream.feed(self._decoder.decode(data))

    # ---- what pyte lacks ----------------------------------------------------------------------

    def repeat(self, count: int | None = None) -> None:
        """``CSI b``: the last character drawn, again."""
        row = self.buffer[self.cursor.y]
        last = row[self.cursor.x - 1].data if self.cursor.x else " "
        self.draw(last * min(count or 1, self.columns * self.lines))

    def scroll_up(self, count: int | None = None) -> None:
        """``CSI S``: the scroll region's rows move up."""
        top, bottom = self.margins or (0, self.lines - 1)
        for _ in range(min(count or 1, bottom - top + 1)):
            for y in range(top, bottom):
                self.buffer[y] = self.buffer[y + 1]
            self.buffer.pop(bottom, None)
        self.dirty.update(range(top, bottom + 1))

    def scroll_down(self, count: int | None = None) -> None:
        """``CSI T``: the scroll region's rows move down."""
        top, bottom = self.margins or (0, self.lines - 1)
        for _ in range(min(count or 1, bottom - top + 1)):
            for y in range(bottom, top, -1):
                self.buffer[y] = self.buffer[y - 1]
            self.buffer.pop(top, None)
        self.dirty.update(range(top, bottom + 1))

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private"):
            if _ALT_MODES.intersection(modes) and not self.alternate:
                self._main = (self.buffer, self.cursor)
                self.buffer = defaultdict(lambda: StaticDefaultDict(self.default_char))
                self.cursor = pyte.screens.Cursor(self.cursor.x, self.cursor.y, self.cursor.attrs)
                self.alternate = True
                self.dirty.update(range(self.lines))
            modes = tuple(m for m in modes if m != 3)
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private"):
            if _ALT_MODES.intersection(modes) and self.alternate and self._main is not None:
                self.buffer, self.cursor = self._main
                self._main = None
                self.alternate = False
                self.dirty.update(range(self.lines))
            modes = tuple(m for m in modes if m != 3)
        super().reset_mode(*modes, **kwargs)

    def write_process_input(self, data: str) -> None:
        if self.reply is not None:
            self.reply(data)

    # ---- what the screen is in ------------------------------------------------------------------

    @property
    def cursor_keys_app(self) -> bool:
        """Arrow keys as ``ESC O A`` (the program asked for application cursor keys)."""
        return CURSOR_KEYS_APP in self.mode

    @property
    def bracketed_paste(self) -> bool:
        return BRACKETED_PASTE in self.mode

    @property
    def cursor_shown(self) -> bool:
        return mo.DECTCEM in self.mode and not self.cursor.hidden

    # ---- painting a real terminal -------------------------------------------------------------

    def paint(self) -> bytes:
        """The screen as bytes for a terminal of its size: cleared, every row drawn with its
        colours, the cursor where the job's is."""
        out = ["\x1b[?1049h" if self.alternate else "", "\x1b[0m\x1b[H\x1b[2J"]
        for y in range(self.lines):
            if self.buffer.get(y):
                out.append(f"\x1b[{y + 1};1H{self._row(y)}")
        out.append(f"\x1b[{self.cursor.y + 1};{self.cursor.x + 1}H")
        out.append("\x1b[?25h" if self.cursor_shown else "\x1b[?25l")
        return "".join(out).encode("utf-8", "replace")

    def paint_lines(self) -> bytes:
        """The rows down to the cursor's as lines printed where the terminal's cursor is (a
        shell or a REPL: what it shows above its prompt, and the prompt), the cursor left
        where the job's is on its row."""
        rows = [self._row(y) for y in range(self.cursor.y + 1)]
        while len(rows) > 1 and not rows[0]:
            rows.pop(0)  # blank rows above what the job drew: not worth a line each
        out = "\r\n".join(rows) + "\r"
        if self.cursor.x:
            out += f"\x1b[{self.cursor.x}C"
        return out.encode("utf-8", "replace")

    def _row(self, y: int) -> str:
        """Row ``y``'s cells with their colours, ending in the default style."""
        row = self.buffer.get(y)
        if not row:
            return ""
        out: list[str] = []
        last: tuple[Any, ...] | None = None
        for x in range(min(max(row) + 1, self.columns)):
            char = row[x]
            if not char.data:  # the second cell of a wide character
                continue
            key = tuple(char[1:])
            if key != last:
                out.append(_sgr(char))
                last = key
            out.append(char.data)
        out.append("\x1b[0m")
        return "".join(out)


def _sgr(char: Any) -> str:
    """The SGR sequence that draws ``char``'s style from the default one."""
    codes = ["0"]
    for on, code in (
        (char.bold, "1"),
        (char.italics, "3"),
        (char.underscore, "4"),
        (char.blink, "5"),
        (char.reverse, "7"),
        (char.strikethrough, "9"),
    ):
        if on:
            codes.append(code)
    for colour, base in ((char.fg, 30), (char.bg, 40)):
        codes.extend(_colour_codes(colour, base))
    return f"\x1b[{';'.join(codes)}m"


def _colour_codes(colour: str, base: int) -> list[str]:
    if colour == "default":
        return []
    index = colour_index(colour)
    if index is not None:
        return [str(base + index)] if index < 8 else [str(base + 60 + index - 8)]
    try:
        red, green, blue = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return []
    return [str(base + 8), "2", str(red), str(green), str(blue)]


class _Utf8:
    """An incremental UTF-8 decoder that replaces what is not UTF-8."""

    def __init__(self) -> None:
        import codecs

        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def decode(self, data: bytes) -> str:
        return str(self._decoder.decode(data))
