"""``bgview mcp``: an MCP server on stdio with the agent tools (see :mod:`bgview.agent`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bgview.runtime.api import default_max_log
from bgview.runtime.store import validate_consumer

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    mcp = sub.add_parser("mcp", help="an MCP server (stdio) with the agent tools")
    mcp.add_argument(
        "--consumer",
        metavar="NAME",
        help=(
            "name the read cursors and the place in the notices (default: this server's own), "
            "so a client that connects for each call reads on where it left off"
        ),
    )


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    default_max_log()  # every job it starts reads it: a bad one is refused now, not per job
    if args.consumer is not None:
        validate_consumer(args.consumer)  # one line and exit 2, before the server starts
    from bgview.agent import serve_mcp

    return serve_mcp(project=args.project, consumer=args.consumer)
