"""The log pane's output as a terminal draws it, in plain Python: where the log needs a
terminal, and the rows that terminal drew.

Nearly all output is plain — no escape in it moves the cursor — and the pane draws it a line
a row, each line read and styled only when drawn (:mod:`bgview.ui.log_lines`); knowing costs a
``translate`` of the bytes (:func:`plain_prefix`). Output that moves the cursor (progress bars
that redraw, spinners, ``top``, a program on the alternate screen) becomes a :class:`Splice`:
from the line where it starts, it is fed to the cleaned reads' own terminal with its colours
kept (:mod:`bgview.ui.styled_term`), and its rows replace the log's lines there: the lines that
scrolled off the top of that terminal — final, as tmux keeps them in its history — and below
them the terminal's screen as it is now, drawn again as it changes (a full-screen program is
its current screen). When the terminal is settled again (the cursor at the start of a blank
row, nothing it could redraw) and plain output follows, its screen becomes final, the splice
ends there and plain lines go on.

A terminal starting after plain lines takes over the lines a terminal would still show (its
height's worth), so that a program moving up into them redraws them as a terminal would.
Feeding the terminal can be slow (pyte: a few MB/s), so it is done by a :class:`Work` in a
worker thread, a step at a time; while following, a terminal that falls too far behind starts
again near the end, with a row saying what it left out. Everything here is by logical byte
offset, so it holds whichever lines the view keeps around it.
"""

from __future__ import annotations

import codecs
import re
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from bgview.runtime.clean import _MOVES_CURSOR, needs_cleaning, plain_text
from bgview.runtime.notices import format_size

if TYPE_CHECKING:  # imported when a log first needs a terminal: pyte is not needed before
    from bgview.ui.styled_term import StyledTerminal

STEP_BYTES = 256 * 1024
"""The most output one :class:`Work` feeds before handing back what it drew."""
FEED_BYTES = 16 * 1024
"""Fed to the terminal at a time (cut at a line's end where there is one)."""
BEHIND_BYTES = 2 * 1024 * 1024
"""While following, a terminal this far behind the log's end starts again near it."""
RESTART_BYTES = 128 * 1024
"""How much before the end such a new start takes in."""
TAKE_OVER_BYTES = 64 * 1024
"""How far back a new terminal looks for the lines it takes over."""
LOOK_BYTES = 256 * 1024
"""How much of the log is told plain or not at a time (a log that redraws stops at the first
piece that does: its whole tail is not read for that, on the UI thread)."""
MAX_FINAL_ROWS = 100_000
"""Final rows one splice keeps (the oldest go first)."""
_MOVES = re.compile(_MOVES_CURSOR.pattern.replace("\\x9b", "\\xc2\\x9b").encode(), re.VERBOSE)
""":data:`bgview.runtime.clean._MOVES_CURSOR` on bytes (the 8-bit CSI is ``C2 9B`` in UTF-8)."""
_MAYBE_MOVES = re.compile(rb"\x1b(?!\[[0-9;:]*m|\[[012]?K|\[1?G)")
"""Where :data:`_MOVES` may match: any escape but a colour, an erase in line or a return. One
literal to look for (no alternation), it finds the few candidates in coloured output some
fifteen times faster than :data:`_MOVES` (the 8-bit CSI and VT/FF are looked for apart)."""

Read = Callable[[int, int], bytes]
Cancelled = Callable[[], bool]


def plain_prefix(data: bytes, columns: int) -> int:
    """How many bytes of ``data`` (whole lines) need no terminal: up to the start of the first
    line with an escape that moves the cursor, or a ``\\r`` that lands on a wrapped row."""
    if not needs_cleaning(data):
        return len(data)
    move = _first_move(data)
    end = len(data) if move is None else data.rfind(b"\n", 0, move) + 1
    if b"\r" in data or b"\x08" in data:  # a rewrite of a line longer than the terminal
        at = 0
        for line in data[:end].split(b"\n"):
            if len(line) > columns and plain_text(line, columns) is None:
                return at
            at += len(line) + 1
    return end


def _first_move(data: bytes) -> int | None:
    """Where the first escape or control that moves the cursor is, if any."""
    others = [at for at in map(data.find, (b"\xc2\x9b", b"\x0b", b"\x0c")) if at >= 0]
    pos = 0
    while (candidate := _MAYBE_MOVES.search(data, pos)) is not None:
        if others and candidate.start() > min(others):
            break
        if _MOVES.match(data, candidate.start()):
            return candidate.start()
        pos = candidate.start() + 1
    if not others:
        return None
    found = _MOVES.search(data, min(others))  # rare: the slow look, from there on
    return found.start() if found is not None else None


