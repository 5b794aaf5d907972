"""Properties of the output-cleaning and line-splitting code: any bytes in, no surprise out."""

from __future__ import annotations

import os
import tempfile

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from bgview.runtime.clean import clean_bytes, moves_cursor, overlay
from bgview.runtime.output import scan, select_lines
from bgview.runtime.patterns import compile_pattern

# Bytes biased towards what terminals see: escapes, CR, BS, newlines, UTF-8 fragments.
terminal_bytes = st.lists(
    st.one_of(
        st.binary(max_size=20),
        st.sampled_from(
            [
                b"\x1b[",
                b"\x1b]",
                b"\x1b[2K",
                b"\x1b[K",
                b"\r",
                b"\x08",
                b"\n",
                b"\x9b",
                b"\xc2\x9b",
                b"\x1b[31m",
                b"\x07",
                b"\x1bP",
                b"\x1b\\",
                b"\xe2\x82",
                b"\xff",
                b"\t",
                b"\x00",
            ]
        ),
    ),
    max_size=60,
).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(terminal_bytes)
def test_cleaning_never_raises_and_never_leaves_an_escape(data: bytes) -> None:
    text = clean_bytes(data)
    assert "\x1b" not in text and "\x9b" not in text
    assert not any(ch in text for ch in "\x00\x01\x07\x08\r")
    # Without cursor moves lines are never merged or split: cleaned line i is raw line i.
    # (With them a terminal decides: "a\x1b[Ab" is one line, a vertical tab is a line feed.)
    if not moves_cursor(data.decode("utf-8", "replace")):
        assert text.count("\n") == data.count(b"\n")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_overlay_never_grows_past_what_was_written(line: str) -> None:
    shown = overlay(line)
    assert len(shown) <= len(line)


@settings(max_examples=200, deadline=None)
@given(terminal_bytes, st.sampled_from(["a", "^x", "$", "[0-9]+", "\\w", "(?i)B"]))
def test_filtering_keeps_exactly_the_matching_lines(data: bytes, pattern: str) -> None:
    text = clean_bytes(data)
    compiled = compile_pattern(pattern, "filter")
    kept, count = select_lines(text, compiled, None)
    lines = text.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    matches = [bool(regex.search(pattern, line.rstrip("\n"), regex.M)) for line in lines]
    assert kept == "".join(line for line, hit in zip(lines, matches, strict=True) if hit)
    assert count == sum(matches)
    rest, _ = select_lines(text, None, compiled)
    assert rest == "".join(line for line, hit in zip(lines, matches, strict=True) if not hit)


@settings(max_examples=150, deadline=None)
@given(terminal_bytes, st.integers(min_value=40, max_value=400))
def test_reading_in_capped_steps_returns_every_line_once(data: bytes, cap: int) -> None:
    with tempfile.TemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        fd = handle.fileno()
        offset, pieces, steps, screen = 0, [], 0, None
        while True:
            # The terminal a read leaves goes on to the next, as read() keeps it beside the
            # cursor: it holds what the cap kept back of the lines it made final.
            result = scan(fd, 0, offset, True, None, None, cap, screen)
            pieces.append(result.text)
            steps += 1
            if (result.next_offset == offset and not result.more) or steps > len(data) + 5:
                break
            offset, screen = result.next_offset, result.screen
        assert offset == os.fstat(fd).st_size  # everything consumed, nothing re-read
    whole = clean_bytes(data)
    joined = "".join(pieces)
    assert "\x1b" not in joined and "\x9b" not in joined
    # Capped reads give the same lines as one big read, except for lines too long for a read,
    # which are cut with a note, and for output that moves the cursor back into lines a read
    # already gave (they are given once: a later read does not give them again redrawn).
    if "line cut" not in joined and not moves_cursor(data.decode("utf-8", "replace")):
        assert joined == whole
