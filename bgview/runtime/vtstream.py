"""What reaches pyte's screen: the bytes removed before pyte parses, and its parser extended.

Every screen that parses a job's output — the reader's (:mod:`bgview.runtime.vtscreen`), an
attached job's (:mod:`bgview.runtime.livescreen`) and the viewer's styled one — takes the same
parser, so it is apart from any one screen: :class:`Stream` is pyte's, with scroll up and down
(``CSI S``, ``CSI T``) and repeat (``CSI b``), which tmux and ncurses use, vertical tab and form
feed moving down in the same column, and sequences pyte cannot take dropped as a terminal
drops them. :data:`STRIP` is what the reader's plain screen removes first: colours do not
matter for text, and SGR, OSC and DCS strings are most of a coloured progress bar's bytes.

This module imports pyte: nothing on ``bgview run``'s or the supervisor's start path may import
it (``tests/hardening/test_layers.py``).
"""

from __future__ import annotations

import re

import pyte

INERT = r"""
  | \x9d[^\x07\x1b\n]*(?:\x07|\x1b\\)?
  | \x1b[PX^_][^\x1b\n]*(?:\x1b\\)?              # DCS, SOS, PM, APC strings
  | \x1b(?=[\x00-\x1f])                            # a lone ESC: the control after it acts
  | \x1b\[\?[0-9;:]*[@-IL-gi-km-~]                 # private CSI pyte has no handler for
  | [\x00-\x07\x10-\x1a\x1c-\x1f\x7f\x80-\x9a\x9c\x9e\x9f]  # controls a terminal ignores
"""
"""The alternatives (a verbose regex's) every screen removes before pyte parses: strings and
controls that move no cursor and change no cell; each screen adds what else it drops."""

STRIP = re.compile(
    r"""
    \x1b\[[0-9;:]*m                              # SGR: colours
  | \x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?          # OSC: titles, links (never across a line)"""
    + INERT,
    re.VERBOSE,
)
"""What is removed before pyte parses: nothing that moves the cursor or changes a cell."""


class Stream(pyte.Stream):
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
        ``insert_characters``) is dropped, as a terminal drops what it does not know; a non-ASCII
        digit inside a sequence is passed over, as tmux does."""
        if not data.isascii() and data.isdigit():
            # pyte takes any Unicode digit ("₂", "٣") as a parameter digit and then fails on
            # int(); tmux passes over it and the sequence goes on.
            return False
        try:
            return self._parser.send(data)  # type: ignore[union-attr]
        except TypeError:
            self._initialize_parser()
            return True  # plain text comes next
        except Exception:
            self._initialize_parser()  # as pyte does: usable again after any error
            raise
