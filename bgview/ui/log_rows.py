"""The log pane's rows: a job's output as a terminal of its size draws it, in plain Python.

The window of the log the pane holds (:class:`~bgview.ui.log_index.LineIndex`) is cut into
runs. A run of *plain* lines — no escape in them moves the cursor, which is nearly all output
— is drawn a line a row, each line read and styled only when it is drawn (the fast path: it
costs a ``translate`` of the bytes to know). Output that moves the cursor (progress bars that
redraw, spinners, ``top``, a program on the alternate screen) is an *emulated* run: it is fed
to the cleaned reads' own terminal, with colours kept (:mod:`bgview.ui.styled_term`), and its
rows are the lines that scrolled off the top of that terminal — final, as tmux keeps them in
its history — and below them the terminal's screen as it is now, drawn again as it changes. A
full-screen program is its current screen. When the terminal is settled again (the cursor at
the start of a blank row, nothing it could redraw) and plain output follows, its screen becomes
final and the plain runs go on.

A terminal starting after plain lines takes over the plain rows a terminal would still show
(its height's worth), so that a program moving up into them redraws them as a terminal would.
Feeding the terminal can be slow (pyte: a few MB/s), so it is done by a :class:`Work` in a
worker thread, a step at a time; while following, an emulation that falls too far behind
starts again near the tail, saying what it left out.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from bgview.runtime.clean import _MOVES_CURSOR, needs_cleaning, plain_text
from bgview.runtime.notices import format_size
from bgview.ui.log_index import LineIndex
from bgview.ui.styled_term import StyledTerminal

STEP_BYTES = 256 * 1024
"""The most output one :class:`Work` feeds before handing back what it drew."""
FEED_BYTES = 16 * 1024
"""Fed to the terminal at a time (at a line's end where there is one)."""
BEHIND_BYTES = 2 * 1024 * 1024
"""While following, an emulation this far behind the log's end starts again near it."""
RESTART_BYTES = 128 * 1024
"""How much before the end such a new start takes in."""
MAX_FINAL_ROWS = 100_000
"""Final rows one emulated run keeps (the oldest go first)."""
_MOVES = re.compile(_MOVES_CURSOR.pattern.replace("\\x9b", "\\xc2\\x9b").encode(), re.VERBOSE)
""":data:`bgview.runtime.clean._MOVES_CURSOR` on bytes (the 8-bit CSI is ``C2 9B`` in UTF-8)."""

Read = Callable[[int, int], bytes]
Cancelled = Callable[[], bool]


@dataclass
class PlainRun:
    """Lines ``[first, last)`` of the window, a line a row."""

    first: int
    last: int

    @property
    def rows(self) -> int:
        return self.last - self.first


@dataclass
class EmuRun:
    """Rows a terminal drew for the output from line ``first``."""

    first: int
    final: list[str] = field(default_factory=list)
    """Rows that can no longer change, as text with SGR and OSC 8 escapes."""
    live: list[str] = field(default_factory=list)
    """The terminal's screen below them, as it is now (empty once the terminal is gone)."""
    marks: list[tuple[int, int]] = field(default_factory=list)
    """``(final rows, lines fed)`` after each step: how rows and the log's lines line up."""
    full_screen: bool = False

    @property
    def rows(self) -> int:
        return len(self.final) + len(self.live)

    def row(self, k: int) -> str:
        final = self.final
        return final[k] if k < len(final) else self.live[k - len(final)]

    def line_of(self, k: int) -> int:
        """The log's line about where row ``k`` was drawn (for a search to start from)."""
        i = bisect_left(self.marks, (k, -1))
        return self.marks[i][1] if i < len(self.marks) else (self.marks or [(0, self.first)])[-1][1]

    def row_of(self, line: int) -> int:
        rows = next((r for r, fed in self.marks if fed > line), len(self.final))
        return max(0, min(rows, self.rows - 1))


Run = PlainRun | EmuRun


@dataclass
class Result:
    """What a :class:`Work` step drew, handed back to the UI thread."""

    generation: int
    pos: int
    line: int
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
    line: int

    def run(self, read: Read, cancelled: Cancelled) -> Result:
        term, pos, line = self.term, self.start, self.line
        final: list[str] = []
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
            line += chunk.count(b"\n")
        final.extend(term.pending)
        term.pending.clear()
        live = [] if released else term.live_rows()
        while live and not live[-1]:
            live.pop()
        final = [row.removesuffix("\n") for row in final]
        return Result(self.generation, pos, line, final, live, term.full_screen, released)


def plain_prefix(data: bytes, columns: int) -> int:
    """How many bytes of ``data`` (whole lines) need no terminal: up to the start of the first
    line with an escape that moves the cursor, or a ``\\r`` that lands on a wrapped row."""
    if not needs_cleaning(data):
        return len(data)
    move = _MOVES.search(data)
    end = len(data) if move is None else data.rfind(b"\n", 0, move.start()) + 1
    if b"\r" in data or b"\x08" in data:  # a rewrite of a line longer than the terminal
        at = 0
        for line in data[:end].split(b"\n"):
            if len(line) > columns and plain_text(line, columns) is None:
                return at
            at += len(line) + 1
    return end


class LogRows:
    """The rows of the pane's window (see the module docstring). The UI thread calls
    :meth:`advance` as the window grows and runs the :class:`Work` it may return in a worker,
    handing its :class:`Result` to :meth:`apply`."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.columns, self.lines = size
        self.runs: list[Run] = []
        self._starts: list[int] = []
        """The row each run starts at."""
        self.generation = 0
        self.pos = 0
        """Output before this logical offset is in the runs (or in the terminal)."""
        self.line = 0
        """The number of the line ``pos`` is in (at its start, but in a terminal)."""
        self.partial = False
        """A plain partial last line (no newline yet) is shown after the runs."""
        self.term: StyledTerminal | None = None
        self._decoder: codecs.IncrementalDecoder | None = None
        self.busy = False
        """A :class:`Work` has the terminal."""

    def reset(self, index: LineIndex) -> None:
        """A new window: nothing drawn yet; a worker's result for the old one is dropped."""
        self.generation += 1
        self.runs, self._starts = [], []
        self.pos, self.line, self.partial = index.base, index.first, False
        self.term, self._decoder, self.busy = None, None, False

    # ---- rows ---------------------------------------------------------------------------

    @property
    def count(self) -> int:
        rows = self._starts[-1] + self.runs[-1].rows if self.runs else 0
        return rows + self.partial

    def _find(self, row: int) -> tuple[Run | None, int]:
        i = bisect_right(self._starts, row) - 1
        if i < 0:
            return None, 0
        return self.runs[i], row - self._starts[i]

    def at(self, row: int) -> int | str:
        """What row ``row`` draws: a line of the log (a number) or a row a terminal drew."""
        run, k = self._find(row)
        if run is None or k >= run.rows:
            return self.line  # the partial last line
        return run.first + k if isinstance(run, PlainRun) else run.row(k)

    def line_of(self, row: int) -> int:
        run, k = self._find(row)
        if run is None or k >= run.rows:
            return self.line
        return run.first + k if isinstance(run, PlainRun) else run.line_of(k)

    def row_of(self, line: int) -> int | None:
        """The row that draws ``line`` (for a terminal's run: about where it was drawn)."""
        if self.partial and line == self.line:
            return self.count - 1
        i = bisect_right([run.first for run in self.runs], line) - 1
        if i < 0:
            return None
        run = self.runs[i]
        if isinstance(run, PlainRun):
            return self._starts[i] + line - run.first if line < run.last else None
        return self._starts[i] + run.row_of(line) if run.rows else None

    @property
    def full_screen_row(self) -> int | None:
        """Where a full-screen program's screen starts, when the tail is one."""
        run = self.runs[-1] if self.runs else None
        if isinstance(run, EmuRun) and run.full_screen and run.live:
            return self._starts[-1] + len(run.final)
        return None

    def _append(self, run: Run) -> None:
        self._starts.append(self.count - self.partial)
        self.runs.append(run)

    # ---- taking the window in -----------------------------------------------------------

    def advance(self, read: Read, index: LineIndex, follow: bool) -> Work | None:
        """Take in the window up to its end: plain lines here and now, output that needs the
        terminal as a :class:`Work` for a worker (``None``: nothing for one to do)."""
        if self.busy:
            return None
        end = index.end
        if self.term is not None:
            if follow and end - self.pos > BEHIND_BYTES:
                self._restart(index)
            return self._work(end) if self.pos < end else None
        if self.pos >= end:
            return None
        data = read(self.pos, end)
        cut = data.rfind(b"\n") + 1
        plain = plain_prefix(data[:cut], self.columns) if cut else 0
        if plain:
            self._add_plain(data[:plain])
        self.partial = False
        rest = data[plain:]
        if not rest:
            return None
        if plain == cut and plain_prefix(rest + b"\n", self.columns) > len(rest):
            self.partial = True  # a plain line on its way: shown as it grows
            return None
        return self._start_terminal(index, end)

    def _add_plain(self, data: bytes) -> None:
        count = data.count(b"\n")
        last = self.runs[-1] if self.runs else None
        if isinstance(last, PlainRun) and last.last == self.line:
            last.last += count
        else:
            self._append(PlainRun(self.line, self.line + count))
        self.pos += len(data)
        self.line += count

    def _start_terminal(self, index: LineIndex, end: int) -> Work:
        """A terminal from ``pos``, taking over the plain rows still on its screen."""
        last = self.runs[-1] if self.runs else None
        if isinstance(last, PlainRun):
            take = min(self.lines - 1, last.rows)
            last.last -= take
            self.line -= take
            self.pos = index.span(self.line)[0]
            if not last.rows:
                self.runs.pop()
                self._starts.pop()
        self.term = StyledTerminal(self.columns, self.lines)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._append(EmuRun(self.line, marks=[(0, self.line)]))
        return self._work(end)

    def _restart(self, index: LineIndex) -> None:
        """Far behind while following: the drawn screen is final, and a new terminal starts
        a little before the end, after a row saying what was left out."""
        run = self.runs[-1]
        assert isinstance(run, EmuRun)
        line = index.line_at(max(index.base, index.end - RESTART_BYTES))
        start = index.span(line)[0]
        skipped = start - self.pos
        run.final.extend(run.live)
        run.live = []
        run.final.append(
            f"\x1b[2;3m… {format_size(skipped)} of output redrawn faster than it could be "
            "shown: left out\x1b[0m"
        )
        run.marks.append((len(run.final), line))
        self.pos, self.line = start, line
        self.term = StyledTerminal(self.columns, self.lines)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def _work(self, end: int) -> Work:
        assert self.term is not None and self._decoder is not None
        self.busy = True
        return Work(self.generation, self.term, self._decoder, self.pos, end, self.line)

    def apply(self, result: Result) -> int:
        """A worker's step came back: its rows are drawn. Returns the rows dropped from the
        front (a run past :data:`MAX_FINAL_ROWS`); ``-1`` for a result of an older window."""
        if result.generation != self.generation:
            return -1
        self.busy = False
        run = self.runs[-1]
        assert isinstance(run, EmuRun)
        self.pos, self.line = result.pos, result.line
        run.final.extend(result.final)
        run.live = result.live
        run.full_screen = result.full_screen
        run.marks.append((len(run.final), result.line))
        if result.released:
            self.term, self._decoder = None, None
        excess = len(run.final) - MAX_FINAL_ROWS
        if excess > 0:
            del run.final[:excess]
            run.marks = [(max(0, rows - excess), line) for rows, line in run.marks]
            return excess
        return 0

    def trim(self, first: int) -> int:
        """The window lost its lines before ``first``: so do the runs; rows dropped."""
        gone = 0
        while self.runs:
            run = self.runs[0]
            after = self.runs[1].first if len(self.runs) > 1 else self.line
            if isinstance(run, PlainRun) and run.first < first:
                cut = min(first, run.last) - run.first
                run.first += cut
                gone += cut
                if run.rows:
                    break
            elif isinstance(run, EmuRun) and after <= first and len(self.runs) > 1:
                gone += run.rows
            else:
                break
            self.runs.pop(0)
        if gone:
            self._restart_rows()
        return gone

    def insert_front(self, generation: int, run: EmuRun) -> bool:
        """Rows a worker drew for earlier lines (:meth:`prepend` could not): ``False`` if they
        are for an older window."""
        if generation != self.generation or not run.rows:
            return False
        self.runs.insert(0, run)
        self._restart_rows()
        return True

    def _restart_rows(self) -> None:
        """Where each run starts, counted again (runs came or went at the front)."""
        self._starts = []
        rows = 0
        for run in self.runs:
            self._starts.append(rows)
            rows += run.rows

    def prepend(self, data: bytes, first: int) -> bool:
        """Earlier lines from ``first`` came into the window (``data``: their bytes). Plain
        ones become rows at once; ``False`` if they need a terminal (they are not shown)."""
        count = data.count(b"\n")
        if plain_prefix(data, self.columns) < len(data):
            return False
        if self.runs and isinstance(self.runs[0], PlainRun) and self.runs[0].first == first + count:
            self.runs[0].first = first
        else:
            self.runs.insert(0, PlainRun(first, first + count))
        self._restart_rows()
        return True


def draw_whole(data: bytes, first: int, size: tuple[int, int]) -> EmuRun:
    """Earlier output that needs a terminal, drawn whole (in a worker): every row final."""
    term = StyledTerminal(*size)
    term.feed(data.decode("utf-8", "replace"))
    term.settle(final=True)
    rows = [row.removesuffix("\n") for row in term.pending]
    if term.full_screen:
        rows.extend(term.live_rows())
    return EmuRun(first, final=rows, marks=[(0, first), (len(rows), first + data.count(b"\n"))])
