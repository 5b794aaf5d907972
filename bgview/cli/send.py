"""``bgview send ID TEXT``: type into a job's terminal, then Enter (``--no-enter``: not).

The same write path as the agents' ``write_stdin``, the viewer's ``i`` and an attached
terminal (:func:`bgview.runtime.control.send`). What is sent goes only to the job's pty: at a
prompt that does not echo (a password) it is in no log and no read. A job that has ended is
one line and exit status 2.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bgview.runtime import Runtime

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    send = sub.add_parser("send", help="type TEXT into a job's terminal, then Enter")
    send.add_argument("id")
    send.add_argument("text", help="what to type (a shell string: quote it)")
    send.add_argument(
        "--no-enter",
        dest="enter",
        action="store_false",
        help="leave the line open: no Enter after TEXT",
    )
    send.add_argument(
        "--enter", dest="enter", action="store_true", help="press Enter after TEXT (the default)"
    )


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    Runtime(args.project).send(args.id, args.text, enter=args.enter)
    return 0
