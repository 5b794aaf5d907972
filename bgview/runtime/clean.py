"""Turning a program's raw terminal output into clean text for a model (or a grep).

What a cleaned read gives is the text a terminal of the job's size would show for the same
bytes. Most output needs no terminal for that, and takes the fast path here: invalid UTF-8 is
replaced; colour and other escape sequences that do not move the cursor are removed; a line
rewritten with ``\r`` or backspaces (a progress bar) is given in the final form a terminal
would show, honouring erase-line escapes; other control characters are dropped. Tabs and
newlines stay. Lines are never merged or split, so cleaned line *i* is raw line *i*.

Output that moves the cursor across lines or columns (``CSI A``/``G``/``H``…, save and restore,
scroll regions, the alternate screen), or whose ``\r`` lands on a row the terminal has wrapped,
is given to a terminal emulator instead (:mod:`bgview.runtime.screen`, imported only then: it
needs pyte, and nothing on ``bgview run``'s path may). :func:`plain_text` says which is which.

Speed matters (``bgview output --filter`` over 100 MB): plain text is detected on the bytes
(:mod:`bgview.runtime.plainbytes`) and skips every other step, and in a block that needs
cleaning only the lines that hold such a byte are cleaned.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Protocol, TypeVar

from bgview.runtime.ptyexec import PTY_COLS, PTY_ROWS

# Erase-in-line escapes become private sentinels so the overlay step can honour them (the
# viewer's styled rendering uses the same sentinels and the same overlay).
ERASE_TO_END = "\x00"
ERASE_LINE = "\x01"
ERASE_TO_START = "\x02"
EL_SENTINELS = {"0": ERASE_TO_END, "": ERASE_TO_END, "1": ERASE_TO_START, "2": ERASE_LINE}
_EL_ESCAPES = tuple((f"\x1b[{n}K", sentinel) for n, sentinel in EL_SENTINELS.items())
_COLUMN_1_RE = re.compile(r"\x1b\[1?G")
"""Cursor to column 1 (CHA): on the same row, exactly what ``\r`` does."""
_ANSI_RE = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]            # CSI: colours, cursor moves, clears
  | \x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?  # OSC: titles, hyperlinks (never across a line)
  | \x1b[PX^_][^\x1b\n]*(?:\x1b\\)?    # DCS, SOS, PM, APC
  | \x1b[ -/]*[0-~]                    # two-byte and nF escapes: charset, keypad, save cursor
  | \x9b[0-?]*[ -/]*[@-~]              # the 8-bit CSI
    """,
    re.VERBOSE,
)
_CONTROLS_RE = re.compile(r"[\x03-\x07\x0b-\x0c\x0e-\x1f\x7f-\x9f]")
"""Controls removed before the overlay (keeps ``\\t \\n \\r \\b`` and the sentinels)."""
_RAW_CONTROLS_RE = re.compile(r"[\x00-\x02]")
OVERLAY_TOKENS = re.compile(r"([\r\x08\x00-\x02])")
_PLAIN_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n" + bytes(range(0xC3, 0x100))
"""Bytes that need no cleaning. ``0x80-0xC2`` are left out: they may start a C1 control
(``\\xc2\\x9b`` is the 8-bit CSI) or be invalid UTF-8; such text takes the slow path."""


_MOVES_CURSOR = re.compile(
    r"""
    \x1b(?!                               # any escape but those that leave the cursor be:
        \[[0-9;:]*m                        #   colours
      | \[[012]?K                          #   erase in line (the overlay does it)
      | \[1?G                              #   to column 1: a \r (npm's spinner)
      | \[\?(?:25|12|1|2004|1004|100[0-6]|1015|2026)[hl]  # cursor shown, keys, mouse, paste
      | [\]PX^_=>]                         #   strings (OSC, DCS…), keypad modes
      | \(B                                #   the ASCII character set
      | [\x00-\x1f]                        #   a lone ESC (the control after it still acts)
    )
  | \x9b(?![0-9;:]*m|[012]?K)             # the 8-bit CSI, likewise
  | [\x0b\x0c]                             # vertical tab and form feed: line feeds
    """,
    re.VERBOSE,
)
"""Escapes and controls whose effect only a terminal emulator gives."""


def needs_cleaning(data: bytes) -> bool:
    """Whether ``data`` holds anything but printable text, tabs and newlines."""
    return bool(data.translate(None, _PLAIN_BYTES))


