"""``bgview mcp``: the agent tools served over MCP stdio, with the official ``mcp`` SDK.

The server is a thin shell around :class:`~bgview.agent.handler.ToolHandler`: ``tools/list``
gives :data:`~bgview.agent.tools.TOOLS`, ``tools/call`` runs the handler in a worker thread
(the runtime blocks; the event loop must keep answering other calls) and returns its text.

Each tool declares an ``outputSchema`` and each result carries ``structuredContent`` beside the
text, as MCP 2025-06-18 defines them, to a client that negotiated 2025-06-18 or later. A client
that asked for an older revision (the SDK answers with the revision it asked for) is given what
that revision has: the tools and their text, nothing it would not know.

Its jobs belong to a :class:`~bgview.runtime.Session` of this process: they end when the
client disconnects (stdin closes) or when the server dies, even by SIGKILL, unless started
with ``keep``. Stdout carries nothing but protocol: the SDK points fd 1 at stderr while it
serves, the runtime never prints, and the supervisors it spawns write to ``/dev/null``.
"""

from __future__ import annotations

import os
import threading
import time
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp_types.version import is_version_at_least

from bgview import __version__
from bgview.agent.handler import ToolHandler
from bgview.agent.tools import TOOLS
from bgview.runtime import Session, notices

INSTRUCTIONS = (
    "bgview runs shell commands as jobs with ids and logs. Use bash with "
    'run_in_background=true for servers, watchers and long builds (with ready="auto" the '
    "call answers once a server is up); read new output with bash_output (filter, "
    "wait_seconds), stop jobs with kill_shell, answer prompts with write_stdin. Notices of "
    "jobs that ended, became ready or wait for input arrive at the end of your next tool "
    "result."
)

AGENT_ENV = {"PAGER": "cat", "GIT_PAGER": "cat"}
"""Set (unless already set) for the commands agents run: in a pty, ``git log`` would
otherwise open a pager and wait for a key no agent will press."""


STRUCTURED_SINCE = "2025-06-18"
"""The protocol revision that brought ``outputSchema`` and ``structuredContent``."""


def structured(protocol_version: str) -> bool:
    """Whether a client on ``protocol_version`` knows results as data."""
    return is_version_at_least(protocol_version, STRUCTURED_SINCE)


def tool_list(protocol_version: str = STRUCTURED_SINCE) -> list[types.Tool]:
    """The tools as MCP describes them: the same names, texts and schemas as everywhere, with
    the schema of their data for a client that knows it."""
    with_output = structured(protocol_version)
    return [
        types.Tool(
            name=spec.name,
            description=spec.description,
            input_schema=spec.schema(),
            output_schema=spec.output_schema() if with_output else None,
        )
        for spec in TOOLS
    ]


def build_server(handler: ToolHandler) -> Server[Any]:
    """An MCP server whose tools are carried out by ``handler``."""

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tool_list(ctx.protocol_version))

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        cancel = threading.Event()
        call = partial(handler.call, params.name, params.arguments, cancel=cancel)
        try:
            # abandon_on_cancel: a cancelled request answers at once; the event tells the
            # thread to stop waiting (and to kill a foreground command nobody wants now).
            result = await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            cancel.set()
            raise
        data = result.data if structured(ctx.protocol_version) else None
        return types.CallToolResult(
            content=[types.TextContent(text=result.text)],
            structured_content=data,
            is_error=result.is_error,
        )

    return Server(
        "bgview",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def _serve(server: Server[Any]) -> None:
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def consumer_name() -> str:
    """This server's own consumer: its reads and notices are its own, not another agent's.

    Two agents on one project (two editor windows) must not take each other's lines or
    notices; the start time keeps a recycled pid from inheriting an old server's cursors.
    """
    return f"mcp-{os.getpid()}-{time.time_ns() // 1_000_000:x}"


def serve(project: str | None = None, consumer: str | None = None) -> int:
    """Serve until the client disconnects; then end this session's jobs. Returns 0.

    ``consumer`` (``--consumer NAME``) names the read cursors and the place in the notices
    instead of this process's own name, so a client that connects once per call (the MCP
    Inspector's CLI does) reads on where its previous connection left off.
    """
    for key, value in AGENT_ENV.items():
        os.environ.setdefault(key, value)
    session = Session(project)
    # `bgview run` typed inside an agent's command belongs to this session too.
    os.environ["BGVIEW_OWNER_PID"] = str(os.getpid())
    if consumer is None:
        consumer = consumer_name()
    # A new agent starts with no backlog of notices; a named one seen before keeps its place.
    notices.begin(session.project, consumer)
    handler = ToolHandler(session, consumer=consumer)
    try:
        anyio.run(_serve, build_server(handler))
    except KeyboardInterrupt:  # Ctrl+C when run by hand: a normal way to stop
        pass
    finally:
        handler.close()
        session.close()
    return 0
