"""What a terminal shows for a job's output, and the lines that became final.

A :class:`Terminal` of the job's size is fed its output and gives back text: the lines that
can no longer change, each once, in the form a terminal shows them (as tmux keeps them in its
history), and — for a program on the alternate screen, or one that repaints the whole screen —
its current screen. pyte parses the escapes and keeps the screen (:mod:`bgview.runtime.vtscreen`);
this module says what is final:

* A line is final once it scrolls off the top (or a clear pushes it there, as tmux's
  ``scroll-on-clear`` does), or once it is out of the program's *reach*: the program has shown
  how far up it moves the cursor (a three-bar progress moves up two rows; a line printed with
  no cursor move at all is final at its newline), and a line further above the lowest row the
  cursor has been on than that is given as final. At the job's end everything left is final.
* Wrapped rows are joined back into the line the program wrote, as ``tmux capture-pane -J``
  does: a reader greps lines, not rows of 120 characters.

The state can be saved as a small JSON document (:meth:`Terminal.dump`), so that a reader's
next read goes on where the last stopped. This module imports pyte (through ``vtscreen``):
nothing on ``bgview run``'s or the supervisor's start path may import it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import pyte
from pyte import charsets as cs
from pyte import modes as mo
from pyte.screens import Margins

from bgview.runtime.vtscreen import CELLS, DEFAULT_MODES, Row, Screen, row_text
from bgview.runtime.vtstream import STRIP, Stream

FULL_SCREEN_NOTE = "[full-screen program: its current screen]"
_OPEN_ESCAPE = re.compile(r"(?:\x1b\[?|\x9b)[\x20-\x3f\x07-\x0d]*\Z")
"""An escape sequence not finished at the end of the text: ESC or CSI, then only parameters,
intermediates, and the controls that act inside a sequence."""
_MAX_HELD = 256


class Terminal:
    """A terminal of ``columns``×``rows`` fed a job's output (see the module docstring)."""

    def __init__(self, columns: int, rows: int) -> None:
        self.screen = Screen(columns, rows)
        self.stream = Stream(self.screen)
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
        text = self.held + STRIP.sub("", text)
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
        if not screen.mode >= DEFAULT_MODES or mo.IRM in screen.mode or mo.DECOM in screen.mode:
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
            text += row_text(row, columns)
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


def _dump_rows(buffer: dict[int, Row], columns: int) -> list[list[Any]]:
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


def _load_rows(rows: list[list[Any]], new_row: Any) -> defaultdict[int, Row]:
    buffer: defaultdict[int, Row] = defaultdict(new_row)
    for y, text, flags in rows:
        row = buffer[int(y)]
        cells = list(text) if isinstance(text, str) else text
        for x, data in enumerate(cells):
            if data != " ":
                row[x] = CELLS["" if data == _STUB else str(data)]
        row.wrapped, row.emitted = bool(flags & 1), bool(flags & 2)
    return buffer
