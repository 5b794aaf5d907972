"""``bgview output``: a job's new output since this consumer's last read, cleaned as a
terminal would show it; ``--peek`` the tail, moving no cursor."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bgview.cli import args as types
from bgview.runtime import BgviewError, Runtime
from bgview.runtime.limits import DEFAULT_TAIL
from bgview.runtime.present import format_size

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    out = sub.add_parser("output", help="new output since this consumer's last read")
    out.add_argument("id")
    out.add_argument("--consumer", default="agent", help="whose cursor (default: agent)")
    out.add_argument("--filter", metavar="RE", help="keep only lines matching this regex")
    out.add_argument("--exclude", metavar="RE", help="drop lines matching this regex")
    out.add_argument("--wait", type=types.seconds, metavar="SECONDS", help="wait for new output")
    out.add_argument("--peek", action="store_true", help="show the tail; move no cursor")
    out.add_argument(
        "--tail",
        type=types.tail,
        default=DEFAULT_TAIL,
        metavar="BYTES",
        help="with --peek: how much of the end to show (default 64K, at most 1M)",
    )


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    rt = Runtime(args.project)
    if args.peek:
        if args.filter or args.exclude or args.wait is not None:
            raise BgviewError(
                "--peek shows the raw tail: it takes no --filter, --exclude or --wait"
            )
        from bgview.runtime.clean import clean_bytes

        peek = rt.peek(args.id, tail=args.tail)
        if peek.truncated:
            print(
                f"[showing the last {format_size(len(peek.data))} of {format_size(peek.end)}]",
                file=sys.stderr,
            )
        text = clean_bytes(peek.data)
        sys.stdout.write(text if not text or text.endswith("\n") else text + "\n")
        return 0
    result = rt.read(
        args.id, consumer=args.consumer, filter=args.filter, exclude=args.exclude, wait=args.wait
    )
    sys.stdout.write(result.render())
    return 0
