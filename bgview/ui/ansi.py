"""One raw line of terminal output to a Rich ``Text``, as a terminal would have shown it.

Colours (SGR escapes) are kept and drawn, and OSC 8 hyperlinks stay links. ``\\r`` (and a
move to column 1, ``CSI G``) returns to column 0 and what follows overwrites in place (a
progress bar ends as its last state, in its colours); erase-line escapes erase. Every other
escape — titles, and the cursor moves and screen clears of a line the log pane did not give
to its terminal (:mod:`bgview.ui.log_rows`) — and every other control character is removed
here, so none of them can ever reach the real terminal through the viewer; a link whose
address holds a control character loses its address.

:func:`render_row` draws a row the pane's terminal drew (:mod:`bgview.ui.styled_term`), whose
colours and links come in the same escapes.
"""

from __future__ import annotations

import re

from rich.ansi import AnsiDecoder
from rich.color import Color
from rich.style import Style
from rich.text import Span, Text

from bgview.runtime.clean import (
    EL_SENTINELS,
    ERASE_LINE,
    ERASE_TO_END,
    ERASE_TO_START,
    OVERLAY_TOKENS,
    overlay_with,
)

MAX_LINE_BYTES = 16 * 1024
"""A longer line is drawn up to here, then marked as cut: styling a megabyte-long line on
every frame would stall the viewer, and no terminal is that wide."""

_SGR_OR_EL = re.compile(
    r"\x1b\[([0-9;:]*)m|\x1b\[([012]?)K"  # colours, erase in line
    r"|\x1b\]8;[^;\x07\x1b]*;([^\x07\x1b]*)(?:\x07|\x1b\\)"  # a hyperlink: OSC 8 ; params ; URI
    r"|(\x1b\[1?G)"  # to column 1: a \r
)
_OTHER_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]              # any other CSI: cursor moves, screen clears, modes
  | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?   # OSC: titles, hyperlinks
  | \x1b[PX^_][^\x1b]*(?:\x1b\\)?        # DCS, SOS, PM, APC
  | \x1b[ -/]*[0-~]?                     # two-byte escapes (charset, keypad), a lone ESC
  | \x9b[0-?]*[ -/]*[@-~]                # the 8-bit CSI
    """,
    re.VERBOSE,
)
_SGR_MARK = "\x03"
"""Stands for ``ESC [`` of a colour escape while the other escapes are removed."""
_LINK_MARK, _ST_MARK = "\ue000", "\ue001"
"""Stand for ``ESC ] 8 ; ;`` and ``ESC \\`` of a hyperlink meanwhile (private-use characters,
removed from the line first)."""
_LINK_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f]")
_CONTROLS = re.compile(r"[\x04-\x07\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Controls dropped after the escapes are handled (keeps tab, CR, BS and our sentinels)."""
_NEEDS_WORK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def sanitize(line: str) -> str:
    """Keep colour escapes (as real escapes), turn erase-line into sentinels, drop the rest."""

    def keep(match: re.Match[str]) -> str:
        sgr, erase, link, column_1 = match.groups()
        if erase is not None:
            return EL_SENTINELS[erase]
        if link is not None:
            safe = link if len(link) <= 2048 and not _LINK_UNSAFE.search(link) else ""
            return _LINK_MARK + safe + _ST_MARK
        if column_1 is not None:
            return "\r"
        return _SGR_MARK + sgr + "m"

    for raw_sentinel in (ERASE_TO_END, ERASE_LINE, ERASE_TO_START, _SGR_MARK, _LINK_MARK, _ST_MARK):
        line = line.replace(raw_sentinel, "")
    line = _SGR_OR_EL.sub(keep, line)
    line = _OTHER_ESCAPES.sub("", line).replace("\x1b", "")
    line = _CONTROLS.sub("", line)
    line = line.replace(_LINK_MARK, "\x1b]8;;").replace(_ST_MARK, "\x1b\\")
    return line.replace(_SGR_MARK, "\x1b[")


def render_line(raw: bytes) -> Text:
    """The line (without its newline) as styled text, no wider than the terminal made it."""
    cut = len(raw) > MAX_LINE_BYTES
    if cut:
        raw = raw[:MAX_LINE_BYTES]
    line = raw.decode("utf-8", "replace").rstrip("\n")
    if line.endswith("\r"):
        line = line[:-1]  # CRLF: the pty's own line ending, not an overwrite
    plain = not _NEEDS_WORK.search(line)
    text = Text(line, no_wrap=True) if plain else visible_black(_overlay(sanitize(line)))
    if "\t" in text.plain:
        text.expand_tabs(8)
    if cut:
        text.append(" … (line cut)", style="dim italic")
    return text


def _overlay(line: str) -> Text:
    """Apply ``\\r``, backspace and the erase sentinels, keeping colour state across them."""
    decoder = AnsiDecoder()
    if not OVERLAY_TOKENS.search(line):
        return decoder.decode_line(line)
    screen = overlay_with(line, decoder.decode_line, Text())
    screen.no_wrap = True
    return screen


def render_row(row: str) -> Text:
    """A row the pane's terminal drew (its colours and links as escapes) as styled text."""
    if "\x1b" not in row:
        return Text(row, no_wrap=True)
    text = AnsiDecoder().decode_line(row)
    text.no_wrap = True
    return visible_black(text)


_BLACK = Color.from_ansi(0)
_BRIGHT_BLACK = Style(color=Color.from_ansi(8))


def visible_black(text: Text) -> Text:
    """Black text on the terminal's own background is drawn bright black (grey): on a dark
    terminal black on its background vanishes (htop's columns did), and grey shows on a dark
    and a light one alike. Black on a colour (htop's headings) stays black."""
    spans = text.spans
    for i, span in enumerate(spans):
        style = span.style
        black = isinstance(style, Style) and style.color == _BLACK and not style.reverse
        if black and isinstance(style, Style) and style.bgcolor is None:
            spans[i] = Span(span.start, span.end, style + _BRIGHT_BLACK)
    return text
