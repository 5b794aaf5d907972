"""Random logs for property tests of reading and cleaning: mostly plain lines, with colour and
cursor escapes, ``\\r`` rewrites, tabs, control bytes, invalid and valid UTF-8 and lines
longer than the tests' blocks among them, so that plain and not plain text meet in every way."""

from __future__ import annotations

from hypothesis import strategies as st

WORDS = [b"status=200", b"status=503", b"ok", b"ERROR", b"error", b"x", b"y", b"caf\xc3\xa9"]
PIECES = [
    b"\t",
    b"\x1b[31m",  # a colour
    b"\x1b[0m",
    b"\r",  # a progress bar's rewrite
    b"\x1b[K",  # erase to the end of the line
    b"\x1b[2A",  # cursor up two rows: only a terminal says what shows
    b"\x1b[H\x1b[2J",  # home and clear
    b"\x1b[?1049h",  # the alternate screen
    b"\x08",  # backspace
    b"\x07",  # bell
    b"\x00",  # NUL
    b"\x0b",  # vertical tab
    b"\x7f",
    b"\xff",  # invalid UTF-8
    b"\xc3",  # a lone lead byte
    b"\x80",  # a lone continuation byte
    b"\xc2\x9b31m",  # the 8-bit CSI
    "日本".encode(),
]


def _line(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["plain", "plain", "plain", "mixed", "long"]))
    words = draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=8))
    if kind == "long":  # longer than a block (the test's blocks are 512 bytes)
        return b" ".join(words) + b"z" * draw(st.integers(500, 3000)) + b"\n"
    if kind == "mixed":
        bits = words + draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=2))
        order = draw(st.permutations(bits))
        return b" ".join(order) + b"\n"
    return b" ".join(words) + b"\n"


@st.composite
def logs(draw: st.DrawFn) -> bytes:
    """Mostly plain lines, so that plain and not plain blocks meet in every way."""
    lines = [_line(draw) for _ in range(draw(st.integers(0, 80)))]
    tail = draw(st.sampled_from([b"", b"partial line", b"\x1b[31mpartial"]))
    return b"".join(lines) + tail
