"""The one error type the runtime raises for problems a user can fix.

Every face turns a :class:`BgviewError` into a clear message at its edge: an exit status of 2
and one line on stderr in the CLI, a toast in the viewer, a tool error for an agent.
"""

from __future__ import annotations


class BgviewError(Exception):
    """A problem with the request or the store, worded for the user (one line, no traceback)."""


class NoSuchJob(BgviewError):
    """The id is well formed but no such job exists in this project."""


class InvalidRequest(BgviewError):
    """The request itself is malformed: a bad id, regex, range or command."""


class NoRoom(BgviewError):
    """The disk (or quota) has no room to start a job: nothing was started or left behind."""
