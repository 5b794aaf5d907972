"""Keys as a terminal sends them: what an attached job reads for a key Textual parsed.

Textual turns the bytes of the user's terminal into key events (``ctrl+a``, ``up``,
``alt+x``); an attached job wants the bytes back, as xterm (and tmux) would send them: the
character for a printable key or a control key, ``ESC`` before it for Alt, and the escape
sequences of xterm for the keys that have no character (arrows, Home, F1…), with the modifier
parameter (``ESC [ 1 ; 5 A`` for Ctrl+Up) and the application form of the arrows
(``ESC O A``) when the program asked for it.
"""

from __future__ import annotations

_CURSOR = {"up": "A", "down": "B", "right": "C", "left": "D", "home": "H", "end": "F"}
_TILDE = {
    "insert": 2,
    "delete": 3,
    "pageup": 5,
    "pagedown": 6,
    "f5": 15,
    "f6": 17,
    "f7": 18,
    "f8": 19,
    "f9": 20,
    "f10": 21,
    "f11": 23,
    "f12": 24,
}
_SS3 = {"f1": "P", "f2": "Q", "f3": "R", "f4": "S"}
_MODIFIERS = {"shift": 1, "alt": 2, "ctrl": 4}
_CONTROL = {
    "@": 0,
    "space": 0,
    "left_square_bracket": 0x1B,
    "backslash": 0x1C,
    "right_square_bracket": 0x1D,
    "circumflex_accent": 0x1E,
    "underscore": 0x1F,
    "question_mark": 0x7F,
}
"""Ctrl with a key that is not a letter: the control character a terminal sends."""
_NAMED = {
    "enter": b"\r",
    "tab": b"\t",
    "shift+tab": b"\x1b[Z",
    "escape": b"\x1b",
    "backspace": b"\x7f",
    "space": b" ",
    "ctrl+space": b"\x00",
    "ctrl+@": b"\x00",
}


def key_bytes(key: str, character: str | None, *, app_cursor: bool = False) -> bytes:
    """The bytes a terminal sends for Textual's ``key`` (with its ``character``, if any);
    empty for a key no terminal sends."""
    if key.startswith("alt+") and character and len(character) == 1 and key.count("+") == 1:
        return b"\x1b" + character.encode()
    if character:  # a printable key, or a control key as its control character
        return character.encode("utf-8", "replace")
    if key in _NAMED:
        return _NAMED[key]
    *mods, name = key.split("+")
    if mods == ["ctrl"]:  # a control key whose character was not given
        if len(name) == 1 and name.isascii() and name.isalpha():
            return bytes([ord(name.lower()) - 0x60])
        if name in _CONTROL:
            return bytes([_CONTROL[name]])
    modifier = 1 + sum(_MODIFIERS.get(mod, 0) for mod in mods)
    if name in _CURSOR:
        final = _CURSOR[name]
        if modifier > 1:
            return f"\x1b[1;{modifier}{final}".encode()
        return f"\x1bO{final}".encode() if app_cursor else f"\x1b[{final}".encode()
    if name in _SS3:
        final = _SS3[name]
        return f"\x1b[1;{modifier}{final}".encode() if modifier > 1 else f"\x1bO{final}".encode()
    if name in _TILDE:
        code = _TILDE[name]
        return f"\x1b[{code};{modifier}~".encode() if modifier > 1 else f"\x1b[{code}~".encode()
    return b""
