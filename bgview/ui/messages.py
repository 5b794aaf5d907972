"""The viewer's messages between its parts, each a small dataclass (noisy ones merge)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from bgview.runtime.events import JobEvent


@dataclass
class StoreChanged(Message):
    """A batch of job events from the store watcher (posted from its thread)."""

    events: list[JobEvent]


@dataclass
class ActionFailed(Message):
    """A job action (kill, restart, delete) run in a worker failed with this message."""

    text: str
