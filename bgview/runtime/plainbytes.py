"""Telling plain bytes quickly: printable ASCII, tabs and newlines, which cleaning
(:mod:`bgview.runtime.clean`) and the terminal leave exactly as they are.

A filtered read over 100 MB must know where every byte that needs cleaning is. A ``translate``
that deletes the plain bytes looks at one byte at a time and holds the GIL; the C library's
``strspn`` (through ctypes) counts a run of plain bytes more than twice as fast and releases the
GIL, so that another thread can search meanwhile (:mod:`bgview.runtime.logblocks`). Where
ctypes or the library cannot be had, ``translate`` answers the same.

``strspn`` reads a C string: a ``bytes`` object always ends in a NUL past its last byte, and a
NUL inside it, not being plain, stops the count there just as any other such byte does. It
reads the bytes where they lie, never a copy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

PLAIN = bytes(range(0x20, 0x7F)) + b"\t\n"
"""The plain bytes (``dirtymap.PLAIN`` too)."""


@functools.cache
def _strspn() -> Callable[[bytes | int, bytes], int] | None:
    """``strspn``, taking a ``bytes`` or an address inside one, or ``None`` where ctypes or
    the library cannot be had. Looked up on first use: a small read does not import ctypes."""
    try:
        import ctypes

        function = ctypes.CDLL(None).strspn
    except (ImportError, OSError, AttributeError):
        return None
    function.restype = ctypes.c_size_t
    function.argtypes = (ctypes.c_void_p, ctypes.c_char_p)
    spn: Callable[[bytes | int, bytes], int] = function
    return spn


def plain_run(data: bytes, start: int = 0) -> int:
    """Where the run of plain bytes from ``start`` ends: the index of the first byte at or after
    ``start`` that is not plain, or ``len(data)``."""
    if start >= len(data):
        return len(data)
    strspn = _strspn()
    if strspn is None:
        rest = data[start:]
        left = rest.translate(None, PLAIN)
        return start + (rest.index(left[0]) if left else len(rest))
    if start == 0:
        return int(strspn(data, PLAIN))
    import ctypes  # loaded already: _strspn found it

    address = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value
    assert address is not None
    return start + int(strspn(address + start, PLAIN))


def plain_between(data: bytes, start: int, end: int) -> bool:
    """Whether ``data[start:end]`` is all plain."""
    return start >= end or plain_run(data, start) >= end


def is_plain(data: bytes, end: int) -> bool:
    """Whether ``data[:end]`` is all plain."""
    return plain_between(data, 0, end)
