"""Users' regexes (``--filter``, ``--exclude``, ``wait --for``, the agents' ``filter`` and
``exclude``, the viewer's ``/`` and ``f``), matched in time linear in the text.

A backtracking engine (Python's ``re``, the ``regex`` module) can spend hours on one long line
with a pattern such as ``(a+)+$b``. RE2 (the ``google-re2`` package) cannot: it runs an
automaton over the text, never backtracking, so every pattern it accepts answers in time
proportional to the text. bgview compiles every pattern with RE2 first.

What RE2 cannot express — backreferences (``(a)\\1``), lookaround (``(?=``, ``(?<!``),
atomic groups and possessive repeats, ``(?x)`` — and patterns whose counted repeats make more
than :data:`MAX_REPEAT_COPIES` copies in all (``(.*){1,32000}``: RE2's own limit is 1,000, and
its time per character grows with the copies) go to the ``regex`` engine instead, with a
time bound (:data:`FALLBACK_BUDGET`, 0.8 s per read): running out is a clear error, not a hung
reader.

The meaning is Python's, as before: ``^`` and ``$`` match at every line, matching is
case-sensitive unless the pattern says ``(?i)``, ``\\w``, ``\\d`` and ``\\s`` are Unicode
classes, ``{,3}`` is ``{0,3}``, ``\\Z`` is the end of the text. The pattern is rewritten for RE2
where the syntax differs; where a meaning cannot be rewritten (``\\b`` next to non-ASCII
letters), text that is not all ASCII goes to the fallback engine, while ASCII text, where both
meanings agree, stays with RE2. A pattern valid in neither engine is an
:class:`~bgview.runtime.errors.InvalidRequest` whose message quotes it cut to about 80
characters.

RE2 searches UTF-8 *bytes* here, with byte offsets (:meth:`UserPattern.byte_search`): given a
``str``, the ``re2`` module encodes the whole text again on every call, which would make
searching a 1 MB block match by match quadratic. Both engines are imported on first use,
never on ``bgview run``'s or the supervisor's path.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from bgview.runtime.errors import InvalidRequest

FALLBACK_BUDGET = 0.8
"""Seconds one read may spend in the fallback engine (RE2's searches need no bound): under a
second, so that the whole answer, the command's start-up included, comes within one. The
engine counts its own time in CPU seconds, so on a machine busy with other work one search
can take longer by the clock; the next finds the read's (wall-clock) budget spent."""
VIEWER_BUDGET = 0.05
"""Seconds the viewer lets the fallback engine spend on one line; past it the line counts as
not matching (the viewer searches line by line and must never stall)."""
MAX_PATTERN_CHARS = 32_768
"""Longer patterns are refused before any engine compiles them: the fallback compiles a
megabyte of pattern in seconds, and nobody filters a log with one."""
MAX_REPEAT_COPIES = 1_000
"""Copies of their operand that a pattern's counted repeats (``{m,n}``) may make in all, nested
ones multiplied, for RE2 to run it; more goes to the fallback. RE2's time per character, and
its compile time, grow with these copies: at 1,000 the worst found takes ~0.4 s on a
50,000-character line."""
RE2_MAX_MEM = 8 << 20
"""RE2's memory budget per pattern (its default). It also bounds compile time: a pattern that
would compile to more (``\\pL{1,1000}``) fails in ~40 ms and goes to the fallback, where a
larger budget would spend a second compiling it."""
QUOTE_CHARS = 80

_WORD = r"\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}\x{200c}\x{200d}"
_SPACE = r"\t-\r\x20\x85\xa0\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_UNICODE_CLASSES = {"w": _WORD, "d": r"\p{Nd}", "s": _SPACE}
"""What ``\\w``, ``\\d`` and ``\\s`` mean to the ``regex`` engine on ``str``, spelled for RE2
(whose own are ASCII-only)."""
_REPEAT = re.compile(r"\{(\d*)(,?)(\d*)\}")
_HEX = frozenset("0123456789abcdefABCDEF")


class TextMatch(Protocol):
    """What the viewer uses of a match: its span in characters."""

    def start(self) -> int: ...
    def end(self) -> int: ...


ByteSearch = Callable[[bytes, int, int], tuple[int, int] | None]
"""``search(data, pos, endpos)``: the byte span of the first match in ``data[pos:endpos]``."""


def quote(source: str, limit: int = QUOTE_CHARS) -> str:
    """``repr(source)``, cut to about ``limit`` characters with its length said: the message
    for a megabyte of pattern stays one short line."""
    quoted = repr(source[: limit + 1])
    if len(source) <= limit and len(quoted) <= limit:
        return quoted
    return f"{quoted[: limit - 2]}…{quoted[0]} ({len(source):,} characters)"


def _reason(exc: BaseException) -> str:
    """An engine's error message, cut short (it may quote the pattern)."""
    if isinstance(exc, RecursionError):
        return "groups nested too deeply"
    text = str(exc) or type(exc).__name__
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


@dataclass(frozen=True)
class _Translation:
    """A Python pattern spelled for RE2."""

    ascii: str
    """Right for text that is all ASCII (RE2's ``\\w``, ``\\d``, ``\\s``, ``\\b`` as they are)."""
    unicode: str | None
    """Right for any text (Unicode classes spelled out), or ``None``: no RE2 spelling keeps
    the meaning (``\\b``, ``\\B``, ``[\\W]``)."""
    copies: int
    """Copies made by counted repeats (see :data:`MAX_REPEAT_COPIES`)."""


def _translate(source: str) -> _Translation:
    """Rewrite ``source`` where Python's syntax and RE2's differ, and count its repeat copies.

    A tokenizer, not a parser: it tracks escapes, character classes and groups, which is all
    the rewrites need. A pattern it misreads is at worst refused by RE2 and run by the
    fallback, which parses it properly.
    """
    ascii_out: list[str] = []
    unicode_out: list[str] = []
    unicode_ok = True
    groups = [0]  # weight (atoms, repeats expanded) of each open group
    last = 0  # weight of what a repeat here would copy
    atoms = 0
    in_class = False
    class_body = 0
    i, n = 0, len(source)

    def emit(text: str, unicode: str | None = None) -> None:
        ascii_out.append(text)
        unicode_out.append(text if unicode is None else unicode)

    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n:
            d, j = source[i + 1], i + 2
            lower = d.lower()
            if lower in _UNICODE_CLASSES:
                spelled = _UNICODE_CLASSES[lower]
                if in_class:
                    if d == lower:
                        emit(source[i:j], spelled)
                    else:  # a negated class inside a class: no RE2 spelling
                        emit(source[i:j])
                        unicode_ok = False
                elif lower == "d":
                    emit(source[i:j], r"\p{Nd}" if d == "d" else r"\P{Nd}")
                else:
                    emit(source[i:j], f"[{spelled}]" if d == lower else f"[^{spelled}]")
            elif d in "bB" and not in_class:
                emit(source[i:j])
                unicode_ok = False
            elif d == "Z" and not in_class:
                emit(r"\z")  # Python's end of text; RE2's \Z is an error
            elif d in "uU" and all(h in _HEX for h in source[j : j + (4 if d == "u" else 8)]):
                k = j + (4 if d == "u" else 8)
                if k <= n:
                    emit(f"\\x{{{source[j:k]}}}")
                    j = k
                else:
                    emit(source[i:j])
            elif d in "pPxN" and source.startswith("{", j):
                close = source.find("}", j)
                j = n if close < 0 else close + 1
                emit(source[i:j])
            elif d == "Q":  # RE2's literal text, up to \E
                close = source.find("\\E", j)
                j = n if close < 0 else close + 2
                emit(source[i:j])
            else:
                emit(source[i:j])
            i = j
            if not in_class:
                atoms += 1
                groups[-1] += 1
                last = 1
            continue
        if in_class:
            j = i + 1
            if c == "[" and source.startswith(":", j):  # [:alpha:], ASCII-only in RE2
                close = source.find(":]", j)
                if close >= 0:
                    j = close + 2
                    unicode_ok = False
            elif c == "]" and i > class_body:
                in_class = False
                atoms += 1
                groups[-1] += 1
                last = 1
            emit(source[i:j])
            i = j
            continue
        if c == "[":
            j = i + 1
            if source.startswith("^", j):
                j += 1
            if source.startswith("]", j):  # a ] first is a literal one
                j += 1
            in_class, class_body = True, j
            emit(source[i:j])
            i = j
            continue
        if c == "(":
            groups.append(0)
        elif c == ")":
            inner = groups.pop() if len(groups) > 1 else 0
            groups[-1] += inner
            last = inner
        elif c == "{" and (m := _REPEAT.match(source, i)) and (m[1] or (m[2] and m[3])):
            low = int(m[1] or 0)
            high = int(m[3]) if m[3] else low + 1 if m[2] else low
            extra = last * (max(low, high, 1) - 1)
            groups[-1] += extra
            last += extra
            # Python's {,n} is {0,n}; RE2 would take it literally.
            emit(m[0] if m[1] else f"{{0,{m[3]}}}")
            i = m.end()
            continue
        elif c not in "|*+?":
            atoms += 1
            groups[-1] += 1
            last = 1
        emit(c)
        i += 1
    weight = sum(groups)
    return _Translation(
        "".join(ascii_out), "".join(unicode_out) if unicode_ok else None, max(0, weight - atoms)
    )


class UserPattern:
    """A user's pattern, compiled for RE2 where it can be and for the fallback where not.

    Reads use :meth:`byte_search` (RE2, on UTF-8 bytes) where it is offered and
    :meth:`text_search` (the fallback, on ``str``, within the read's time budget) where not;
    the viewer uses :meth:`search` and :meth:`finditer`, which pick for themselves.
    """

    def __init__(
        self,
        source: str,
        what: str,
        *,
        ignore_case: bool = False,
        budget: float = FALLBACK_BUDGET,
    ) -> None:
        self.source = source
        self.what = what
        self.ignore_case = ignore_case
        self.budget = budget
        self._deadline: float | None = None
        if len(source) > MAX_PATTERN_CHARS:
            raise InvalidRequest(
                f"invalid {what} regex {quote(source)}: longer than the"
                f" {MAX_PATTERN_CHARS:,} characters allowed"
            )
        self._translation = _translate(source)
        self._ascii: Any = None  # RE2, right for ASCII text
        self._unicode: Any = None  # RE2, right for any text (compiled on first need)
        self._unicode_tried = False
        self._fallback: Any = None  # regex (compiled on first need, unless RE2 failed)
        self._fallback_error: BaseException | None = None
        if self._translation.copies <= MAX_REPEAT_COPIES:
            self._ascii = _compile_re2(self._translation.ascii, ignore_case)
        if self._ascii is None:
            self._compile_fallback()
            if self._fallback is None:
                assert self._fallback_error is not None
                raise InvalidRequest(
                    f"invalid {what} regex {quote(source)}: {_reason(self._fallback_error)}"
                )
        elif self._translation.unicode == self._translation.ascii:
            self._unicode, self._unicode_tried = self._ascii, True

    @property
    def linear(self) -> bool:
        """Whether RE2 runs this pattern (on ASCII text, at least)."""
        return self._ascii is not None

    # ---- reads: byte offsets, one time budget per read --------------------------------------

    def restart_clock(self, deadline: float | None = None) -> None:
        """Start a new time budget for the fallback (once per read): until ``deadline``, or
        :attr:`budget` seconds from now."""
        self._deadline = time.monotonic() + self.budget if deadline is None else deadline

    def byte_search(self, ascii: bool) -> ByteSearch | None:
        """RE2's search over UTF-8 bytes for text that is (``ascii``) or may not be all
        ASCII, or ``None``: use :meth:`text_search` on the decoded text instead."""
        program = self._ascii if ascii else self._program_for_any_text()
        if program is None:
            return None
        search = program.search

        def span(data: bytes, pos: int, endpos: int) -> tuple[int, int] | None:
            # A view, not endpos: RE2 would look past endpos for what $ and \b see there.
            match = search(data if endpos == len(data) else memoryview(data)[:endpos], pos)
            return None if match is None else match.span()

        return span

    def text_search(self, text: str, pos: int, endpos: int) -> tuple[int, int] | None:
        """The fallback's search over ``text[pos:endpos]``, or a clear error once the read's
        budget is spent."""
        fallback = self._compile_fallback()
        assert fallback is not None, "byte_search offers RE2 wherever the fallback cannot run"
        if self._deadline is None:
            self.restart_clock()
        assert self._deadline is not None
        remaining = max(0.001, self._deadline - time.monotonic())
        try:
            match = fallback.search(text, pos, endpos, timeout=remaining)
        except TimeoutError:
            raise InvalidRequest(
                f"the {self.what} regex {quote(self.source)} took over {self.budget:g}s in the"
                " backtracking engine bgview falls back to for backreferences, lookaround and"
                " large repeats: simplify it (nested repeats such as (a+)+ can backtrack"
                " without end)"
            ) from None
        return None if match is None else (match.start(), match.end())

    # ---- the viewer: one line at a time, character offsets, never an error -----------------

    def search(self, text: str) -> TextMatch | None:
        """The first match in ``text``; on the fallback, ``None`` past :data:`VIEWER_BUDGET`."""
        program = self._ascii if text.isascii() else self._program_for_any_text()
        if program is not None:
            match: TextMatch | None = program.search(text)
            return match
        try:
            found: TextMatch | None = self._fallback.search(text, timeout=VIEWER_BUDGET)
        except TimeoutError:
            return None
        return found

    def finditer(self, text: str) -> Iterator[TextMatch]:
        """Every match in ``text``; on the fallback, those found within :data:`VIEWER_BUDGET`."""
        program = self._ascii if text.isascii() else self._program_for_any_text()
        if program is not None:
            yield from program.finditer(text)
            return
        found: list[TextMatch] = []
        with contextlib.suppress(TimeoutError):  # keep what was found in time
            found.extend(self._fallback.finditer(text, timeout=VIEWER_BUDGET))
        yield from found

    # ---- compiling -----------------------------------------------------------------------------

    def _program_for_any_text(self) -> Any:
        """RE2 right for any text, or ``None`` when only the fallback keeps the meaning (and
        the fallback can run the pattern)."""
        if not self._unicode_tried:
            self._unicode_tried = True
            spelled = self._translation.unicode
            if spelled is not None:
                self._unicode = _compile_re2(spelled, self.ignore_case)
        if self._unicode is not None:
            return self._unicode
        return self._ascii if self._compile_fallback() is None else None

    def _compile_fallback(self) -> Any:
        if self._fallback is None and self._fallback_error is None:
            # Imported here, not at the top: the supervisor runs without site-packages (-S),
            # and `bgview run` should not pay for engines it does not use.
            import regex

            flags = regex.MULTILINE | regex.VERSION0 | (regex.IGNORECASE if self.ignore_case else 0)
            try:
                self._fallback = regex.compile(self.source, flags)
            except (regex.error, ValueError, TypeError, OverflowError, RecursionError) as exc:
                self._fallback_error = exc
        return self._fallback


def _compile_re2(spelled: str, ignore_case: bool) -> Any:
    """RE2 for ``spelled`` with ``^``/``$`` at every line, or ``None`` if RE2 refuses it."""
    import re2

    options = re2.Options()
    options.never_capture = True  # groups are never read: RE2 skips finding their spans
    options.log_errors = False  # RE2 would print each refusal on stderr
    options.case_sensitive = not ignore_case
    options.max_mem = RE2_MAX_MEM
    try:
        return re2.compile("(?m)" + spelled, options)
    except (re2.error, UnicodeEncodeError):  # refused, or a lone surrogate in the pattern
        return None


def compile_pattern(pattern: str | None, what: str) -> UserPattern | None:
    """Compile a user's regex, or ``None`` for no pattern."""
    return None if pattern is None else UserPattern(pattern, what)
