"""The reading limits, in a module of their own so that code which only needs the numbers
(``bgview run``'s argument parser, the API's defaults) does not load the reading code."""

from __future__ import annotations

MAX_CHARS = 30_000
"""The most one read returns, notes included; the rest waits for the next call."""
DEFAULT_TAIL = 64 * 1024
"""Bytes a peek shows when not told otherwise."""
MAX_TAIL = 1024 * 1024
"""The most one peek shows."""
