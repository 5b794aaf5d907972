"""Strings that came from a job, made safe to put on a terminal.

A job's command, name, cwd, argv and failure reason are whatever its starter typed, pasted or
generated, and every face shows them: ``bgview list``, the notices, the viewer, the REPL, the
agent tools. Printed raw, a name holding ``ESC ] 52 ; c ; … BEL`` writes the user's clipboard,
``ESC ] 0 ; … BEL`` retitles the terminal, ``ESC [ 2J`` clears it, and a bidi override makes
``rm -rf ~`` read as something else. :func:`visible` is what every face passes such a string
through before showing it.

What it does, character by character (everything else is kept as it is):

* C0 controls and DEL in caret notation, as ``cat -v`` and bash show them: ``ESC`` is ``^[``,
  ``BEL`` ``^G``, ``NUL`` ``^@``, ``DEL`` ``^?``. A newline is ``^J`` and a tab ``^I``: a table
  cell, a notice and a toast are one line, and where a command breaks its lines matters to the
  shell, so the cell says so rather than showing a space. Where there is room for several
  lines (the viewer's job details) ``multiline=True`` keeps newlines and tabs as they are.
* C1 controls (U+0080 to U+009F; ``\\x9b`` is a one-character CSI to many terminals) as
  ``\\x9b``.
* Characters that are invisible yet act on how text is laid out or read — every format
  character (Unicode category Cf) and the line and paragraph separators: bidi embeddings,
  overrides, isolates and marks (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C),
  zero-width spaces and joiners, the word joiner and invisible operators, the byte order mark,
  the soft hyphen, interlinear annotations, the tag characters (U+E0000 to U+E007F, invisible
  "ASCII" that smuggles text) — as ``\\u202e`` or ``\\U000e0041``.
* Lone surrogates (a file name that was not UTF-8, decoded with ``surrogateescape``) as
  ``\\udcff``, which also keeps printing them from failing with an encoding error.

The result is for reading, not for parsing back: a name that literally holds ``^[`` looks the
same as one holding ESC. ``bgview list --json`` keeps the exact strings. The function is
idempotent (what it returns has nothing left to escape) and costs one ``str.isprintable`` call
for an ordinary string, so it can sit on every display path. Standard library only.
"""

from __future__ import annotations

import re

_UNSAFE = (
    "["
    "\x00-\x1f\x7f-\x9f"  # C0, DEL, C1
    "\u00ad"  # soft hyphen
    "\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"  # Arabic and Syriac format marks
    "\u180e"  # Mongolian vowel separator
    "\u200b-\u200f"  # zero-width space, non-joiner, joiner; left-to-right and right-to-left marks
    "\u2028-\u202e"  # line and paragraph separators; bidi embeddings and overrides
    "\u2060-\u2064"  # word joiner, invisible operators
    "\u2066-\u206f"  # bidi isolates; deprecated format characters
    "\ufeff"  # byte order mark (zero-width no-break space)
    "\ufff9-\ufffb"  # interlinear annotations
    "\ud800-\udfff"  # lone surrogates
    "\U000110bd\U000110cd"  # Kaithi number signs
    "\U00013430-\U0001343f"  # Egyptian hieroglyph format controls
    "\U0001bca0-\U0001bca3"  # shorthand format controls
    "\U0001d173-\U0001d17a"  # musical symbol format controls (beams, ties, slurs, phrases)
    "\U000e0000-\U000e007f"  # tag characters
    "]"
)
"""What :func:`visible` escapes, as a regex character class."""
_compiled: dict[bool, re.Pattern[str]] = {}
"""The class compiled on first need (a millisecond ``bgview run`` rarely has to spend), for
one line (``False``) and with newlines and tabs kept (``True``)."""


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20 or code == 0x7F:
        return "^" + chr(code ^ 0x40)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, *, multiline: bool = False) -> str:
    """``text`` with every control and dangerous invisible character made visible (see the
    module's docstring): safe to print, one line unless ``multiline``."""
    if text.isprintable():  # every character above is non-printable to Python
        return text
    pattern = _compiled.get(multiline)
    if pattern is None:
        chars = _UNSAFE.replace("\x00-\x1f", "\x00-\x08\x0b-\x1f") if multiline else _UNSAFE
        pattern = _compiled[multiline] = re.compile(chars)
    return pattern.sub(_shown, text)
