"""``bgview kill``: end a job and every process it started, after a grace period."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bgview.cli import args as types
from bgview.runtime import Runtime, notice_text

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    kill = sub.add_parser("kill", help="kill a job and every process it started")
    kill.add_argument("id")
    kill.add_argument("--grace", type=types.seconds, default=3.0, metavar="SECONDS")


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    rt = Runtime(args.project)
    before = rt.job(args.id)
    job = rt.kill(args.id, grace=args.grace)
    if before.status.ended:
        print(f"{job.id} had already ended: {notice_text(job)}")
    else:
        print(notice_text(job))
    return 0
