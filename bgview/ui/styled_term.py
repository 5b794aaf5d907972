"""The cleaned reads' terminal, keeping colours and links: what the log pane draws from.

:class:`StyledTerminal` is :class:`bgview.runtime.screen.Terminal` — the same pyte screen, the
same bookkeeping of rows that scroll into the history, wrap and go out of reach — with a pen:
colour (SGR) escapes and OSC 8 hyperlinks are taken out of the output before pyte parses it (as
the plain terminal strips them) and set the pen here instead, and every cell drawn carries the
pen's key in pyte's ``fg`` field (pyte copies the cursor's attributes into each cell it draws,
and restores them with the cursor, so the pen follows DECSC/DECRC as a terminal's does).

A row is given as text with its colours as SGR escapes and its links as OSC 8 — the same form
the fast path's lines have, so one decoder (:mod:`bgview.ui.ansi`) draws both. The 16 ANSI
colours stay ANSI colours (``31``, ``38;5;1``), so the viewer can draw them in the terminal's own
palette; 256 and 24-bit colours are kept as they came. A link whose address holds a control
character is dropped: nothing a job writes may reach the real terminal as an escape.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from pyte.screens import Char

from bgview.runtime.screen import _MAX_HELD, _OPEN_ESCAPE, Terminal
from bgview.runtime.vtscreen import Row, Screen
from bgview.runtime.vtstream import INERT, Stream

DEFAULT_KEY = "default"
"""The key of the default pen: pyte's own default ``fg``, so unstyled cells are shared."""
RESET = "\x1b[0m"
LINK_END = "\x1b]8;;\x1b\\"
MAX_LINK = 2048

_STYLED_STRIP = re.compile(
    r"""
    \x1b\](?!8;)[^\x07\x1b\n]*(?:\x07|\x1b\\)?     # OSC but a link: titles, colours, clipboard"""
    + INERT,
    re.VERBOSE,
)
"""What the plain terminal's ``STRIP`` removes, but for colours and links (kept for the pen)."""
_PEN_ESCAPES = re.compile(
    r"\x1b\[([0-9;:]*)m|\x1b\]8;[^;\x07\x1b\n]*;([^\x07\x1b\n]*)(?:\x07|\x1b\\)"
)
_OPEN_LINK = re.compile(r"\x1b\]8;[^\x07\x1b\n]*\Z")
"""A link's escape not finished at the end of the output so far: it waits for the rest."""
_LINK_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f]")

_ON = {1: "1", 2: "2", 3: "3", 4: "4", 5: "5", 6: "5", 7: "7", 8: "8", 9: "9", 21: "4", 53: "53"}
_OFF = {22: ("1", "2"), 23: ("3",), 24: ("4",), 25: ("5",), 27: ("7",), 28: ("8",), 29: ("9",)}
_OFF[55] = ("53",)


class Pen(NamedTuple):
    """What the next character is drawn with: SGR parameters for each part ("" = default)."""

    fg: str = ""
    bg: str = ""
    attrs: tuple[str, ...] = ()
    link: str = ""

    def key(self) -> str:
        """The escapes that draw with this pen from a reset: what a cell keeps."""
        params = ";".join([*self.attrs, self.fg, self.bg]).strip(";").replace(";;", ";")
        if not params and not self.link:
            return DEFAULT_KEY
        sgr = f"\x1b[0;{params}m" if params else RESET
        return sgr + (f"\x1b]8;;{self.link}\x1b\\" if self.link else "")


DEFAULT_PEN = Pen()


def _colour(code: int, rest: list[str]) -> tuple[str, int]:
    """An extended colour (``38;5;n``, ``38;2;r;g;b``) from the parameters after ``code``, and
    how many of them it took."""
    if rest[:1] == ["5"] and len(rest) >= 2:
        return f"{code};5;{min(int(rest[1] or 0), 255)}", 2
    if rest[:1] == ["2"] and len(rest) >= 4:
        r, g, b = (min(int(v or 0), 255) for v in rest[1:4])
        return f"{code};2;{r};{g};{b}", 4
    return "", len(rest)


def apply_sgr(pen: Pen, params: str) -> Pen:
    """``pen`` after the SGR escape ``ESC [ params m`` (colons as in ``38:2::r:g:b`` too)."""
    fg, bg, attrs = pen.fg, pen.bg, set(pen.attrs)
    items = params.split(";") if params else ["0"]
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        if ":" in item:  # ITU form: one item holds the colour (or underline style)
            sub = item.split(":")
            code = int(sub[0] or 0)
            if code in (38, 48):
                rgb = sub[1:2] == ["2"] and len(sub) == 6  # 38:2:<colour space>:r:g:b
                colour = _colour(code, [sub[1], *sub[3:]] if rgb else sub[1:])[0]
                fg, bg = (colour, bg) if code == 38 else (fg, colour)
            elif code == 4:
                (attrs.discard if sub[1:2] == ["0"] else attrs.add)("4")
            continue
        code = int(item or 0)
        if code == 0:
            fg, bg, attrs = "", "", set()
        elif code in _ON:
            attrs.add(_ON[code])
        elif code in _OFF:
            attrs.difference_update(_OFF[code])
        elif 30 <= code <= 37 or 90 <= code <= 97:
            fg = str(code)
        elif 40 <= code <= 47 or 100 <= code <= 107:
            bg = str(code)
        elif code == 39:
            fg = ""
        elif code == 49:
            bg = ""
        elif code in (38, 48, 58):
            colour, used = _colour(code, items[i : i + 4])
            i += used
            if code == 38:
                fg = colour
            elif code == 48:
                bg = colour
    return Pen(fg, bg, tuple(sorted(attrs)), pen.link)


