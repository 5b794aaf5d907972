"""Agent tools and the MCP server."""

from __future__ import annotations

from bgview.runtime.errors import BgviewError


def serve_mcp(project: str | None = None) -> int:
    """Serve the agent tools over MCP stdio (not built yet)."""
    raise BgviewError("bgview mcp is not built yet")
