"""A tool's own answer, before the notices every result ends with are added
(:class:`~bgview.agent.handler.ToolHandler` adds them)."""

from __future__ import annotations

from dataclasses import dataclass

from bgview.agent.results import Data
from bgview.runtime.facts import FactKind


@dataclass(frozen=True)
class Reply:
    """A tool's own answer, before the notices are added."""

    text: str
    data: Data | None = None
    stated: tuple[str, ...] = ()
    """Jobs whose end this answer states (with their notice line): not told again."""
    is_error: bool = False
    told: tuple[tuple[str, FactKind], ...] = ()
    """Events this answer states (a job became ready, waits for input): not told again."""
