"""``bgview output``: a job's new output since this consumer's last read, cleaned as a
terminal would show it; ``--peek`` the tail, ``--all`` the whole log (``--raw``: the bytes as
written) and ``--since 5m`` / ``--since 14:00`` what was written since then, moving no cursor
(:mod:`bgview.runtime.export`)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bgview.cli import args as types
from bgview.runtime import BgviewError
from bgview.runtime.limits import DEFAULT_TAIL
from bgview.runtime.store import Project

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
    out.add_argument("--all", action="store_true", help="the whole log, cleaned; move no cursor")
    out.add_argument("--raw", action="store_true", help="the whole log's bytes as written")
    out.add_argument(
        "--since",
        metavar="WHEN",
        help="only what was written since WHEN: 5m, 90s, 1h30m or a clock time, 14:00",
    )
    out.add_argument(
        "--tail",
        type=types.tail,
        default=DEFAULT_TAIL,
        metavar="BYTES",
        help="with --peek: how much of the end to show (default 64K, at most 1M)",
    )


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    # The project and the reading code, not the whole Runtime: starting and controlling jobs
    # is not needed to read one, and loading it costs a filter over a big log a good part of
    # its time.
    project = Project.open(args.project)
    if args.all or args.raw or args.since is not None:
        return _export(project, args)
    if args.peek:
        if args.filter or args.exclude or args.wait is not None:
            raise BgviewError(
                "--peek shows the raw tail: it takes no --filter, --exclude or --wait"
            )
        from bgview.runtime.clean import clean_bytes
        from bgview.runtime.output import peek as peek_at
        from bgview.runtime.present import format_size

        peek = peek_at(project, args.id, tail=args.tail)
        if peek.truncated:
            print(
                f"[showing the last {format_size(len(peek.data))} of {format_size(peek.end)}]",
                file=sys.stderr,
            )
        text = clean_bytes(peek.data)
        sys.stdout.write(text if not text or text.endswith("\n") else text + "\n")
        return 0
    from bgview.runtime.output import read

    result = read(
        project,
        args.id,
        consumer=args.consumer,
        filter=args.filter,
        exclude=args.exclude,
        wait=args.wait,
    )
    sys.stdout.write(result.render())
    return 0


def _export(project: Project, args: argparse.Namespace) -> int:
    """``--all``, ``--raw``, ``--since``: no cursor moves."""
    from bgview.runtime import export
    from bgview.runtime.patterns import compile_pattern

    if args.peek or args.wait is not None:
        raise BgviewError("--all, --raw and --since read the log as it is: no --peek or --wait")
    if args.raw and (args.filter or args.exclude):
        raise BgviewError("--raw gives the bytes as written: it takes no --filter or --exclude")
    start = 0
    if args.since is not None:
        when = export.parse_since(args.since)
        found = export.since_offset(project, args.id, when)
        if found is None:
            project.load(args.id)  # a job that does not exist is an error, not silence
            return 0  # nothing was written since
        start = found
    if args.raw:
        out = sys.stdout.buffer
        for chunk in export.raw_chunks(project, args.id, start):
            out.write(chunk)
        out.flush()
        return 0
    job = export.Export(
        project,
        args.id,
        start,
        keep=compile_pattern(args.filter, "filter"),
        drop=compile_pattern(args.exclude, "exclude"),
    )
    text = ""
    for text in job.chunks():
        if job.skipped and args.since is None:
            print(f"[{job.skipped:,} bytes dropped by the log size cap]", file=sys.stderr)
            job.skipped = 0
        sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")
    return 0
