"""Cleaning only the lines of a block that need it (``clean.plain_text``) gives exactly the
text that cleaning the whole block gives, on random logs: plain lines among colours, cursor
moves, rewrites that wrap, control bytes and invalid UTF-8, for narrow and wide terminals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgview.runtime import clean
from bgview.runtime.clean import clean_text, needs_cleaning, plain_text, utf8
from tests.runtime.randomlogs import logs


def _whole(data: bytes, columns: int) -> str | None:
    """What plain_text gave before: the whole block cleaned at once."""
    if not needs_cleaning(data):
        return data.decode("utf-8", "replace")
    return clean_text(data.decode("utf-8", "replace"), columns)


@pytest.mark.timeout(300)  # a few hundred random logs on a shared machine
@settings(max_examples=60, deadline=None)
@given(data=logs(), columns=st.sampled_from([8, 30, 120]))
def test_cleaning_the_lines_that_need_it_is_cleaning_the_whole(data: bytes, columns: int) -> None:
    text = plain_text(data, columns)
    assert text == _whole(data, columns)
    if text is not None:  # the UTF-8 built beside it is its encoding
        assert utf8(text) == text.encode("utf-8", "surrogatepass")


@pytest.mark.timeout(300)
@settings(max_examples=30, deadline=None)
@given(data=logs())
def test_past_the_limit_of_lines_the_whole_is_cleaned_the_same(data: bytes) -> None:
    limit = clean.MAX_SPARSE_LINES
    try:
        clean.MAX_SPARSE_LINES = 1
        assert plain_text(data, 30) == _whole(data, 30)
    finally:
        clean.MAX_SPARSE_LINES = limit


def test_a_coloured_line_among_plain_ones() -> None:
    data = b"a plain line\n\x1b[31mred\x1b[0m line\nanother\r\x1b[Kdone\nlast plain\n"
    assert plain_text(data, 80) == "a plain line\nred line\ndone\nlast plain\n"
    # A cursor move anywhere: the whole block goes to a terminal, as before.
    assert plain_text(data + b"up\x1b[2A\n", 80) is None
