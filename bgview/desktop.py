"""Desktop notifications through the terminal: OSC 9 and OSC 777, for a job that ends while
the terminal is not in front.

A terminal turns ``ESC ] 9 ; text ST`` (iTerm2, WezTerm, Ghostty, kitty, Windows Terminal) or
``ESC ] 777 ; notify ; title ; text ST`` (foot, urxvt, Ghostty, VTE terminals) into a desktop
notification. No daemon or library is needed, and it works over ssh: the bytes travel with
the rest of the output. Inside tmux they are wrapped in tmux's passthrough (``ESC P tmux;``),
which tmux forwards to the outer terminal when ``allow-passthrough`` is on.

Off by default: ``--notify`` (the viewer, ``bgview shell``: :func:`enable`) or
``BGVIEW_NOTIFY`` turns it on: ``1``/``osc9`` for OSC 9, ``osc777`` for OSC 777, ``0`` or empty
for none. The faces ask :func:`current` when a job ends.

What a job names (its name, its command, a reason) goes through
:func:`~bgview.runtime.text.visible` first, so no job can end the sequence early and write an
escape of its own to the terminal.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from bgview.runtime.errors import BgviewError
from bgview.runtime.text import visible

Style = Literal["osc9", "osc777"]

ENV = "BGVIEW_NOTIFY"
TITLE = "bgview"
MAX_TEXT = 200
"""Characters of text at most: a notification is a line, and some terminals cut less."""

_STYLES: dict[str, Style | None] = {
    "": None,
    "0": None,
    "off": None,
    "1": "osc9",
    "on": "osc9",
    "osc9": "osc9",
    "osc777": "osc777",
}


class BadSetting(BgviewError):
    """``BGVIEW_NOTIFY`` holds something that is none of its values (one line, exit 2)."""


def style(flag: bool = False, env: Mapping[str, str] | None = None) -> Style | None:
    """Which notifications to send: ``--notify`` (``flag``) or ``BGVIEW_NOTIFY``; ``None`` for
    none. ``--notify`` with no setting sends OSC 9; the setting still picks the kind."""
    value = (os.environ if env is None else env).get(ENV, "").strip().lower()
    if value not in _STYLES:
        raise BadSetting(
            f"{ENV}={visible(value)!s} is not a notification setting: use 1, osc9, osc777 or 0"
        )
    chosen = _STYLES[value]
    if chosen is None and flag:
        return "osc9"
    return chosen


_enabled: Style | None = None


def enable(flag: bool = True) -> Style | None:
    """``--notify`` for this process (the viewer, ``bgview shell``): notifications from now
    on, of the kind ``BGVIEW_NOTIFY`` names (OSC 9 by default). Returns the kind.
    Raises :class:`BadSetting` for a ``BGVIEW_NOTIFY`` that is none of its values."""
    global _enabled
    _enabled = style(flag)
    return _enabled


def current() -> Style | None:
    """The kind of notification to send now: :func:`enable`'s, else ``BGVIEW_NOTIFY``'s
    (a bad setting sends none: it was refused where the face started)."""
    if _enabled is not None:
        return _enabled
    try:
        return style()
    except BadSetting:
        return None


def sequence(text: str, kind: Style = "osc9", *, tmux: bool = False) -> str:
    """The escape sequence that shows ``text`` as a desktop notification.

    ``text`` is made visible (no control character survives, so nothing in it can end the
    sequence) and cut to :data:`MAX_TEXT`. With ``tmux`` it is wrapped in tmux's passthrough,
    each ESC doubled as tmux asks.
    """
    body = visible(text)
    if len(body) > MAX_TEXT:
        body = body[: MAX_TEXT - 1] + "…"
    if kind == "osc777":
        # The title ends at the next ';': the body may hold them (terminals split twice only).
        osc = f"\x1b]777;notify;{TITLE};{body}\x1b\\"
    else:
        osc = f"\x1b]9;{TITLE}: {body}\x1b\\"
    if tmux:
        return "\x1bPtmux;" + osc.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return osc


def in_tmux(env: Mapping[str, str] | None = None) -> bool:
    """Whether this process writes to a tmux pane (tmux sets ``TMUX`` for what runs in it)."""
    return bool((os.environ if env is None else env).get("TMUX"))
