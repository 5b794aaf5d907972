"""Reading ahead on a second thread (:mod:`bgview.runtime.logblocks`) changes when a filtered
read reads and looks at the log, never what it gives: on random logs mixing plain lines,
``\\r`` rewrites, colour and cursor escapes, tabs, control bytes, invalid and valid UTF-8 and
lines longer than a block, every read of a cursor's sequence of reads (text, line count, next
offset, what is left, the terminal carried on) is the same with it and without it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bgview.runtime import logblocks, output
from bgview.runtime.emulation import Saved
from bgview.runtime.logblocks import ReadAhead, blocks
from bgview.runtime.output import scan
from bgview.runtime.patterns import compile_pattern
from bgview.runtime.plainbytes import PLAIN, is_plain, plain_between
from tests.runtime.randomlogs import logs

PATTERNS = [
    (r"status=5\d\d", None),
    (r"status|ok|x", None),
    (r"(?i)error", r"status=2"),
    (None, r"ok"),
    (r"^$", None),
    (r"x\ny", None),  # a match across a newline takes both lines
    (r"\bok\b", None),
    ("café|日本", None),
    (r"(o)\1|ERROR", None),  # a backreference: the fallback engine
]


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 512 bytes (1 MiB in use), so a few KB of log makes many of them, and lines
    run across them."""
    monkeypatch.setattr(logblocks, "READ_CHUNK", 512)
    monkeypatch.setattr(logblocks, "MAX_LINE_BYTES", 1024)
    monkeypatch.setattr(output, "READ_CHUNK", 512)


def _reads(
    path: Path, keep: str | None, drop: str | None, cap: int, final: bool, ahead: bool
) -> Iterator[tuple[object, ...]]:
    """A cursor's reads of the log at ``path`` until it is read to its end."""
    fd = os.open(path, os.O_RDONLY)
    try:
        offset, screen = 0, None
        for _ in range(10_000):
            found = scan(
                fd,
                0,
                offset,
                final,
                keep=compile_pattern(keep, "filter"),
                drop=compile_pattern(drop, "exclude"),
                max_chars=cap,
                screen=screen,
                winsize=lambda: (30, 8),
                read_ahead=ahead,
            )
            saved: Saved | None = found.screen
            yield (found.text, found.lines, found.next_offset, found.more, found.unread, saved)
            if not found.more and found.next_offset == offset:
                return
            offset, screen = found.next_offset, saved
    finally:
        os.close(fd)


@pytest.mark.timeout(300)  # 80 random logs, each read many times over, on a shared machine
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    log=logs(),
    patterns=st.sampled_from(PATTERNS),
    cap=st.sampled_from([400, 3000, 10**7]),
    final=st.booleans(),
)
def test_reading_ahead_gives_exactly_what_reading_in_turn_gives(
    tmp_path: Path, log: bytes, patterns: tuple[str | None, str | None], cap: int, final: bool
) -> None:
    path = tmp_path / "output.log"
    path.write_bytes(log)
    keep, drop = patterns
    in_turn = list(_reads(path, keep, drop, cap, final, ahead=False))
    ahead = list(_reads(path, keep, drop, cap, final, ahead=True))
    assert ahead == in_turn


@given(data=st.binary(max_size=300), first=st.integers(0, 300), last=st.integers(0, 300))
def test_plain_is_printable_ascii_tabs_and_newlines_only(
    data: bytes, first: int, last: int
) -> None:
    start, end = sorted((min(first, len(data)), min(last, len(data))))
    assert plain_between(data, start, end) == (not data[start:end].translate(None, PLAIN))
    assert is_plain(data, end) == (not data[:end].translate(None, PLAIN))


def test_the_blocks_read_ahead_are_the_blocks_read_in_turn(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    path.write_bytes(b"".join(b"line %d\x1b[1m\n" % i if i % 7 else b"x" * 700 for i in range(400)))
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        in_turn = list(blocks(fd, 0, size, True))
        with ReadAhead(blocks(fd, 0, size, True)) as reader:
            ahead = list(reader)
    finally:
        os.close(fd)
    assert [(s, d, e) for s, d, e, _ in ahead] == in_turn
    assert [p for *_, p in ahead] == [is_plain(d, e) for _, d, e in in_turn]
    assert any(p for *_, p in ahead) and not all(p for *_, p in ahead)


def test_a_read_that_stops_early_stops_the_reader(tmp_path: Path) -> None:
    """The character cap ends a read after its first block: the thread ends with the read,
    before the log's descriptor is closed, having read at most a few blocks more."""
    path = tmp_path / "output.log"
    path.write_bytes(b"status=500 hit\n" * 5000)
    fd = os.open(path, os.O_RDONLY)
    try:
        found = scan(fd, 0, 0, True, keep=compile_pattern("status", "filter"), max_chars=2000)
    finally:
        os.close(fd)
    assert found.more and found.lines and found.text.startswith("status=500 hit\n")
    assert not [t for t in threading.enumerate() if t.name == "bgview-readahead"]


def test_an_error_reading_the_log_reaches_the_reader(tmp_path: Path) -> None:
    def failing() -> Iterator[tuple[int, bytes, int]]:
        yield 0, b"a\n", 2
        raise OSError(5, "Input/output error")

    with ReadAhead(failing()) as reader, pytest.raises(OSError, match="Input/output"):
        list(reader)
