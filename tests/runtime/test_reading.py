"""The reading rules, on hand-written logs: cleaning, cursors, partial lines, filters, the cap."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bgview.runtime import InvalidRequest, JobStatus, Runtime
from bgview.runtime.clean import clean_bytes
from bgview.runtime.output import MAX_CHARS, READ_CHUNK
from tests.runtime.helpers import FakeJob

Fake = Callable[..., FakeJob]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        # plain text passes untouched, tabs included
        (b"hello\tworld\n", "hello\tworld\n"),
        # SGR colour codes are stripped, the words stay
        (b"\x1b[1;31mFAIL\x1b[0m test_x\n", "FAIL test_x\n"),
        # 256-colour and truecolour SGR too
        (b"\x1b[38;5;196mred\x1b[38;2;1;2;3mrgb\x1b[m\n", "redrgb\n"),
        # a progress bar rewritten with \r is given in its final form
        (b"10%\r50%\r100%\n", "100%\n"),
        # a shorter rewrite leaves the tail of the longer text, as a terminal shows it
        (b"hello\rab\n", "abllo\n"),
        # \r then erase-to-end (ESC [K) removes what the shorter text did not cover
        (b"downloading 10%\r\x1b[Kdone\n", "done\n"),
        # ESC [0K is the same erase-to-end
        (b"abcdef\rxy\x1b[0K\n", "xy\n"),
        # ESC [2K erases the whole line wherever the cursor is
        (b"old text\x1b[2K\rnew\n", "new\n"),
        # ...and leaves the cursor where it was, as a terminal does
        (b"abc\x1b[2Kxy\n", "   xy\n"),
        # ESC [1K erases from the start to the cursor, included (here columns 0-2)
        (b"abcdef\x08\x08\x08\x08\x1b[1K\n", "   def\n"),
        # backspace steps left and the next character overwrites
        (b"ab\x08c\n", "ac\n"),
        # CRLF line endings lose their \r
        (b"one\r\ntwo\r\n", "one\ntwo\n"),
        # invalid UTF-8 is replaced, valid multi-byte text kept
        (b"caf\xc3\xa9 \xff\xfe ok\n", "café \ufffd\ufffd ok\n"),
        # a truncated multi-byte sequence is replaced too
        (b"cut \xe2\x82\n", "cut \ufffd\n"),
        # the 8-bit CSI (C1 0x9b, as UTF-8) is stripped like ESC [
        (b"\xc2\x9b31mred\n", "red\n"),
        # OSC window titles and hyperlinks go, the link text stays
        (b"\x1b]0;title\x07\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n", "link\n"),
        # cursor moves and screen clears are not text
        (b"\x1b[2J\x1b[H\x1b[?25lhi\x1b[?25h\n", "hi\n"),
        # bell and other C0 controls are dropped
        (b"a\x07b\x00c\x01d\n", "abcd\n"),
        # a lone ESC at the end of a line does not eat the newline
        (b"x\x1b\ny\n", "x\ny\n"),
    ],
)
def test_clean(raw: bytes, clean: str) -> None:
    assert clean_bytes(raw) == clean


def test_cleaning_never_merges_or_splits_lines() -> None:
    """Cleaned line i is raw line i, whatever the byte or broken escape, but for the two
    controls a terminal takes as line feeds (vertical tab and form feed)."""
    raw = b"".join(bytes([b, 10]) for b in range(256) if b not in b"\x0b\x0c")
    raw += b"\x1b[\n\x1b]\n\r\n"
    assert clean_bytes(raw).count("\n") == raw.count(b"\n")
    # ...and move down a row in the same column (the CR a terminal adds is only for \n)
    assert clean_bytes(b"a\x0bb\x0cc\n") == "a\n b\n  c\n"


def test_cursor_returns_only_what_is_new(rt: Runtime, fake: Fake) -> None:
    job = fake(b"one\ntwo\n")
    first = rt.read(job.id)
    assert (first.text, first.lines, first.start, first.next_offset) == ("one\ntwo\n", 2, 0, 8)
    assert rt.read(job.id).text == ""  # nothing new
    job.append(b"three\n")
    again = rt.read(job.id)
    assert (again.text, again.start) == ("three\n", 8)


def test_partial_line_held_back_until_newline_or_end(rt: Runtime, fake: Fake) -> None:
    job = fake(b"done\nhalf a li")
    assert rt.read(job.id).text == "done\n"
    assert rt.read(job.id).text == ""  # still no newline: held back
    job.append(b"ne\nand a tail")
    assert rt.read(job.id).text == "half a line\n"
    job.end()
    assert rt.read(job.id).text == "and a tail"  # the job ended: its last bytes come out
    assert rt.read(job.id).text == ""


def test_progress_bar_split_across_reads_is_given_once_in_final_form(
    rt: Runtime, fake: Fake
) -> None:
    job = fake(b"build 10%\rbuild 60%")
    assert rt.read(job.id).text == ""
    job.append(b"\rbuild 100%\n")
    assert rt.read(job.id).text == "build 100%\n"


def test_consumers_and_peeks_have_separate_cursors(rt: Runtime, fake: Fake) -> None:
    job = fake(b"a\nb\n")
    assert rt.peek(job.id).data == b"a\nb\n"
    assert rt.read(job.id, consumer="viewer").text == "a\nb\n"
    assert rt.read(job.id).text == "a\nb\n"  # agent's cursor untouched by both
    assert rt.read(job.id, consumer="viewer").text == ""


@pytest.mark.parametrize(
    ("filter_", "exclude", "kept"),
    [
        # a plain word keeps the lines that contain it
        ("ERROR", None, ["ERROR one", "ERROR two"]),
        # ^ anchors at the start of every line, not only of the block
        ("^ok", None, ["ok start"]),
        # $ anchors at the end of every line (before its newline)
        ("end$", None, ["line at the end"]),
        # ^...$ a whole line
        ("^ERROR two$", None, ["ERROR two"]),
        # ^$ keeps the empty lines
        ("^$", None, [""]),
        # exclude drops the lines that match
        (None, "ERROR|warn", ["ok start", "line at the end", "not ok", ""]),
        # both: keep, then drop
        ("ok", "^not", ["ok start"]),
        # a pattern that matches nothing keeps nothing
        ("nothing-like-this", None, []),
        # matching is case-sensitive unless the pattern says otherwise
        ("(?i)error", None, ["ERROR one", "ERROR two"]),
    ],
)
def test_filter_and_exclude(
    rt: Runtime, fake: Fake, filter_: str | None, exclude: str | None, kept: list[str]
) -> None:
    lines = ["ok start", "ERROR one", "warn: x", "line at the end", "ERROR two", "not ok", ""]
    job = fake("\n".join(lines).encode() + b"\n", running=False)
    out = rt.read(job.id, filter=filter_, exclude=exclude)
    assert out.text == "".join(f"{line}\n" for line in kept)
    assert out.lines == len(kept)


def test_filter_matches_on_cleaned_text(rt: Runtime, fake: Fake) -> None:
    """Colour codes inside a word do not hide it from a filter; the ^ anchor sees no ESC."""
    job = fake(b"\x1b[31mFA\x1b[1mIL\x1b[0m x\nPASS y\n", running=False)
    assert rt.read(job.id, filter="^FAIL").text == "FAIL x\n"


def test_filter_finds_lines_across_read_blocks(rt: Runtime, fake: Fake) -> None:
    """A line straddling the reader's 1 MiB block boundary is matched once, whole."""
    filler = b"x" * 99 + b"\n"
    head = filler * (READ_CHUNK // len(filler))
    pad = b"y" * (READ_CHUNK - len(head) - 5)  # the match starts 5 bytes before the boundary
    data = head + pad + b"\nMATCH across\n" + filler * 10 + b"end MATCH\n"
    job = fake(data, running=False)
    out = rt.read(job.id, filter="^MATCH|MATCH$")
    assert out.text == "MATCH across\nend MATCH\n"
    assert out.next_offset == len(data)


def test_invalid_regex_is_a_clear_error(rt: Runtime, fake: Fake) -> None:
    job = fake(b"x\n")
    with pytest.raises(InvalidRequest, match="invalid filter regex"):
        rt.read(job.id, filter="(unclosed")
    with pytest.raises(InvalidRequest, match="invalid exclude regex"):
        rt.read(job.id, exclude="[z-a]")
    assert rt.read(job.id).text == "x\n"  # a refused read moved nothing


def test_cap_marker_and_resume_exactly(rt: Runtime, fake: Fake) -> None:
    """Reads of a 130,000-character log: each within the cap, with a marker, and together
    exactly the whole text, nothing repeated or skipped."""
    lines = [f"line {i:06d} " + "z" * 50 + "\n" for i in range(2000)]
    whole = "".join(lines)
    job = fake(whole.encode(), running=False)
    got, reads = "", 0
    while True:
        out = rt.read(job.id)
        rendered = out.render()
        assert len(rendered) <= MAX_CHARS
        reads += 1
        got += out.text
        if not out.more:
            assert "again to continue" not in rendered
            break
        assert out.text.endswith("\n")  # cut between whole lines
        assert f"read {job.id} again to continue" in rendered
        assert f"{out.unread:,} more bytes unread" in rendered
    assert got == whole
    assert reads == 5


def test_cap_applies_to_lines_kept_by_a_filter(rt: Runtime, fake: Fake) -> None:
    data = b"".join(b"keep %05d\nskip\n" % i for i in range(10_000))
    job = fake(data, running=False)
    first = rt.read(job.id, filter="keep")
    second = rt.read(job.id, filter="keep")
    assert first.more and len(first.render()) <= MAX_CHARS
    numbers = [int(line[5:]) for line in (first.text + second.text).splitlines()]
    assert numbers == list(range(len(numbers)))  # contiguous across the two reads


def test_line_bigger_than_the_cap(rt: Runtime, fake: Fake) -> None:
    """Its start is given with a note of what was cut; the next read goes on after it."""
    job = fake(b"A" * 100_000 + b"\nafter\n", running=False)
    out = rt.read(job.id)
    rendered = out.render()
    assert len(rendered) <= MAX_CHARS
    assert out.text.startswith("A" * 29_000)
    cut = 100_000 - out.text.count("A")
    assert out.text.endswith(f" [… line cut: {cut:,} more characters]\n")
    assert out.more
    assert rt.read(job.id).text == "after\n"


def test_max_chars_smaller_than_a_line_of_many(rt: Runtime, fake: Fake) -> None:
    """With a small cap, a read still makes progress: one line at least, never a stall."""
    job = fake(b"first line\nsecond line\n", running=False)
    seen = []
    for _ in range(3):
        out = rt.read(job.id, max_chars=15)
        seen.append(out.text)
    assert seen[:2] == ["first line\n", "second line\n"]
    assert seen[2] == ""


def test_wait_for_pattern_after_non_matching_lines(rt: Runtime, fake: Fake) -> None:
    """``wait --for`` on an ended job finds a match that follows other lines."""
    job = fake(b"starting\nstill starting\nlistening on :8080\n", running=False)
    assert rt.wait(job.id, pattern="listening on", timeout=1)[1] is True
    assert rt.wait(job.id, pattern="never printed", timeout=1)[1] is False
    assert rt.read(job.id).lines == 3  # waiting moved no cursor


def test_an_end_recorded_half_way_is_not_shown_running(rt: Runtime, fake: Fake) -> None:
    """Whoever records a job's end dies after claiming it (the ``ended`` marker) but before
    writing the status: readers must not show the job running for ever."""
    job = fake(b"x\n")
    (job.dir / "ended").touch()
    os.close(job.lock)  # the "supervisor" is gone
    job.lock = -1
    shown = rt.job(job.id)
    assert shown.status is JobStatus.LOST
    assert shown.reason == "its supervisor vanished without recording a result"


_PIECES = st.sampled_from(
    [
        *(b"a", b"ok ", b"50%", b"\t", b"\n", b"\r", b"\x08", b"\x00"),  # text and controls
        *(b"\x1b[31m", b"\x1b[0m", b"\x1b[K", b"\x1b]0;t\x07"),  # escapes
        *(b"\xff", b"\xc3\xa9", b"\xe2\x82"),  # invalid, valid and cut UTF-8
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pieces=st.lists(_PIECES, min_size=20, max_size=80),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6),
)
def test_reads_in_any_chunks_add_up_to_the_whole(
    rt: Runtime, pieces: list[bytes], cuts: list[int]
) -> None:
    """However the output arrives, the reads together are the whole output cleaned, each line
    once, in its final form: nothing lost, nothing repeated, nothing split."""
    data = b"".join(pieces)
    job = FakeJob(rt)
    got = ""
    at = 0
    for cut in sorted(cuts):
        job.append(data[at:cut])
        at = max(at, cut)
        got += rt.read(job.id).text
    job.append(data[at:])
    got += rt.read(job.id).text
    job.end()
    got += rt.read(job.id).text
    assert got == clean_bytes(data)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.lists(_PIECES.filter(lambda p: p != b"\n"), min_size=1, max_size=8),
        min_size=30,  # enough text for a few cuts
        max_size=60,
    ),
    max_chars=st.integers(min_value=60, max_value=300),
)
def test_capped_reads_resume_exactly(rt: Runtime, lines: list[list[bytes]], max_chars: int) -> None:
    """With any cap that a line fits in, successive reads give every line once, whole, each
    read's text within the cap (the notes' room in a cap of 30,000 is tested above)."""
    data = b"".join(b"".join(line) + b"\n" for line in lines)
    job = FakeJob(rt, data, running=False)
    got = ""
    for _ in range(len(lines) + 2):
        out = rt.read(job.id, max_chars=max_chars)
        assert len(out.text) <= max_chars
        got += out.text
    assert got == clean_bytes(data)
