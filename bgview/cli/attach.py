"""``bgview attach ID``: this terminal attached to a running job, as tmux attaches one to a
session, until Ctrl+] (:mod:`bgview.host.attach`). A job that has ended, or no terminal to
attach, is one line and exit status 2."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bgview.runtime import Runtime

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    attach = sub.add_parser(
        "attach", help="attach this terminal to a running job (detach with Ctrl+])"
    )
    attach.add_argument("id")


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    from bgview.host.attach import attach

    attach(Runtime(args.project).project, args.id)
    return 0
