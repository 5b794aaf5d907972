"""``bgview shell``: the REPL whose commands run through bgview (see :mod:`bgview.host`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bgview.runtime.api import default_max_log

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    sub.add_parser("shell", help="a REPL with background jobs and /bashes")


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    default_max_log()  # every job it starts reads it: a bad one is refused now, not per job
    from bgview.host import run_shell

    return run_shell(project=args.project)
