"""What a terminal shows for a job's output: a pyte screen, and the lines that became final.

A :class:`Terminal` of the job's size is fed its output and gives back text: the lines that
can no longer change, each once, in the form a terminal shows them (as tmux keeps them in its
history), and — for a program on the alternate screen, or one that repaints the whole screen —
its current screen. pyte parses the escapes and keeps the screen; this module adds what a
reader needs on top of it:

* *Final lines.* A line is final once it scrolls off the top (or a clear pushes it there, as
  tmux's ``scroll-on-clear`` does), or once it is out of the program's *reach*: the program
  has shown how far up it moves the cursor (a three-bar progress moves up two rows; a line
  printed with no cursor move at all is final at its newline), and a line further above the
  lowest row the cursor has been on than that is given as final. At the job's end everything
  left is final.
* *Wrapped rows* are joined back into the line the program wrote, as ``tmux capture-pane -J``
  does: a reader greps lines, not rows of 120 characters.
* *Terminal behaviour pyte lacks or gets wrong here*: ``\\n`` also returns to column 0 (a job's
  pty does not post-process output, so the ``\\r`` a terminal's ONLCR would add is not in the
  log); the alternate screen (``?1049``, ``?1047``, ``?47``); scroll up and down (``CSI S``,
  ``CSI T``) and repeat (``CSI b``); ``ESC [ 3 J`` leaves the screen alone, as in tmux; a
  line feed below the scroll region stays below it.

Colours do not matter for text, so SGR, OSC and DCS strings are removed before pyte sees the
text (they are most of a coloured progress bar's bytes), and every cell is an unstyled
:class:`pyte.screens.Char` (see :meth:`_Screen.draw`). The state can be saved as a small JSON
document (:meth:`Terminal.dump`), so that a reader's next read goes on where the last stopped.
This module imports pyte: nothing on ``bgview run``'s or the supervisor's start path may import
it (``tests/hardening/test_layers.py``).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import pyte
from pyte import charsets as cs
from pyte import modes as mo
from pyte.screens import Char, Margins, StaticDefaultDict, wcwidth

FULL_SCREEN_NOTE = "[full-screen program: its current screen]"
_ALT_MODES = frozenset({47, 1047, 1049})
_DEFAULT_MODES = frozenset({mo.DECAWM, mo.DECTCEM, mo.LNM})
_STRIP = re.compile(
    r"""
    \x1b\[[0-9;:]*m                              # SGR: colours
  | [\x1b\x9d]\][^\x07\x1b\n]*(?:\x07|\x1b\\)?   # OSC: titles, links (never across a line)
  | \x9d[^\x07\x1b\n]*(?:\x07|\x1b\\)?
  | \x1b[PX^_][^\x1b\n]*(?:\x1b\\)?              # DCS, SOS, PM, APC strings
  | \x1b(?=[\x00-\x1f])                            # a lone ESC: the control after it acts
  | \x1b\[\?[0-9;:]*[@-IL-gi-km-~]                 # private CSI pyte has no handler for
  | [\x00-\x07\x10-\x1a\x1c-\x1f\x7f\x80-\x9a\x9c\x9e\x9f]  # controls a terminal ignores
    """,
    re.VERBOSE,
)
"""What is removed before pyte parses: nothing that moves the cursor or changes a cell."""
_OPEN_ESCAPE = re.compile(r"(?:\x1b\[?|\x9b)[\x20-\x3f\x07-\x0d]*\Z")
"""An escape sequence not finished at the end of the text: ESC or CSI, then only parameters,
intermediates, and the controls that act inside a sequence."""
_MAX_HELD = 256


class _Row(StaticDefaultDict[int, Char]):
    """A screen row: pyte's sparse row, and two facts that travel with it when rows move."""

    wrapped = False
    """The line goes on in the next row (the cursor wrapped at the right margin)."""
    emitted = False
    """Already given to the reader: it is never given again, whatever is drawn on it."""


class _Cells(dict[str, Char]):
    """One unstyled cell per character, made once."""

    def __missing__(self, key: str) -> Char:
        cell = self[key] = Char(key)
        return cell


_CELLS = _Cells()
_NARROW: set[str] = set()
"""Characters beyond ASCII met so far that take one cell (box drawing, braille spinners…)."""
_BLANK = Char(" ")


def _text(row: _Row | None, columns: int) -> str:
    """The characters of ``row`` (blanks where nothing was drawn), trailing blanks kept."""
    if not row:
        return ""
    return "".join([row[x].data for x in range(min(max(row) + 1, columns))])


class _Stream(pyte.Stream):
    """pyte's parser, with scroll up/down and repeat, which tmux and ncurses use."""

    csi = {  # noqa: RUF012 (pyte reads it from the class; it is never changed)
        **pyte.Stream.csi,
        "S": "scroll_up",
        "T": "scroll_down",
        "b": "repeat",
    }
    events = pyte.Stream.events | {"scroll_up", "scroll_down", "repeat"}
    # A vertical tab or form feed moves down a row in the same column: the CR that ``\n``
    # gets (a terminal's ONLCR) is not theirs.
    basic = {**pyte.Stream.basic, "\x0b": "index", "\x0c": "index"}  # noqa: RUF012

    def _send_to_parser(self, data: str) -> bool | None:
        """One character of an escape to pyte's parser. A sequence pyte dispatches to a
        handler that does not take its arguments (``CSI ? @`` passes ``private`` to
        ``insert_characters``) is dropped, as a terminal drops what it does not know."""
        try:
            return self._parser.send(data)  # type: ignore[union-attr]
        except TypeError:
            self._initialize_parser()
            return True  # plain text comes next
        except Exception:
            self._initialize_parser()  # as pyte does: usable again after any error
            raise


class _Screen(pyte.Screen):
    """pyte's screen with the reader's bookkeeping (see the module docstring)."""

    def __init__(self, columns: int, lines: int) -> None:
        self.scrolled = 0
        """Rows that have left the top of the main screen: row ``y`` is absolute row
        ``scrolled + y``."""
        self.frontier = 0
        """The lowest absolute row the cursor has been on (that an upward move left)."""
        self.up_reach = 0
        """The furthest the program has moved the cursor up from its frontier, in rows."""
        self.out: list[str] = []
        """Final lines not yet given to the reader, each ending in ``\\n``."""
        self.carry = ""
        """The start of a wrapped line whose first rows have left the screen."""
        self.alternate = False
        self.main: tuple[defaultdict[int, _Row], Any, Margins | None] | None = None
        """The main screen's rows, cursor and margins while the alternate screen is shown."""
        self.last_char = " "
        self._drawing = False
        super().__init__(columns, lines)
        self.buffer: defaultdict[int, _Row] = defaultdict(self._new_row)  # type: ignore[assignment]
        self.mode.add(mo.LNM)
        self.g1_charset = cs.LAT1_MAP

    @property
    def rows(self) -> defaultdict[int, _Row]:
        return self.buffer

    def _new_row(self) -> _Row:
        return _Row(_BLANK)

    @property
    def full_screen(self) -> bool:
        """The alternate screen, or a program that has moved from the last row to the first."""
        return self.alternate or self.up_reach >= self.lines - 1

    # ---- drawing -----------------------------------------------------------------------------

    def draw(self, data: str) -> None:
        """pyte's ``draw``, done a row's run at a time for the common case: text whose every
        character is one cell wide, in the default character set, not in insert mode."""
        if self.charset or self.g0_charset is not cs.LAT1_MAP or mo.IRM in self.mode:
            return self._draw_slowly(data)
        if not data.isascii() and not _NARROW.issuperset(data):
            if any(wcwidth(ch) != 1 for ch in set(data)):
                return self._draw_slowly(data)
            _NARROW.update(data)
        cursor, columns, buffer = self.cursor, self.columns, self.buffer
        at, size = 0, len(data)
        while at < size:
            if cursor.x >= columns:
                if mo.DECAWM not in self.mode:
                    buffer[cursor.y][columns - 1] = _CELLS[data[-1]]
                    break
                buffer[cursor.y].wrapped = True
                cursor.x = 0
                self.index()
            take = min(size - at, columns - cursor.x)
            x = cursor.x
            cells = map(_CELLS.__getitem__, data[at : at + take])
            buffer[cursor.y].update(zip(range(x, x + take), cells, strict=False))
            cursor.x = x + take
            at += take
        self.last_char = data[-1]

    def _draw_slowly(self, data: str) -> None:
        self._drawing = True
        try:
            super().draw(data)
        finally:
            self._drawing = False
        self.last_char = data[-1]

    def repeat(self, count: int | None = None) -> None:
        """``CSI b``: the last character drawn, again ``count`` times."""
        self.draw(self.last_char * min(count or 1, self.columns * self.lines))

    def select_graphic_rendition(self, *attrs: int, **kwargs: Any) -> None:
        """Colours are not text: cells stay unstyled (most SGR never reaches here)."""

    # ---- rows leaving the screen -------------------------------------------------------------

    def _leave(self, row: _Row | None) -> None:
        """``row`` leaves the top of the screen for the history: it is final."""
        if self.alternate or (row is not None and row.emitted):
            return
        text = _text(row, self.columns)
        if row is not None and row.wrapped:
            self.carry += text
            return
        self.out.append(self.carry + text + "\n")
        self.carry = ""

    def _scroll_up(self, top: int, bottom: int, count: int) -> None:
        buffer = self.buffer
        for _ in range(min(count, bottom - top + 1)):
            self._leave(buffer.get(top))
            if not self.alternate:
                self.scrolled += 1
            for y in range(top, bottom):
                if y + 1 in buffer:
                    buffer[y] = buffer[y + 1]
                else:
                    buffer.pop(y, None)
            buffer.pop(bottom, None)

    def index(self) -> None:
        top, bottom = self.margins or Margins(0, self.lines - 1)
        y = self.cursor.y
        if y == bottom:
            self._scroll_up(top, bottom, 1)
        elif y > bottom:  # below the scroll region: pyte would move it back into the region
            self.cursor.y = min(y + 1, self.lines - 1)
        else:
            self.cursor.y = y + 1

    def linefeed(self) -> None:
        if self._drawing:  # pyte's own draw wraps with carriage_return() and linefeed()
            self.buffer[self.cursor.y].wrapped = True
        super().linefeed()

    def scroll_up(self, count: int | None = None) -> None:
        """``CSI S``: the scroll region's rows move up; those leaving it are final."""
        top, bottom = self.margins or Margins(0, self.lines - 1)
        self._scroll_up(top, bottom, count or 1)

    def scroll_down(self, count: int | None = None) -> None:
        """``CSI T``: the scroll region's rows move down; those pushed out are lost."""
        top, bottom = self.margins or Margins(0, self.lines - 1)
        buffer = self.buffer
        for _ in range(min(count or 1, bottom - top + 1)):
            for y in range(bottom, top, -1):
                if y - 1 in buffer:
                    buffer[y] = buffer[y - 1]
                else:
                    buffer.pop(y, None)
            buffer.pop(top, None)

    # Erasing removes cells rather than writing blanks over them, so that what a row holds is
    # what was drawn on it: trailing spaces a program wrote stay, as on the fast path.

    def erase_in_line(self, how: int = 0, private: bool = False) -> None:
        x, row = self.cursor.x, self.rows[self.cursor.y]
        if how == 2:
            row.clear()
            row.wrapped = False
            return
        span = range(x, self.columns) if how == 0 else range(min(x, self.columns - 1) + 1)
        for col in span:
            row.pop(col, None)

    def erase_characters(self, count: int | None = None) -> None:
        row = self.rows[self.cursor.y]
        for col in range(self.cursor.x, min(self.cursor.x + (count or 1), self.columns)):
            row.pop(col, None)

    def insert_characters(self, count: int | None = None) -> None:
        row, x, count = self.rows[self.cursor.y], self.cursor.x, count or 1
        moved = {c + count: cell for c, cell in row.items() if c >= x and c + count < self.columns}
        for col in [col for col in row if col >= x]:
            del row[col]
        row.update(moved)

    def delete_lines(self, count: int | None = None) -> None:
        """pyte's, but a row whose replacement below is blank is blanked too."""
        count = count or 1
        top, bottom = self.margins or Margins(0, self.lines - 1)
        if top <= self.cursor.y <= bottom:
            rows = self.rows
            for y in range(self.cursor.y, bottom + 1):
                if y + count <= bottom and y + count in rows:
                    rows[y] = rows.pop(y + count)
                else:
                    rows.pop(y, None)
            self.carriage_return()

    def delete_characters(self, count: int | None = None) -> None:
        row, x, count = self.rows[self.cursor.y], self.cursor.x, count or 1
        moved = {col - count: cell for col, cell in row.items() if col >= x + count}
        for col in [col for col in row if col >= x]:
            del row[col]
        row.update(moved)

    def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
        """``2``: the used rows go to the history first, as tmux's ``scroll-on-clear`` does
        (a full-screen program's frames do not: it is shown as its current screen); ``3``
        (clear the history) leaves the screen as it is, as in tmux."""
        if how == 3:
            return
        if how in (0, 1):
            span = range(self.cursor.y + 1, self.lines) if how == 0 else range(self.cursor.y)
            for y in span:
                self.rows.pop(y, None)
            return self.erase_in_line(how)
        if how != 2:
            return None
        if not self.full_screen:
            used = [y for y, row in self.buffer.items() if row]  # a row holds what was drawn
            last = max(used, default=-1)
            for y in range(last + 1):
                self._leave(self.buffer.get(y))
            self.scrolled += last + 1
            self.frontier = max(self.frontier, self.scrolled + self.cursor.y)
        self.buffer.clear()

    def reset(self) -> None:
        """``ESC c``: a clear as ``CSI 2 J`` does it, then pyte's reset (``\\n`` kept as CR LF)."""
        if hasattr(self, "buffer") and self.buffer:
            self.erase_in_display(2)
        super().reset()
        self.mode.add(mo.LNM)
        self.g1_charset = cs.LAT1_MAP  # G1 starts as ASCII in xterm and tmux, not line drawing

    # ---- cursor moves up: the program's reach ------------------------------------------------

    def _moved(self, before: int) -> None:
        y = self.cursor.y
        if y >= before or self.alternate:
            return
        bottom = self.margins.bottom if self.margins else self.lines - 1
        if before > bottom:  # back from below the scroll region (apt's status line)
            return
        self.frontier = max(self.frontier, self.scrolled + before)
        self.up_reach = max(self.up_reach, self.frontier - (self.scrolled + y))

    def cursor_up(self, count: int | None = None) -> None:
        before = self.cursor.y
        super().cursor_up(count)
        self._moved(before)

    def cursor_position(self, line: int | None = None, column: int | None = None) -> None:
        before = self.cursor.y
        super().cursor_position(line, column)
        self._moved(before)

    def cursor_to_line(self, line: int | None = None) -> None:
        before = self.cursor.y
        super().cursor_to_line(line)
        self._moved(before)

    def restore_cursor(self) -> None:
        before = self.cursor.y
        super().restore_cursor()
        self._moved(before)

    def reverse_index(self) -> None:
        before = self.cursor.y
        super().reverse_index()
        self._moved(before if self.cursor.y < before else before + 1)

    def emit(self, limit: int, final: bool) -> None:
        """Give the rows above ``limit`` not given yet as final lines (:attr:`out`); a line
        wrapped past ``limit`` waits, unless ``final``."""
        screen, buffer, columns = self, self.buffer, self.columns
        y = 0
        while y < limit:
            row = buffer[y]
            if row.emitted:
                y += 1
                continue
            end = y
            while buffer[end].wrapped and end + 1 < screen.lines:
                end += 1
            if end >= limit and not final:
                break  # a wrapped line that goes on past the limit is not complete
            parts = [_text(buffer[r], columns) for r in range(y, end + 1)]
            for r in range(y, end + 1):
                buffer[r].emitted = True
            text = screen.carry + "".join(parts)
            screen.carry = ""
            # The job's last line has no line feed after it (nor did the cursor leave it by one
            # and come back): given as it is, as the fast path gives a last partial line.
            frontier = max(screen.frontier - screen.scrolled, screen.cursor.y)
            open_end = final and end == screen.cursor.y and end >= frontier
            screen.out.append(text if open_end and end + 1 >= limit else text + "\n")
            y = end + 1

    # ---- modes: the alternate screen ---------------------------------------------------------

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private"):
            if _ALT_MODES.intersection(modes) and not self.alternate:
                # What the main screen shows above the cursor is final now: the job may end
                # on the alternate screen, and the main one is never seen again.
                self.emit(self.cursor.y, False)
                self.main = (self.buffer, self.cursor, self.margins)
                self.buffer = defaultdict(self._new_row)
                self.cursor = pyte.screens.Cursor(self.cursor.x, self.cursor.y)
                self.alternate = True
            modes = tuple(m for m in modes if m != 3)  # DECCOLM: tmux neither resizes nor
        super().set_mode(*modes, **kwargs)  # clears for it here

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private"):
            if _ALT_MODES.intersection(modes) and self.alternate and self.main is not None:
                self.buffer, self.cursor, self.margins = self.main
                self.main = None
                self.alternate = False
            modes = tuple(m for m in modes if m != 3)
        super().reset_mode(*modes, **kwargs)


class Terminal:
    """A terminal of ``columns``×``rows`` fed a job's output (see the module docstring)."""

    def __init__(self, columns: int, rows: int) -> None:
        self.screen = _Screen(columns, rows)
        self.stream = _Stream(self.screen)
        # Honour ESC ( 0 (line drawing) and SI/SO as a terminal does; the text is decoded.
        self.stream.use_utf8 = False
        self.held = ""
        """The start of an escape sequence the output so far ends inside of."""

    @property
    def columns(self) -> int:
        return int(self.screen.columns)

    @property
    def rows(self) -> int:
        return int(self.screen.lines)

    @property
    def full_screen(self) -> bool:
        return bool(self.screen.full_screen)

    def feed(self, text: str) -> None:
        """Write decoded output to the terminal. An escape sequence the text ends inside of
        waits for the rest of it (the next feed, or the job's end), so that a read ending there
        saves no half-parsed escape."""
        text = self.held + _STRIP.sub("", text)
        self.held = ""
        opened = _OPEN_ESCAPE.search(text, max(0, len(text) - _MAX_HELD))
        if opened is not None:
            self.held = text[opened.start() :]
            text = text[: opened.start()]
        self.stream.feed(text)

    @property
    def pending(self) -> list[str]:
        """Final lines not yet taken (each ends in ``\\n``; the job's last may not)."""
        out: list[str] = self.screen.out
        return out

    def settle(self, *, final: bool = False, everything_above: bool = False) -> None:
        """Add the rows that can no longer change to :attr:`pending`: those out of the
        program's reach; with ``everything_above``, every row above the cursor; at the job's
        end (``final``), every row left (but a full-screen program's: see :meth:`current`)."""
        screen = self.screen
        if final and self.held:
            self.stream.feed(self.held)  # the job's end: it will never be finished
            self.held = ""
        if screen.full_screen:
            return
        y_cursor = screen.cursor.y
        if final or everything_above:
            limit = y_cursor
        else:
            frontier = max(screen.frontier, screen.scrolled + y_cursor)
            limit = min(frontier - screen.up_reach - screen.scrolled, y_cursor)
        if final:
            used = [y for y, row in screen.buffer.items() if row]
            limit = max(limit, max(used, default=-1) + 1)
        screen.emit(limit, final)

    @property
    def settled(self) -> bool:
        """Nothing on screen can change what plain lines written next will read as: the main
        screen in its default modes, the cursor at the start of a blank row with nothing below
        it. Rows above the cursor are then given as final (:meth:`settle`) and plain output
        can be read on without a terminal."""
        screen = self.screen
        if screen.full_screen or screen.margins is not None or screen.cursor.x or screen.carry:
            return False
        if self.held:
            return False
        if not screen.mode >= _DEFAULT_MODES or mo.IRM in screen.mode or mo.DECOM in screen.mode:
            return False
        y_cursor = screen.cursor.y
        return not any(y >= y_cursor and row for y, row in screen.buffer.items())

    def current(self) -> list[str]:
        """The screen as it is now, a line per row (wrapped rows joined), without the blank
        rows at its end: what a full-screen program shows."""
        screen, buffer, columns = self.screen, self.screen.buffer, self.columns
        lines: list[str] = []
        text = ""
        for y in range(screen.lines):
            row = buffer.get(y)
            text += _text(row, columns)
            if row is not None and row.wrapped and y + 1 < screen.lines:
                continue
            lines.append(text.rstrip())
            text = ""
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def mark_all_emitted(self) -> None:
        """Take every row above the cursor as already given (a terminal rebuilt from output
        that was read before), and forget what the program's moves so far have shown."""
        screen = self.screen
        for y in range(screen.cursor.y):  # the cursor's row is the next line's
            screen.buffer[y].emitted = True
        screen.out.clear()
        screen.carry = ""
        screen.frontier = screen.scrolled + screen.cursor.y
        screen.up_reach = 0

    # ---- saving and loading ------------------------------------------------------------------

    def dump(self) -> bytes:
        """The terminal's state as JSON (a few KB: the screen's rows and the bookkeeping)."""
        s = self.screen
        state: dict[str, Any] = {
            "v": 1,
            "size": [self.columns, self.rows],
            "cursor": [s.cursor.x, s.cursor.y],
            "saved": [[p.cursor.x, p.cursor.y, p.origin, p.wrap] for p in s.savepoints],
            "margins": list(s.margins) if s.margins else None,
            "mode": sorted(s.mode),
            "tabstops": sorted(s.tabstops),
            "charsets": [_charset_code(s.g0_charset), _charset_code(s.g1_charset), s.charset],
            "rows": _dump_rows(s.buffer, self.columns),
            "scrolled": s.scrolled,
            "frontier": s.frontier,
            "up_reach": s.up_reach,
            "out": s.out,
            "carry": s.carry,
            "held": self.held,
            "last_char": s.last_char,
            "main": None,
        }
        if s.main is not None:
            rows, cursor, margins = s.main
            state["main"] = {
                "rows": _dump_rows(rows, self.columns),
                "cursor": [cursor.x, cursor.y],
                "margins": list(margins) if margins else None,
            }
        return json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def load(cls, data: bytes) -> Terminal:
        """A terminal from :meth:`dump`'s output; ``ValueError`` if it is not one."""
        try:
            state = json.loads(data)
            columns, rows = state["size"]
            term = cls(int(columns), int(rows))
            s = term.screen
            s.mode = set(state["mode"])
            s.tabstops = set(state["tabstops"])
            g0, g1, s.charset = state["charsets"]
            s.g0_charset, s.g1_charset = cs.MAPS.get(g0, cs.LAT1_MAP), cs.MAPS.get(g1, cs.VT100_MAP)
            s.margins = Margins(*state["margins"]) if state["margins"] else None
            s.buffer = _load_rows(state["rows"], s._new_row)
            s.cursor.x, s.cursor.y = state["cursor"]
            for x, y, origin, wrap in state["saved"]:
                cursor = pyte.screens.Cursor(x, y)
                s.savepoints.append(
                    pyte.screens.Savepoint(cursor, s.g0_charset, s.g1_charset, 0, origin, wrap)
                )
            s.scrolled, s.frontier = int(state["scrolled"]), int(state["frontier"])
            s.up_reach = int(state["up_reach"])
            s.out = [str(line) for line in state["out"]]
            s.carry = str(state["carry"])
            term.held = str(state["held"])
            s.last_char = str(state["last_char"]) or " "
            main = state["main"]
            if main is not None:
                cursor = pyte.screens.Cursor(*main["cursor"])
                margins = Margins(*main["margins"]) if main["margins"] else None
                s.main = (_load_rows(main["rows"], s._new_row), cursor, margins)
                s.alternate = True
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a saved terminal: {exc}") from None
        return term


def _charset_code(charset: str) -> str:
    return next((code for code, mapping in cs.MAPS.items() if mapping is charset), "B")


_STUB = "\x00"
"""Stands for the empty cell after a wide character in a saved row (NUL is never drawn)."""


def _dump_rows(buffer: dict[int, _Row], columns: int) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for y, row in sorted(buffer.items()):
        if not row and not row.wrapped and not row.emitted:
            continue
        cells = [row[x].data for x in range(min(max(row) + 1, columns))] if row else []
        text: str | list[str] = (
            "".join(c or _STUB for c in cells) if all(len(c) <= 1 for c in cells) else cells
        )
        rows.append([y, text, int(row.wrapped) | int(row.emitted) << 1])
    return rows


def _load_rows(rows: list[list[Any]], new_row: Any) -> defaultdict[int, _Row]:
    buffer: defaultdict[int, _Row] = defaultdict(new_row)
    for y, text, flags in rows:
        row = buffer[int(y)]
        cells = list(text) if isinstance(text, str) else text
        for x, data in enumerate(cells):
            if data != " ":
                row[x] = _CELLS["" if data == _STUB else str(data)]
        row.wrapped, row.emitted = bool(flags & 1), bool(flags & 2)
    return buffer
