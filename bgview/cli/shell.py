"""``bgview shell``: the REPL whose commands run through bgview (see :mod:`bgview.host`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bgview.runtime.api import default_max_log

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    shell = sub.add_parser("shell", help="a REPL with background jobs and /bashes")
    shell.add_argument(
        "--notify",
        action="store_true",
        # SUPPRESS: not given here, `bgview --notify shell` still counts
        default=argparse.SUPPRESS,
        help="a desktop notification (OSC 9) when a background job ends (BGVIEW_NOTIFY=osc777 "
        "for OSC 777)",
    )


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    default_max_log()  # every job it starts reads it: a bad one is refused now, not per job
    from bgview import desktop
    from bgview.host import run_shell

    desktop.enable(args.notify)  # a bad BGVIEW_NOTIFY is refused now, in one line

    return run_shell(project=args.project)
