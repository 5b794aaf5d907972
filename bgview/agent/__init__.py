"""Agent tools and the MCP server.

For harness authors::

    from bgview.agent import ToolHandler, anthropic_tools
    from bgview.runtime import Session

    handler = ToolHandler(Session())          # jobs end with this process unless keep=true
    tools = anthropic_tools()                 # or openai_tools()
    result = handler.call("bash", {"command": "make test", "run_in_background": True})
    result.text, result.is_error, result.data   # data: the same answer as JSON (structuredContent)

The MCP server (``bgview mcp``) serves the same tools with the same texts and data; it is
imported only when it runs, so the handler does not pull in the ``mcp`` SDK.
"""

from __future__ import annotations

from bgview.agent.arguments import ToolCallError, check_arguments
from bgview.agent.handler import ToolHandler, ToolResult
from bgview.agent.tools import TOOLS, ToolSpec, anthropic_tools, openai_tools

__all__ = [
    "TOOLS",
    "ToolCallError",
    "ToolHandler",
    "ToolResult",
    "ToolSpec",
    "anthropic_tools",
    "check_arguments",
    "openai_tools",
    "serve_mcp",
]


def serve_mcp(project: str | None = None, consumer: str | None = None) -> int:
    """Serve the agent tools over MCP stdio until the client disconnects (``bgview mcp``);
    ``consumer`` names its read cursors (``--consumer``), else they are its own."""
    from bgview.agent.mcp_server import serve

    return serve(project, consumer)
