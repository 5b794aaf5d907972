"""``bgview mcp``: an MCP server on stdio with the agent tools (see :mod:`bgview.agent`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bgview.runtime.api import default_max_log

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    sub.add_parser("mcp", help="an MCP server (stdio) with the agent tools")


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    default_max_log()  # every job it starts reads it: a bad one is refused now, not per job
    from bgview.agent import serve_mcp

    return serve_mcp(project=args.project)
