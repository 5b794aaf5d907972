"""``bgview status``: listed here for ``--help``; :mod:`bgview.statusline` parses and runs it
before this package is imported (it runs on every prompt)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    status = sub.add_parser("status", help="the project's jobs in one line, for a prompt")
    status.add_argument("--format", help="with {running} {waiting} {failed} {ready}")
    status.add_argument("--json", action="store_true", help="the counts as JSON")


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    from bgview.statusline import main as status

    argv = ["status"] + (["--format", args.format] if args.format is not None else [])
    code = status(argv + (["--json"] if args.json else []))
    return code if code is not None else 0