class _PenCells(dict[str, Char]):
    """One cell per character for one pen, made once; ``blank`` is the cursor's attributes."""

    def __init__(self, pen: Pen, key: str) -> None:
        super().__init__()
        self.pen = pen
        self.key = key
        self.blank = Char(" ", fg=key)

    def __missing__(self, data: str) -> Char:
        cell = self[data] = Char(data, fg=self.key)
        return cell


_BY_KEY: dict[str, _PenCells] = {}
"""The cells of every pen met, by key (a cell's key gives back its pen after a restore)."""
_AFTER: dict[tuple[str, str], _PenCells] = {}
"""What an SGR escape turns a pen into, remembered: a progress bar repeats a few dozen."""


def pen_cells(pen: Pen) -> _PenCells:
    key = pen.key()
    cells = _BY_KEY.get(key)
    if cells is None:
        cells = _BY_KEY[key] = _PenCells(pen, key)
    return cells


_DEFAULT_CELLS = pen_cells(DEFAULT_PEN)


def encode(cells: list[Char]) -> str:
    """Cells as text with SGR and OSC 8 escapes, ending with everything reset."""
    out: list[str] = []
    key = DEFAULT_KEY
    for cell in cells:
        if cell.fg != key:
            if "\x1b]8" in key:
                out.append(LINK_END)
            out.append(RESET if cell.fg == DEFAULT_KEY else cell.fg)
            key = cell.fg
        out.append(cell.data)
    if key != DEFAULT_KEY:
        out.append(LINK_END + RESET if "\x1b]8" in key else RESET)
    return "".join(out)


class StyledScreen(Screen):
    """:class:`~bgview.runtime.vtscreen.Screen` whose cells carry the pen."""

    pen_cells = _DEFAULT_CELLS

    @property
    def pen(self) -> Pen:
        return self.pen_cells.pen

    def set_pen(self, pen: Pen) -> None:
        self._use(pen_cells(pen))

    def apply_sgr(self, params: str) -> None:
        """``ESC [ params m``."""
        cells = _AFTER.get((self.pen_cells.key, params))
        if cells is None:
            cells = _AFTER[self.pen_cells.key, params] = pen_cells(apply_sgr(self.pen, params))
        self._use(cells)

    def _use(self, cells: _PenCells) -> None:
        self.pen_cells = cells
        self.cells = cells
        self.cursor.attrs = cells.blank

    def _sync_pen(self) -> None:
        """The cursor came back with its own attributes (restored, reset): so does the pen."""
        self._use(_BY_KEY.get(self.cursor.attrs.fg, _DEFAULT_CELLS))

    def row_text(self, row: Row | None) -> str:
        if not row:
            return ""
        width = min(max(row) + 1, self.columns)
        return encode([row[x] for x in range(width)])

    def restore_cursor(self) -> None:
        super().restore_cursor()
        self._sync_pen()

    def reset(self) -> None:
        super().reset()
        self._sync_pen()

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        pen = self.pen
        super().set_mode(*modes, **kwargs)
        self.set_pen(pen)  # the alternate screen's cursor is new; the pen carries on

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        pen = self.pen
        super().reset_mode(*modes, **kwargs)
        self.set_pen(pen)


class StyledTerminal(Terminal):
    """:class:`~bgview.runtime.screen.Terminal` with colours and links (module docstring)."""

    def __init__(self, columns: int, rows: int) -> None:
        super().__init__(columns, rows)
        self.screen: StyledScreen = StyledScreen(columns, rows)
        self.stream = Stream(self.screen)
        self.stream.use_utf8 = False

    def feed(self, text: str) -> None:
        """Write decoded output: pyte is fed the text between colour and link escapes, which
        set the pen. An escape the output ends inside of waits for the rest, as in
        :meth:`Terminal.feed`."""
        text = _STYLED_STRIP.sub("", self.held + text)
        self.held = ""
        opened = _OPEN_ESCAPE.search(text, max(0, len(text) - _MAX_HELD))
        if opened is None:
            opened = _OPEN_LINK.search(text, max(0, len(text) - MAX_LINK - 16))
        if opened is not None:
            self.held = text[opened.start() :]
            text = text[: opened.start()]
        stream = self.stream
        if "\x1b[" not in text and "\x1b]" not in text:
            stream.feed(text)
            return
        screen, pos = self.screen, 0
        for match in _PEN_ESCAPES.finditer(text):
            if match.start() > pos:
                stream.feed(text[pos : match.start()])
            params, link = match.groups()
            if params is not None:
                screen.apply_sgr(params)
            else:
                safe = link if len(link) <= MAX_LINK and not _LINK_UNSAFE.search(link) else ""
                screen.set_pen(screen.pen._replace(link=safe))
            pos = match.end()
        if pos < len(text):
            stream.feed(text[pos:])

    def live_rows(self) -> list[str]:
        """The screen's rows not given as final yet, wrapped rows joined, down to the last row
        drawn on or the cursor's (a full-screen program: its whole screen, blank rows at its
        end left out) — what the pane shows below the history."""
        screen, buffer = self.screen, self.screen.buffer
        full = screen.full_screen
        used = [y for y, row in buffer.items() if row]
        last = max([*used, -1 if full else screen.cursor.y])
        lines: list[str] = []
        text = ""
        for y in range(last + 1):
            row = buffer.get(y)
            if row is not None and row.emitted and not full:
                continue
            text += screen.row_text(row)
            if row is not None and row.wrapped and y + 1 <= last:
                continue
            lines.append(text)
            text = ""
        if text:
            lines.append(text)
        return lines
