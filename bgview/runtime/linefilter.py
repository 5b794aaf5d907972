"""Keeping the lines of a block that a user's patterns let through (``--filter``,
``--exclude``), at the regex engine's speed: each pattern searches the whole block, jumping
from match to match, never line by line in Python. Matching is on the cleaned text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import AnyStr

from bgview.runtime.clean import clean_bytes, plain_text, utf8
from bgview.runtime.patterns import UserPattern


def select_lines(text: str, keep: UserPattern | None, drop: UserPattern | None) -> tuple[str, int]:
    """Keep the lines of ``text`` that match ``keep`` and do not match ``drop``; the kept text
    and its number of lines."""
    data = text.encode("utf-8", "surrogatepass")
    return _select(data, len(data), data.isascii(), keep, drop)


def filter_block(
    block: bytes,
    end: int,
    keep: UserPattern | None,
    drop: UserPattern | None,
    cleaned: bool | str,
    ascii: bool | None = None,
) -> tuple[str, int]:
    """The cleaned lines of ``block[:end]`` that ``keep`` and ``drop`` let through;
    ``cleaned`` is the block's text cleaned without a terminal, or ``False`` if it needed no
    cleaning (:meth:`Emulation.classify`); ``ascii`` whether the whole block is ASCII, when
    the caller knows already (``None``: look).

    Matching is on the cleaned text, so a colour code inside a word does not hide it. Most
    logs are plain ASCII, which cleaning leaves as it is: there RE2 searches the raw bytes
    where they lie, and only the lines kept are decoded. (Text beyond ASCII always takes the
    cleaning path: its UTF-8 continuation bytes are among those cleaning looks at.)
    """
    if keep is None and drop is None:
        if isinstance(cleaned, str):
            return cleaned, count_lines(cleaned)
        text = (block if end == len(block) else block[:end]).decode("utf-8", "replace")
        return text, count_lines(text)
    if cleaned is False and (block.isascii() if ascii is None else ascii):
        return _select(block, end, True, keep, drop)
    text = cleaned if isinstance(cleaned, str) else block[:end].decode("utf-8", "replace")
    data = utf8(text)
    return _select(data, len(data), data.isascii(), keep, drop)


def filter_line(
    raw: bytes, keep: UserPattern | None, drop: UserPattern | None, columns: int
) -> tuple[str, int]:
    """:func:`filter_block` for one line of a block read without a terminal."""
    text = plain_text(raw, columns)
    return filter_block(raw, len(raw), keep, drop, clean_bytes(raw) if text is None else text)


def _select(
    data: bytes, end: int, ascii: bool, keep: UserPattern | None, drop: UserPattern | None
) -> tuple[str, int]:
    """The lines of the UTF-8 text ``data[:end]`` that match ``keep`` and not ``drop``.

    Each pattern searches the whole block, jumping from match to match, never line by line in
    Python: a rare pattern over 100 MB runs at the engine's speed. RE2 searches bytes; the
    fallback engine (:mod:`bgview.runtime.patterns`) searches the decoded text.
    """
    text: bytes | str = data
    for pattern, keeping in ((keep, True), (drop, False)):
        if pattern is None:
            continue
        search = pattern.byte_search(ascii)
        if search is not None:
            if isinstance(text, str):
                text = text.encode("utf-8", "surrogatepass")
                end = len(text)
            text = _pick(text, b"\n", search, keeping, end)
        else:
            if isinstance(text, bytes):
                text = text[:end].decode("utf-8", "surrogatepass")
            text = _pick(text, "\n", pattern.text_search, keeping, len(text))
        end = len(text)
    if isinstance(text, bytes):
        text = text[:end].decode("utf-8", "surrogatepass")
    return text, count_lines(text)


def count_lines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def _pick(
    text: AnyStr,
    newline: AnyStr,
    search: Callable[[AnyStr, int, int], tuple[int, int] | None],
    keeping: bool,
    end: int,
) -> AnyStr:
    """The lines of ``text[:end]`` holding a match (``keeping``), or all the others."""
    pieces: list[AnyStr] = []
    pos = 0
    for start, stop in _line_spans(text, newline, search, end):
        if keeping:
            pieces.append(text[start:stop])
        else:
            pieces.append(text[pos:start])
            pos = stop
    if not keeping:
        pieces.append(text[pos:end])
    return newline[:0].join(pieces)


def _line_spans(
    text: AnyStr,
    newline: AnyStr,
    search: Callable[[AnyStr, int, int], tuple[int, int] | None],
    end: int,
) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each line of ``text[:end]`` (with its newline) holding a match, in
    order, once each; a match across newlines takes every line it touches."""
    pos = 0
    while pos <= end:
        found = search(text, pos, end)
        if found is None:
            return
        first, last = found
        start = max(text.rfind(newline, 0, first) + 1, pos)
        newline_at = text.find(newline, max(last, first + 1) - 1, end)
        stop = end if newline_at < 0 else newline_at + 1
        if start < stop:
            yield start, stop
        pos = stop if stop > pos else pos + 1
