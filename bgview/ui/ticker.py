"""The clock of a screen's running jobs: runtimes move on screen once a second, and a tick
that is nearly due is taken along with a frame drawn anyway.

A job printing a line a second would otherwise cost two frames a second (its line, then the
runtimes a moment later); taken along, it costs one. After a tick taken early the next is due
a little later than a second on (:data:`SLACK`), so the next line comes first and takes it
along rather than racing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.message_pump import MessagePump
from textual.timer import Timer

SECONDS = 1.0
"""How often running jobs' runtimes move on screen."""
EARLY = 0.5
"""A tick is taken this long after the last one, instead of when due, along with a frame
drawn anyway (new output)."""
SLACK = 0.1
"""After a tick taken early, the next comes this much later than a second on."""


class Ticker:
    """Calls ``tick`` every :data:`SECONDS` on ``owner``'s timers, or sooner through
    :meth:`along`."""

    def __init__(self, owner: MessagePump, tick: Callable[[], None]) -> None:
        self._owner = owner
        self._tick = tick
        self._ticked = time.monotonic()
        self._timer: Timer = owner.set_interval(SECONDS, self._due)

    def along(self) -> None:
        """A frame is drawn anyway: tick in it if one is nearly due."""
        if time.monotonic() - self._ticked >= EARLY:
            self._due()
            self._timer.stop()
            self._timer = self._owner.set_timer(SECONDS + SLACK, self._again)

    def _again(self) -> None:
        """No frame took the tick along: tick, and every second from now."""
        self._due()
        self._timer = self._owner.set_interval(SECONDS, self._due)

    def _due(self) -> None:
        self._ticked = time.monotonic()
        self._tick()
