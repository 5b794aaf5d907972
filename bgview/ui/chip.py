"""The jobs chip's text, for REPL toolbars: see :func:`bgview.runtime.events.chip_text`."""

from __future__ import annotations

from bgview.runtime.events import chip_text, running_count

__all__ = ["chip_text", "running_count"]
