"""Fixtures of the agent tests: the tool handler on the test's project."""

from __future__ import annotations

import pytest

from bgview.agent import ToolHandler
from bgview.runtime import Runtime


@pytest.fixture
def handler(rt: Runtime) -> ToolHandler:
    """The agents' tools, on the test's project."""
    return ToolHandler(rt)