def clean_bytes(data: bytes, columns: int = PTY_COLS, rows: int = PTY_ROWS) -> str:
    """What a terminal of ``columns``×``rows`` shows for ``data`` written to a blank screen,
    all of it final: the fast path when it can (see the module docstring), else a terminal."""
    text = plain_text(data, columns)
    if text is not None:
        return text
    from bgview.runtime.screen import FULL_SCREEN_NOTE, Terminal

    term = Terminal(columns, rows)
    term.feed(data.decode("utf-8", "replace"))
    term.settle(final=True)
    lines = term.pending
    if term.full_screen:
        lines = [*lines, FULL_SCREEN_NOTE + "\n", *(line + "\n" for line in term.current())]
    return "".join(lines)


def plain_text(data: bytes, columns: int = PTY_COLS) -> str | None:
    """``data`` cleaned without a terminal, or ``None`` when only a terminal can say what it
    shows: an escape that moves the cursor, or a ``\r``, backspace or erase that lands on a
    row wrapped at ``columns`` (or on a line of wide or combining characters)."""
    return _clean_lines_that_need_it(data, columns)


MAX_SPARSE_LINES = 2_000
"""Lines needing cleaning past which :func:`_clean_lines_that_need_it` cleans all the text:
picking them out one by one then costs more than it saves."""


def _clean_lines_that_need_it(data: bytes, columns: int) -> str | None:
    """:func:`plain_text`: ``data`` as it is if it is all plain (:mod:`bgview.runtime.plainbytes`),
    else ``clean_text(data.decode("utf-8", "replace"), columns)``, cleaning only the lines
    that hold a byte that is not plain.

    The same text, always: every step of :func:`clean_text` acts within a line (no escape,
    rewrite or invalid sequence runs across a newline, and no line is merged or split), a
    plain line comes out as it went in and decides nothing, and the lines that need cleaning
    are cleaned together, in order, so that what is asked of the whole text (whether it holds
    an escape, whether one moves the cursor, whether each line fits) has the same answer.
    A log with a coloured line among thousands of plain ones is cleaned at the speed of
    finding that line.
    """
    from bgview.runtime.plainbytes import plain_run

    runs: list[bytes] = []  # the plain lines between those that need cleaning
    dirty: list[bytes] = []
    pos, size = 0, len(data)
    while True:
        stop = plain_run(data, pos)
        if stop >= size or len(dirty) >= MAX_SPARSE_LINES:
            if dirty and stop < size:  # too many to pick out: clean it all
                return clean_text(data.decode("utf-8", "replace"), columns)
            runs.append(data[pos:])
            break
        start = max(data.rfind(b"\n", pos, stop) + 1, pos)  # pos is a line's start
        end = data.find(b"\n", stop) + 1 or size
        runs.append(data[pos:start])
        dirty.append(data[start:end])
        pos = end
    if not dirty:
        return data.decode("ascii")
    cleaned = clean_text(b"".join(dirty).decode("utf-8", "replace"), columns)
    if cleaned is None:
        return None
    out = [runs[0].decode("ascii")]
    out_bytes = [runs[0]]
    at = 0
    for run in runs[1:]:
        newline = cleaned.find("\n", at)
        stop = len(cleaned) if newline < 0 else newline + 1
        out.append(cleaned[at:stop])
        out.append(run.decode("ascii"))
        out_bytes.append(cleaned[at:stop].encode("utf-8", "surrogatepass"))
        out_bytes.append(run)
        at = stop
    text = "".join(out)
    if not cleaned.isascii():  # (an ASCII text encodes as quickly as it is copied)
        global _last_utf8
        _last_utf8 = (text, b"".join(out_bytes))
    return text


_last_utf8: tuple[str, bytes] | None = None
"""The text :func:`_clean_lines_that_need_it` last built, with its UTF-8 (see :func:`utf8`)."""


def utf8(text: str) -> bytes:
    """``text.encode("utf-8", "surrogatepass")``; for the text :func:`plain_text` last gave,
    the bytes it built beside it (the plain lines as they were read), at no cost: encoding a
    megabyte that is not all ASCII again costs more than cleaning it did."""
    last = _last_utf8
    if last is not None and last[0] is text:
        return last[1]
    return text.encode("utf-8", "surrogatepass")


def moves_cursor(text: str) -> bool:
    """Whether ``text`` holds an escape or control only a terminal emulator can carry out."""
    return _MOVES_CURSOR.search(text) is not None


