"""The pane's terminal keeps colours and links (``styled_term``), and tells plain output from
what needs a terminal (``log_rows``): unit cases on hand-written bytes."""

from __future__ import annotations

import pytest
from rich.style import Style

from bgview.ui.ansi import render_line, render_row
from bgview.ui.log_rows import TermRows, plain_prefix
from bgview.ui.styled_term import StyledTerminal


def drawn(data: bytes, size: tuple[int, int] = (40, 10)) -> list[str]:
    """Every row a terminal of ``size`` drew for ``data``: its history, then its screen."""
    term = StyledTerminal(*size)
    term.feed(data.decode())
    return [row.removesuffix("\n") for row in term.pending] + term.live_rows()


def styles(row: str) -> list[tuple[str, str]]:
    """``(text, style)`` of each styled stretch of a drawn row."""
    text = render_row(row)
    return [(text.plain[s.start : s.end], str(s.style)) for s in text.spans]


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        # the 16 colours stay ANSI colours (drawn in the terminal's own palette)
        (b"\x1b[31mred\x1b[0m", [("red", "color(1)")]),
        (b"\x1b[92mbright\x1b[0m", [("bright", "color(10)")]),
        # 256 colours and 24-bit colours as they came, in both notations
        (b"\x1b[38;5;200mpink\x1b[m", [("pink", "color(200)")]),
        (b"\x1b[38:2::10:20:30mrgb\x1b[m", [("rgb", "#0a141e")]),
        # bold and a background, and a reset in the middle
        (b"\x1b[1;44mhead\x1b[0m tail", [("head", "bold on color(4)")]),
        # black on the terminal's background is drawn grey; black on a colour stays black
        (b"\x1b[30mshadow\x1b[0m", [("shadow", "color(8)")]),
        (b"\x1b[30;42mPID\x1b[0m", [("PID", "color(0) on color(2)")]),
    ],
)
def test_colours_are_kept(raw: bytes, want: list[tuple[str, str]]) -> None:
    (row,) = [r for r in drawn(raw + b"\n") if r]
    assert styles(row) == want


def test_a_colour_survives_a_redraw_in_place() -> None:
    """A bar redrawn two rows up keeps each segment's colour at its final state."""
    data = b"\x1b[32ma 1\x1b[0m\nb 1\x1b[1A\r\x1b[2K\x1b[33ma 2\x1b[0m\n\x1b[2K\x1b[34mb 2\x1b[0m\n"
    rows = [r for r in drawn(data) if r]
    assert [render_row(r).plain for r in rows] == ["a 2", "b 2"]
    assert styles(rows[0]) == [("a 2", "color(3)")] and styles(rows[1]) == [("b 2", "color(4)")]


def test_the_pen_is_saved_and_restored_with_the_cursor() -> None:
    (row, _) = drawn(b"\x1b[31mred\x1b7\x1b[32mgreen\x1b8back\n")
    assert render_row(row).plain == "redbackn"
    assert styles(row) == [("redback", "color(1)"), ("n", "color(2)")]


def test_links_stay_links_and_unsafe_ones_lose_their_address() -> None:
    (row, *_) = drawn(b"see \x1b]8;;https://x.org/a\x1b\\docs\x1b]8;;\x1b\\ here\n")
    text = render_row(row)
    assert text.plain == "see docs here"
    assert [
        (text.plain[s.start : s.end], s.style.link)
        for s in text.spans
        if isinstance(s.style, Style) and s.style.link
    ] == [("docs", "https://x.org/a")]
    (row, *_) = drawn(b"\x1b]8;;https://x.org/\x07\x1b[2Jbad\x1b]8;;\x1b\\\n")
    assert "\x07" not in row and not any(
        isinstance(s.style, Style) and s.style.link for s in render_row(row).spans
    )
    # a line drawn without a terminal keeps its link the same way
    line = render_line(b"\x1b]8;;https://x.org/b\x1b\\link\x1b]8;;\x1b\\")
    assert [s.style.link for s in line.spans if isinstance(s.style, Style)] == ["https://x.org/b"]


def test_a_link_cut_between_two_feeds_is_kept_whole() -> None:
    term = StyledTerminal(40, 10)
    data = "\x1b]8;;https://x.org/long/address\x1b\\here\x1b]8;;\x1b\\\n"
    term.feed(data[:12])
    term.feed(data[12:])
    (row,) = [r for r in term.live_rows() if r] or [r.removesuffix("\n") for r in term.pending]
    text = render_row(row)
    assert text.plain == "here"
    assert any(isinstance(s.style, Style) and s.style.link for s in text.spans)


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        (b"plain\nlines\n", 12),  # nothing but text: all of it, on the fast path
        (b"\x1b[31mred\x1b[0m\r\x1b[Kdone\n", 21),  # colours, \r and erase: still plain
        (b"ok\n\x1b[1Gspin\n", 12),  # to column 1 is a \r
        (b"ok\nup\x1b[1A\rx\n", 3),  # a move up: the terminal from that line
        (b"ok\n" + b"w" * 50 + b"\rx\n", 3),  # a \r on a row the terminal wrapped
    ],
)
def test_plain_output_is_told_apart(raw: bytes, plain: int) -> None:
    assert plain_prefix(raw, 40) == plain


def test_a_terminal_takes_over_the_lines_still_on_its_screen() -> None:
    """Lines printed before the first move up are redrawn by the terminal, not kept stale:
    rich prints its bars' first frame as plain lines."""
    data = b"".join(b"log %d\n" % n for n in range(20)) + b"bar a 0%\nbar b 0%"
    data += b"\r\x1b[2K\x1b[1A\x1b[2Kbar a 50%\nbar b 50%\n"
    rows = TermRows((40, 10))
    read = lambda a, b: data[a:b]  # noqa: E731
    while (job := rows.advance(read, len(data), True)) is not None:
        rows.apply(job.run(read, lambda: False))
    (splice,) = rows.splices
    # from nine lines before the first move: a screen of ten rows, the cursor on the last
    assert splice.start == data.index(b"log 12")
    shown = [render_row(r).plain for r in splice.final + splice.live]
    assert shown == [f"log {n}" for n in range(12, 20)] + ["bar a 50%", "bar b 50%"]
    assert splice.final == ["log 12"]  # scrolled into the history by the last newline
