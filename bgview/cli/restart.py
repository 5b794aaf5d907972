"""``bgview restart``: start a job again as a new job, as the viewer's ``r`` does.

The new job has the old one's command, cwd, name, terminal size, options, restart policy and
owner (while that owner lives), and a new id, printed on stdout; its record says which job it
restarts (``bgview list``: ``(restart of bash_3)``, ``--json``: ``restart_of``). A running job
is killed first, its whole group, and the new one starts once it is gone.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bgview.cli import args as types
from bgview.runtime import JobStatus, Runtime, notice_text

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    restart = sub.add_parser(
        "restart", help="start a job again as a new job (killing it first if it runs)"
    )
    restart.add_argument("id")
    restart.add_argument(
        "--grace",
        type=types.seconds,
        default=3.0,
        metavar="SECONDS",
        help="a running job gets SIGTERM, then SIGKILL after this (default 3)",
    )


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    rt = Runtime(args.project)
    before = rt.job(args.id)
    new = rt.restart(args.id, grace=args.grace)
    if before.running:
        print(notice_text(rt.job(args.id)), file=sys.stderr)
    print(new.id, flush=True)
    if new.status is JobStatus.FAILED:
        print(notice_text(new), file=sys.stderr)
        return 1
    return 0
