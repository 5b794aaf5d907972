"""Turning a program's raw terminal output into clean text for a model (or a grep).

The rules, in order: invalid UTF-8 is replaced; colour and other escape sequences are removed;
a line rewritten with ``\\r`` or backspaces (a progress bar) is given in the final form a
terminal would show, honouring erase-line escapes; other control characters are dropped.
Tabs and newlines stay. Lines are never merged or split, so cleaned line *i* is raw line *i*.

Speed matters (``bgview output --filter`` over 100 MB): plain text is detected on the bytes
with one ``translate`` and skips every other step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol, TypeVar

# Erase-in-line escapes become private sentinels so the overlay step can honour them (the
# viewer's styled rendering uses the same sentinels and the same overlay).
ERASE_TO_END = "\x00"
ERASE_LINE = "\x01"
ERASE_TO_START = "\x02"
EL_SENTINELS = {"0": ERASE_TO_END, "": ERASE_TO_END, "1": ERASE_TO_START, "2": ERASE_LINE}
_EL_RE = re.compile(r"\x1b\[([012]?)K")
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
_CONTROLS_RE = re.compile(r"[\x00-\x07\x0b-\x0c\x0e-\x1f\x7f-\x9f]")
"""Controls removed before the overlay (keeps ``\\t \\n \\r \\b`` and the sentinels)."""
_RAW_CONTROLS_RE = re.compile(r"[\x00-\x02]")
OVERLAY_TOKENS = re.compile(r"([\r\x08\x00-\x02])")
_PLAIN_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n" + bytes(range(0xC3, 0x100))
"""Bytes that need no cleaning. ``0x80-0xC2`` are left out: they may start a C1 control
(``\\xc2\\x9b`` is the 8-bit CSI) or be invalid UTF-8; such text takes the slow path."""


def needs_cleaning(data: bytes) -> bool:
    """Whether ``data`` holds anything but printable text, tabs and newlines."""
    return bool(data.translate(None, _PLAIN_BYTES))


def clean_bytes(data: bytes) -> str:
    """Clean a block of complete lines (see the module docstring)."""
    if not needs_cleaning(data):
        return data.decode("utf-8", "replace")
    return clean_text(data.decode("utf-8", "replace"))


def clean_text(text: str) -> str:
    """The slow path of :func:`clean_bytes`, on already-decoded text."""
    text = _RAW_CONTROLS_RE.sub("", text)
    if "\x1b" in text or "\x9b" in text:  # ESC, or the 8-bit CSI (C1 0x9b)
        text = _EL_RE.sub(lambda m: EL_SENTINELS[m.group(1)], text)
        text = _ANSI_RE.sub("", text)
        text = text.replace("\x1b", "")
    text = _CONTROLS_RE.sub(lambda m: m.group() if m.group() in "\x00\x01\x02" else "", text)
    if OVERLAY_TOKENS.search(text):
        text = "\n".join(overlay(line) for line in text.split("\n"))
    return text


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
    return overlay_with(line, str, "")


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
