"""``bgview wait``: wait for a job to end, for a pattern in its output, or until it is ready."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bgview.cli import args as types
from bgview.cli.run import wait_ready
from bgview.runtime import BgviewError, Runtime, notice_text
from bgview.runtime.present import format_duration

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    wait = sub.add_parser("wait", help="wait for a job to end (or for a pattern)")
    wait.add_argument("id")
    wait.add_argument(
        "--timeout", type=types.seconds, metavar="SECONDS", help="give up after this (exit 1)"
    )
    wait.add_argument("--for", dest="pattern", metavar="REGEX", help="wait for this in output")
    wait.add_argument(
        "--ready", action="store_true", help="wait until it is ready (see run --ready)"
    )


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    rt = Runtime(args.project)
    if args.ready:
        if args.pattern is not None:
            raise BgviewError("wait --ready or --for a pattern, not both")
        return wait_ready(rt, args.id, args.timeout, print_id=False)
    job, happened = rt.wait(args.id, timeout=args.timeout, pattern=args.pattern)
    if args.pattern is not None and happened:
        print(f"{job.id}: matched {args.pattern!r}")
    elif happened:
        print(notice_text(job))
    elif job.status.ended:  # waited --for a pattern that never came
        print(
            f"{job.id} ended without matching {args.pattern!r}: {notice_text(job)}", file=sys.stderr
        )
    else:
        waited = f" for {args.pattern!r}" if args.pattern is not None else ""
        print(
            f"{job.id} still running after {format_duration(args.timeout or 0)}{waited}",
            file=sys.stderr,
        )
    return 0 if happened else 1
