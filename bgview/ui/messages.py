"""The viewer's messages between its parts, each a small dataclass with the data it carries.

The feed's thread posts :class:`JobsChanged` and :class:`FeedLoaded` (through
:class:`~bgview.ui.live.FeedLink`); the job actions' workers post the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from bgview.runtime.events import JobEvent
from bgview.runtime.model import Job


@dataclass
class JobsChanged(Message):
    """Job events from the feed; batches that arrive before it is handled join it."""

    events: list[JobEvent]
    running: int
    """How many jobs run, as of the last batch that joined."""


@dataclass
class FeedLoaded(Message):
    """The feed has had its first look at the store (also when it found no job)."""


@dataclass
class JobRestarted(Message):
    """A finished job was started again (in a worker) as ``new``."""

    old: Job
    new: Job
    shown: str
    """The command as the toast shows it."""


@dataclass
class ActionDone(Message):
    """A job action (kill, restart, delete) run in a worker finished: say so."""

    text: str


@dataclass
class ActionFailed(Message):
    """A job action (kill, restart, delete) run in a worker failed with this message."""

    text: str