def _terminal(columns: int, lines: int) -> StyledTerminal:
    """A new terminal for a splice; pyte is imported with the first (a viewer of plain logs
    starts without it: it and its wcwidth tables are a tenth of the viewer's imports)."""
    from bgview.ui.styled_term import StyledTerminal

    return StyledTerminal(columns, lines)


@dataclass
class Splice:
    """Rows a terminal drew for the log from offset ``start`` (a line's start) to ``end``."""

    start: int
    end: int | None = None
    """Where plain lines take over again; ``None`` while the terminal draws (to the log's end)."""
    final: list[str] = field(default_factory=list)
    """Rows that can no longer change, as text with SGR and OSC 8 escapes."""
    live: list[str] = field(default_factory=list)
    """The terminal's screen below them, as it is now (empty once the splice has ended)."""
    marks: list[tuple[int, int]] = field(default_factory=list)
    """``(final rows, offset fed to)`` after each step: how rows and the log line up."""
    full_screen: bool = False

    @property
    def rows(self) -> int:
        return len(self.final) + len(self.live)

    def row(self, k: int) -> str:
        final = self.final
        return final[k] if k < len(final) else self.live[k - len(final)]

    def offset_of(self, k: int) -> int:
        """About where in the log row ``k`` was drawn (for a search to start from)."""
        i = bisect_left(self.marks, (k, -1))
        return self.marks[i][1] if i < len(self.marks) else (self.end or self.start)

    def row_of(self, offset: int) -> int:
        """About which row drew what the log holds at ``offset``: between two steps' marks,
        as far down as the offset is between the bytes they had fed (the last step's reach
        being the last row drawn)."""
        if not self.rows:
            return 0
        points = [*self.marks[:-1], (self.rows - 1, self.marks[-1][1])] if self.marks else []
        for (rows_a, fed_a), (rows_b, fed_b) in pairwise(points):
            if fed_a <= offset < fed_b:
                share = (offset - fed_a) / (fed_b - fed_a)
                return min(self.rows - 1, rows_a + int(share * (rows_b - rows_a)))
        return self.rows - 1 if points and offset >= points[-1][1] else 0


@dataclass
class Result:
    """What a :class:`Work` step drew, handed back to the UI thread."""

    generation: int
    pos: int
    final: list[str]
    live: list[str]
    full_screen: bool
    released: bool


@dataclass
class Work:
    """One step of feeding the terminal, run in a worker; it owns the terminal meanwhile."""

    generation: int
    term: StyledTerminal
    decoder: codecs.IncrementalDecoder
    start: int
    end: int

    def run(self, read: Read, cancelled: Cancelled) -> Result:
        term, pos = self.term, self.start
        stop = min(self.end, pos + STEP_BYTES)
        released = False
        while pos < stop and not cancelled():
            chunk = read(pos, min(stop, pos + FEED_BYTES))
            if not chunk:
                break
            cut = chunk.rfind(b"\n") + 1
            if cut:
                chunk = chunk[:cut]
            if term.settled and cut and plain_prefix(chunk, term.columns) == len(chunk):
                term.settle(everything_above=True)  # plain output again: the screen is final
                released = True
                break
            term.feed(self.decoder.decode(chunk))
            pos += len(chunk)
            time.sleep(0)  # let the UI thread have the GIL between chunks: keys come first
        final = [row.removesuffix("\n") for row in term.pending]
        term.pending.clear()
        live = [] if released else term.live_rows()
        while live and not live[-1]:
            live.pop()
        return Result(self.generation, pos, final, live, term.full_screen, released)


