"""What the agent tests share: waiting for conditions with a deadline (never a bare sleep),
and reading a tool's result."""

from __future__ import annotations

import re

from bgview.agent import ToolResult
from tests.support import until

__all__ = ["error", "ok", "started_id", "until"]


def ok(result: ToolResult) -> str:
    """The text of a result that is not an error."""
    assert not result.is_error, result.text
    return result.text


def error(result: ToolResult) -> str:
    """The text of a result that is an error."""
    assert result.is_error, result.text
    return result.text


def started_id(text: str) -> str:
    """The id in ``started bash_N``."""
    match = re.match(r"started (bash_\d+)", text)
    assert match, text
    return match.group(1)
