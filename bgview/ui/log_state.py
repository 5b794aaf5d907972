"""What the log pane's model tells the widgets around it: the panel's bar
(:class:`LogState`) and the view, after each look at the file (:class:`Update`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogState:
    """What the panel around the log shows about it."""

    follow: bool
    size: int
    """Logical size of the log: every byte the job wrote."""
    dropped: int
    """Bytes the runtime's size cap dropped from the front."""
    lines: int
    shown: int
    """Rows (fewer than ``lines`` under a filter)."""
    counting: bool = False
    """The lines before the tail are still being counted: ``lines`` is an estimate."""
    problem: str | None = None
    """A message instead of the log: gone, unreadable, truncated."""
    busy: str | None = None
    """A scan under way, and how far it got: ``filtering… 40%``."""
    match: str | None = None
    """Where the search stands: ``match 3 of 41`` (``41+`` while it scans)."""
    full: bool = False
    """The filter holds as many matches as it keeps (:data:`~bgview.ui.log_matches.MAX_MATCHES`):
    lines matching after those are not shown."""


@dataclass(frozen=True)
class Update:
    """What one look at the log file changed, for the widget to act on."""

    changed: bool = False
    """Rows, sizes or the problem changed: size the view again, redraw, redraw the bar."""
    reopened: bool = False
    """Another file, a truncation: drawn lines are stale, scans start over."""
    jumped: bool = False
    """A backlog was skipped to the tail: the lines in between are to be counted and
    scanned (:meth:`LogModel.count_job`, the scans' holes)."""
    truncated: bool = False
    retry: bool = False
    """The size cap is swapping the file right now: look again very soon."""
    more: bool = False
    """More output waits than one step takes in: look again shortly."""
    took: int = 0
    """Bytes of output taken in (what the widget's rate limit counts)."""
    rows_gone: int = 0
    """Rows dropped from the top (a paused view moves up by as many to stay put)."""
