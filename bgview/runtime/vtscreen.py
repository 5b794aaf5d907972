"""The terminal under :mod:`bgview.runtime.screen`: pyte's screen, with a reader's bookkeeping
and the terminal behaviour pyte lacks or gets wrong here (its parser, shared with the other
screens, is :mod:`bgview.runtime.vtstream`).

* ``\\n`` also returns to column 0: a job's pty does not post-process output, so the ``\\r`` a
  terminal's ONLCR would add is not in the log (a vertical tab or form feed does not: they
  move down in the same column).
* The alternate screen (``?1049``, ``?1047``, ``?47``); scroll up and down (``CSI S``,
  ``CSI T``) and repeat (``CSI b``), which tmux and ncurses use; ``ESC [ 2 J`` pushes the used
  rows to the history first and ``ESC [ 3 J`` leaves the screen alone, as tmux does; a line
  feed below the scroll region stays below it; deleting a line next to blank ones blanks it.
* Each row knows whether the line goes on in the next (it wrapped at the right margin) and
  whether it was given to the reader already; both travel with the row as rows move.
* The cursor's upward moves are measured: how far up from the lowest row it has been on the
  program has moved it (its *reach*), and whether it has moved from the last row to the first
  (a full-screen program).

Colours do not matter for text, so SGR, OSC and DCS strings are removed before pyte parses
(:data:`~bgview.runtime.vtstream.STRIP`), every cell is an unstyled
:class:`pyte.screens.Char`, and erasing removes cells rather than writing blanks, so that a
row holds what was drawn on it. This module imports pyte: nothing on ``bgview run``'s or the
supervisor's start path may import it (``tests/hardening/test_layers.py``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyte
from pyte import charsets as cs
from pyte import modes as mo
from pyte.screens import Char, Margins, StaticDefaultDict, wcwidth

_ALT_MODES = frozenset({47, 1047, 1049})
DEFAULT_MODES = frozenset({mo.DECAWM, mo.DECTCEM, mo.LNM})


class Row(StaticDefaultDict[int, Char]):
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


CELLS = _Cells()
_NARROW: set[str] = set()
"""Characters beyond ASCII met so far that take one cell (box drawing, braille spinners…)."""
_BLANK = Char(" ")


def row_text(row: Row | None, columns: int) -> str:
    """The characters of ``row`` (blanks where nothing was drawn), trailing blanks kept."""
    if not row:
        return ""
    return "".join([row[x].data for x in range(min(max(row) + 1, columns))])


class Screen(pyte.Screen):
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
        self.main: tuple[defaultdict[int, Row], Any, Margins | None] | None = None
        """The main screen's rows, cursor and margins while the alternate screen is shown."""
        self.last_char = " "
        self._drawing = False
        self.cells: dict[str, Char] = CELLS
        """The cell drawn for each character: unstyled here; a styled screen (the viewer's)
        swaps in the cells of the current pen."""
        super().__init__(columns, lines)
        self.buffer: defaultdict[int, Row] = defaultdict(self._new_row)  # type: ignore[assignment]
        self.mode.add(mo.LNM)
        self.g1_charset = cs.LAT1_MAP

    @property
    def rows(self) -> defaultdict[int, Row]:
        return self.buffer

    def _new_row(self) -> Row:
        return Row(_BLANK)

    def row_text(self, row: Row | None) -> str:
        """What a row gives a reader: its characters (a styled screen adds its colours)."""
        return row_text(row, self.columns)

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
                    buffer[cursor.y][columns - 1] = self.cells[data[-1]]
                    break
                buffer[cursor.y].wrapped = True
                cursor.x = 0
                self.index()
            take = min(size - at, columns - cursor.x)
            x = cursor.x
            cells = map(self.cells.__getitem__, data[at : at + take])
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

    def _leave(self, row: Row | None) -> None:
        """``row`` leaves the top of the screen for the history: it is final."""
        if self.alternate or (row is not None and row.emitted):
            return
        text = self.row_text(row)
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
        screen, buffer = self, self.buffer
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
            parts = [self.row_text(buffer[r]) for r in range(y, end + 1)]
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