class TermRows:
    """The splices of one log (see the module docstring). The UI thread calls
    :meth:`advance` as the log grows and runs the :class:`Work` it may return in a worker,
    handing its :class:`Result` to :meth:`apply`."""

    def __init__(self, size: tuple[int, int], start: int = 0) -> None:
        self.columns, self.lines = size
        self.splices: list[Splice] = []
        self.generation = 0
        self.pos = start
        """Output before this logical offset is plain or in a splice."""
        self.floor = start
        """No terminal takes over lines before this (the log shown starts here)."""
        self.term: StyledTerminal | None = None
        self._decoder: codecs.IncrementalDecoder | None = None
        self.busy = False
        """A :class:`Work` has the terminal."""

    def reset(self, size: tuple[int, int], start: int) -> None:
        """Another log, or the same from another place: no splices; a worker's result for
        what was shown before is dropped."""
        self.generation += 1
        self.columns, self.lines = size
        self.splices = []
        self.pos = self.floor = start
        self.term, self._decoder, self.busy = None, None, False

    def caught_up(self, end: int) -> bool:
        """Everything before ``end`` is told apart, and what needs the terminal is drawn."""
        return not self.busy and (self.term is None or self.pos >= end)

    @property
    def drawing(self) -> Splice | None:
        """The splice whose terminal is still drawing (always the last)."""
        last = self.splices[-1] if self.splices else None
        return last if last is not None and last.end is None else None

    # ---- taking the log in --------------------------------------------------------------

    def advance(self, read: Read, end: int, follow: bool) -> Work | None:
        """Take in the log up to ``end``: plain lines here and now (they need nothing), output
        that needs the terminal as a :class:`Work` for a worker (``None``: none to do)."""
        if self.busy or self.pos >= end:
            return None
        if self.term is not None:
            if follow and end - self.pos > BEHIND_BYTES:
                self._restart(read, end)
            return self._work(end)
        while True:  # a piece at a time: a log that redraws stops at the first that does
            data = read(self.pos, min(end, self.pos + LOOK_BYTES))
            last = self.pos + len(data) >= end
            cut = data.rfind(b"\n") + 1
            if not cut and not last:  # a line longer than a piece: looked at whole
                data, last = read(self.pos, end), True
                cut = data.rfind(b"\n") + 1
            plain = plain_prefix(data[:cut], self.columns) if cut else 0
            self.pos += plain
            if plain < cut:
                return self._start_terminal(read, end, follow)
            if last:
                rest = data[plain:]
                if not rest or plain_prefix(rest + b"\n", self.columns) > len(rest):
                    return None  # all plain (a partial last line: drawn by the view as it grows)
                return self._start_terminal(read, end, follow)

    def _start_terminal(self, read: Read, end: int, follow: bool) -> Work:
        """A terminal from ``pos``, taking over the lines before it still on its screen."""
        floor = max(self.floor, self.splices[-1].end or 0) if self.splices else self.floor
        lo = max(floor, self.pos - TAKE_OVER_BYTES)
        back = read(lo, self.pos)  # whole lines: it ends where the terminal's output starts
        start, end_of_line = self.pos, len(back) - 1
        for _ in range(self.lines - 1):
            if end_of_line < 0:
                break
            newline = back.rfind(b"\n", 0, end_of_line)
            if newline < 0:
                start = lo if lo == floor else start  # a line cut by the look back is not taken
                break
            start, end_of_line = lo + newline + 1, newline
        self.pos = start
        self.term = _terminal(self.columns, self.lines)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.splices.append(Splice(start, marks=[(0, start)]))
        if follow and end - start > BEHIND_BYTES:
            self._restart(read, end)  # a log opened far above its end: draw its end first
        return self._work(end)

    def _restart(self, read: Read, end: int) -> None:
        """Far behind while following: the screen drawn so far is final, and a new terminal
        starts a little before the end, after a row saying what was left out (the pane
        follows a redraw as fast as it can, not every frame of it)."""
        splice = self.splices[-1]
        data = read(end - RESTART_BYTES, end)
        start = end - RESTART_BYTES + data.find(b"\n") + 1
        splice.final.extend(splice.live)
        splice.live = []
        splice.final.append(
            f"\x1b[2;3m… {format_size(start - self.pos)} of redrawn output not drawn here"
            " (bgview output reads all of it)\x1b[0m"
        )
        splice.marks.append((len(splice.final), start))
        self.pos = start
        self.term = _terminal(self.columns, self.lines)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def _work(self, end: int) -> Work:
        assert self.term is not None and self._decoder is not None
        self.busy = True
        return Work(self.generation, self.term, self._decoder, self.pos, end)

    def apply(self, result: Result) -> int | None:
        """A worker's step came back: its rows are drawn. Returns the final rows dropped from
        the front (past :data:`MAX_FINAL_ROWS`), or ``None`` for a result of a log no longer
        shown."""
        if result.generation != self.generation:
            return None
        self.busy = False
        splice = self.splices[-1]
        self.pos = result.pos
        splice.final.extend(result.final)
        splice.live = result.live
        splice.full_screen = result.full_screen
        splice.marks.append((len(splice.final), result.pos))
        if result.released:
            splice.end = result.pos
            self.term, self._decoder = None, None
        excess = len(splice.final) - MAX_FINAL_ROWS
        if excess <= 0:
            return 0
        del splice.final[:excess]
        splice.marks = [(max(0, rows - excess), fed) for rows, fed in splice.marks]
        return excess

    def trim(self, base: int) -> None:
        """The view no longer holds the log before ``base``: nor do the splices."""
        self.floor = max(self.floor, base)
        if self.term is None:
            self.pos = max(self.pos, base)
        while self.splices and self.splices[0].end is not None and self.splices[0].end <= base:
            self.splices.pop(0)