def clean_text(text: str, columns: int | None = None) -> str | None:
    """The slow path of :func:`plain_text`, on already-decoded text. With ``columns``,
    ``None`` when a terminal is needed (see :func:`plain_text`); without, escapes that move
    the cursor are dropped like the others and every line is overlaid as it is."""
    text = _RAW_CONTROLS_RE.sub("", text)
    if "\x1b" in text or "\x9b" in text:  # ESC, or the 8-bit CSI (C1 0x9b)
        for escape, sentinel in _EL_ESCAPES:  # str.replace: a spinner has thousands
            text = text.replace(escape, sentinel)
        text = _COLUMN_1_RE.sub("\r", text)
        if columns is not None and moves_cursor(text):  # what is left of the escapes
            return None
        text = _ANSI_RE.sub("", text)
        text = text.replace("\x1b", "")
    elif columns is not None and ("\x0b" in text or "\x0c" in text):
        return None  # line feeds that are not newlines
    text = _CONTROLS_RE.sub("", text)
    if OVERLAY_TOKENS.search(text):
        lines = text.split("\n")
        if columns is not None and not all(map(partial_fits(columns), lines)):
            return None
        text = "\n".join(overlay(line) for line in lines)
    return text


def partial_fits(columns: int) -> Callable[[str], bool]:
    """A test of one line for :func:`clean_text`: whether the overlay gives what a terminal of
    ``columns`` shows for it."""

    def fits(line: str) -> bool:
        if len(line) <= columns and line.isascii():
            return True
        if not OVERLAY_TOKENS.search(line):
            return True  # written once, left to right: wrapping shows the same text
        if not line.isascii() and any(_odd_width(ch) for ch in set(line) if ch > "\u02ff"):
            return False  # columns are not characters there
        if max(map(len, line.split("\r"))) < columns:
            return True  # no run between returns to column 0 reaches the right margin
        col = 0
        for token in OVERLAY_TOKENS.split(line):
            if not token:
                continue
            if token in _TOKEN_SET:
                if col >= columns:
                    return False  # it acts on the wrapped row, not on the line's start
                col = 0 if token == "\r" else max(0, col - 1) if token == "\x08" else col
            else:
                col += len(token)
        return True

    return fits


_TOKEN_SET = frozenset("\r\x08\x00\x01\x02")


def _odd_width(ch: str) -> bool:
    """A character a terminal does not give exactly one column: wide or combining."""
    return (
        unicodedata.east_asian_width(ch) in "WF"
        or unicodedata.combining(ch) != 0
        or (unicodedata.category(ch) in ("Mn", "Me", "Cf"))
    )


class Line(Protocol):
    """What the overlay needs of a line: ``str``, or a styled ``rich.text.Text``."""

    def __len__(self) -> int: ...
    def __getitem__(self: L, index: slice, /) -> L: ...
    def __add__(self: L, other: L, /) -> L: ...


L = TypeVar("L", bound=Line)


def overlay(line: str) -> str:
    """What a terminal shows after writing ``line``: ``\\r`` returns to column 0 and later
    text overwrites, backspace steps left, the sentinels erase to the end of the line, to its
    start (the cursor's column included) or all of it; the cursor stays where it is."""
    if not OVERLAY_TOKENS.search(line):
        return line
    # After a return to column 0 and an erase of the line, nothing before shows: a spinner's
    # thousands of frames are overlaid from its last.
    reset = max(line.rfind("\r" + ERASE_TO_END), line.rfind("\r" + ERASE_LINE))
    return overlay_with(line[reset:] if reset > 0 else line, str, "")


def overlay_with(line: str, piece: Callable[[str], L], empty: L) -> L:
    """:func:`overlay` building the result from ``piece(text)`` (plain or styled) pieces."""
    screen = empty
    col = 0
    for token in OVERLAY_TOKENS.split(line):
        if not token:
            continue
        if token == "\r":
            col = 0
        elif token == "\x08":
            col = max(0, col - 1)
        elif token == ERASE_TO_END:
            screen = screen[:col]
        elif token == ERASE_TO_START:
            screen = piece(" " * min(col + 1, len(screen))) + screen[col + 1 :]
        elif token == ERASE_LINE:
            screen = empty
        else:
            written = piece(token)
            if col > len(screen):
                screen = screen + piece(" " * (col - len(screen)))
            screen = screen[:col] + written + screen[col + len(written) :]
            col += len(written)
    return screen
