"""Textual's frame rate for the viewer, set before Textual is first imported.

Textual draws at most ``TEXTUAL_FPS`` frames a second (60 by default) on a fixed grid, so a
line that arrives just after a frame waits up to 16.7 ms for the next. A live log is judged by
that wait (the tail latency budget is p99 ≤ 50 ms on a busy machine): 120 halves it. Log
updates themselves are capped at 25 a second under a firehose, so the higher rate costs little.
A user's own ``TEXTUAL_FPS`` wins; an app that imported Textual before us keeps its rate.
"""

from __future__ import annotations

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
