"""Users' regexes (``--filter``, ``--exclude``, ``--for``) with a bound on their time.

A pattern such as ``(a+)+$`` backtracks without end on a long line, and the standard ``re``
cannot be interrupted. The ``regex`` engine can: every search gets what is left of a time
budget, and running out is a clear error rather than a hung agent. It is as fast as ``re`` on
the patterns people filter logs with, and faster on anchored ones (``^WARN``).
"""

from __future__ import annotations

import time
from typing import Any

from bgview.runtime.errors import InvalidRequest

TIME_BUDGET = 10.0
"""Seconds one read may spend matching a user's pattern."""


class UserPattern:
    """A compiled, multi-line (``^``/``$`` at every line) pattern with a time budget."""

    def __init__(self, source: str, what: str, budget: float = TIME_BUDGET) -> None:
        self.source = source
        self.what = what
        self.budget = budget
        # Imported here, not at the top: the supervisor runs without site-packages (-S) and
        # `bgview run` should not pay for an engine it does not use.
        import regex

        try:
            self._compiled: Any = regex.compile(source, regex.MULTILINE | regex.VERSION0)
        except (regex.error, TypeError, ValueError) as exc:
            raise InvalidRequest(f"invalid {what} regex {source!r}: {exc}") from None
        self._deadline: float | None = None

    def restart_clock(self) -> None:
        """Start a new time budget (once per read)."""
        self._deadline = time.monotonic() + self.budget

    def search(self, text: str, pos: int = 0) -> Any:
        """``regex.search`` from ``pos``, or a clear error once the budget is spent."""
        if self._deadline is None:
            self.restart_clock()
        assert self._deadline is not None
        remaining = max(0.001, self._deadline - time.monotonic())
        try:
            return self._compiled.search(text, pos, timeout=remaining)
        except TimeoutError:
            raise InvalidRequest(
                f"the {self.what} regex {self.source!r} took over {self.budget:g}s: simplify it"
                " (nested repeats such as (a+)+ can backtrack without end)"
            ) from None


def compile_pattern(pattern: str | None, what: str) -> UserPattern | None:
    """Compile a user's regex, or ``None`` for no pattern."""
    return None if pattern is None else UserPattern(pattern, what)
