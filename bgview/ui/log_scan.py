"""Matching a user's pattern against a job's log lines: the search (``/``, ``n``, ``N``) and
the filter (``f``), in plain Python (no Textual).

What is matched is each line's plain text — colours removed, ``\\r`` overwrites applied — as
the command line's filters see it (:func:`bgview.runtime.clean.clean_bytes`). A block of whole
lines is searched whole by the pattern's engine (RE2 on bytes, jumping from match to match: no
Python step for a line that does not match). A match that runs across a newline is tried again
on its line alone: a line matches exactly when the pattern matches the line on its own. The
scans over a whole log that use this are in :mod:`bgview.ui.log_matches`.
"""

from __future__ import annotations

import re

from bgview.runtime.clean import clean_bytes, needs_cleaning
from bgview.runtime.errors import InvalidRequest
from bgview.runtime.patterns import MAX_PATTERN_CHARS, UserPattern
from bgview.runtime.text import visible

LINE_CAP = 64 * 1024
"""A line longer than this is matched on its first ``LINE_CAP`` bytes (the view draws 16 KiB)."""


def compile_query(query: str) -> UserPattern:
    """A user's query as a regex, run as the command line's filters are (RE2, in linear time;
    :mod:`bgview.runtime.patterns`): case-insensitive unless it has a capital (smart case); a
    query that is not a valid regex is taken literally rather than refused."""
    ignore_case = not any(c.isupper() for c in query)
    try:
        return UserPattern(query, "search", ignore_case=ignore_case)
    except InvalidRequest:
        # Taken literally; a query too long for a pattern even so is searched for its start.
        literal = re.escape(query)
        if len(literal) > MAX_PATTERN_CHARS:
            literal = re.escape(query[: MAX_PATTERN_CHARS // 4])
        return UserPattern(literal, "search", ignore_case=ignore_case)


def no_match_text(query: str) -> str:
    """The toast for a search that found nothing, saying if it was taken literally."""
    try:
        UserPattern(query, "search")
    except InvalidRequest:
        return f"no match for {visible(query)!r} (not a valid regex: searched as plain text)"
    return f"no match for {visible(query)!r}"


def matching_rows(
    data: bytes, count: int, pattern: UserPattern, needs: bool | None = None
) -> list[int]:
    """Which of the ``count`` lines in ``data`` match, counted from 0 (see the module's
    docstring for how).

    A block where only a few lines hold escapes or controls (a coloured warning among plain
    lines) has those lines cleaned one by one and the rest searched raw: cleaning a whole
    block costs ~40 times what searching it does. ``needs``: whether ``data`` needs cleaning,
    when the caller knows already (looking costs a pass over it)."""
    if needs_cleaning(data) if needs is None else needs:
        dirty = dirty_lines(data)
        if len(dirty) * FEW_DIRTY <= count:
            return _mixed_rows(data, count, pattern, dirty)
        data = clean_bytes(data).encode("utf-8", "surrogatepass")
    elif not data.isascii():
        data = clean_bytes(data).encode("utf-8", "surrogatepass")
    return _raw_rows(data, count, pattern)


FEW_DIRTY = 16
"""At most one line in this many needing cleaning: those lines are cleaned alone."""
_DIRTY_TABLE = bytes(0x21 if needs_cleaning(bytes([b])) else 0x2E for b in range(256))
"""Maps each byte to ``.`` (needs no cleaning) or ``!``: one C pass finds what does."""


def dirty_lines(data: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` of each line of ``data`` holding a byte that needs cleaning."""
    marks = data.translate(_DIRTY_TABLE)
    spans: list[tuple[int, int]] = []
    pos = marks.find(b"!")
    while pos >= 0:
        start = data.rfind(b"\n", 0, pos) + 1
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        spans.append((start, end))
        pos = marks.find(b"!", end)
    return spans


def _mixed_rows(
    data: bytes, count: int, pattern: UserPattern, dirty: list[tuple[int, int]]
) -> list[int]:
    rows = set(_raw_rows(data, count, pattern))
    row = pos = 0
    for start, end in dirty:
        row += data.count(b"\n", pos, start)
        pos = start
        rows.discard(row)  # matched raw; what counts is its cleaned text
        if row < count and pattern.search(clean_bytes(data[start:end]).rstrip("\n")):
            rows.add(row)
    return sorted(rows)


_LITERAL = re.compile(r"[A-Za-z0-9 _\-:=/,'\"@#%&<>!~`]+")
"""Queries that are plain text in a regex too (no character in them means anything else)."""


def literal_of(pattern: UserPattern) -> bytes | None:
    """The text ``pattern`` stands for when it is a plain word or phrase (most filters:
    ``ERROR``, ``status=500``), lower-cased when it ignores case; ``None`` for a regex."""
    source = pattern.source
    if not _LITERAL.fullmatch(source):
        return None
    return (source.lower() if pattern.ignore_case else source).encode()


def _literal_rows(data: bytes, count: int, literal: bytes, ignore_case: bool) -> list[int]:
    """:func:`_raw_rows` for a plain word on ASCII text: ``bytes.find`` from line to line, a
    tenth of what a regex search costs a match (a filter keeping most lines of a firehose)."""
    hay = data.lower() if ignore_case else data
    rows: list[int] = []
    pos = row = 0
    find, counted = hay.find, data.count
    while row < count:
        at = find(literal, pos)
        if at < 0:
            break
        row += counted(b"\n", pos, at)
        if row >= count:
            break
        rows.append(row)
        newline = find(b"\n", at)
        if newline < 0:
            break
        pos, row = newline + 1, row + 1
    return rows


def _raw_rows(data: bytes, count: int, pattern: UserPattern) -> list[int]:
    """:func:`matching_rows` on text that needs no cleaning."""
    literal = literal_of(pattern)
    if literal is not None and data.isascii():
        return _literal_rows(data, count, literal, pattern.ignore_case)
    search = pattern.byte_search(data.isascii())
    if search is None:  # the fallback engine: one line at a time, each within its budget
        lines = data.decode("utf-8", "surrogatepass").split("\n")[:count]
        return [row for row, line in enumerate(lines) if pattern.search(line)]
    rows: list[int] = []
    end = len(data)
    pos = row = 0
    while pos <= end and row < count:
        found = search(data, pos, end)
        if found is None:
            break
        first, last = found
        row += data.count(b"\n", pos, first)
        if row >= count:
            break
        line_start = data.rfind(b"\n", 0, first) + 1
        newline = data.find(b"\n", first)
        line_end = end if newline < 0 else newline
        if last <= line_end or pattern.search(
            data[line_start:line_end].decode("utf-8", "surrogatepass")
        ):
            rows.append(row)
        if newline < 0:
            break
        pos, row = newline + 1, row + 1
    return rows
