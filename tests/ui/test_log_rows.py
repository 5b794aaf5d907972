"""Where the log pane needs a terminal (:class:`bgview.ui.log_rows.TermRows`), on logs larger
than the piece it looks at a time: plain lines stay lines however many pieces they span, the
first output that moves the cursor is found in whichever piece it is, and a log that redraws
from its start is not read to its end to know it."""

from __future__ import annotations

from bgview.ui.log_rows import LOOK_BYTES, TermRows

LINE = b"2026-11-21T00:00:00.000Z INFO worker-7 request handled path=/api/items status=200\n"
PLAIN = LINE * (3 * LOOK_BYTES // len(LINE))
"""Three pieces' worth of plain lines."""


class Log:
    """Bytes read by logical offset, counting how much was read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.read_bytes = 0

    def read(self, start: int, stop: int) -> bytes:
        piece = self.data[start:stop]
        self.read_bytes += len(piece)
        return piece


def test_plain_lines_over_many_pieces_need_no_terminal() -> None:
    log = Log(PLAIN + b"a partial last li")
    rows = TermRows((120, 40))
    assert rows.advance(log.read, len(log.data), follow=True) is None
    assert rows.term is None and rows.pos == len(PLAIN)  # the partial line waits


def test_a_cursor_move_in_the_third_piece_starts_the_terminal_there() -> None:
    moved = PLAIN + b"\x1b[2Aredrawn\n" + LINE
    log = Log(moved)
    rows = TermRows((120, 40))
    work = rows.advance(log.read, len(moved), follow=False)
    assert work is not None and rows.term is not None
    # It takes over the 39 lines above it that its screen would still show.
    assert rows.splices[0].start == len(PLAIN) - 39 * len(LINE)


def test_a_log_that_redraws_from_its_start_is_not_read_whole_to_know_it() -> None:
    frames = b"".join(b"\x1b[3A\x1b[2Kframe %d\n\n\n" % i for i in range(200_000))
    log = Log(frames)
    rows = TermRows((120, 40))
    assert rows.advance(log.read, len(frames), follow=True) is not None
    assert log.read_bytes < 2 * LOOK_BYTES < len(frames)
