"""``bgview prune``: delete finished jobs (all, or those ended longer ago than an age)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bgview.cli import args as types
from bgview.runtime import Runtime

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    prune = sub.add_parser("prune", help="delete finished jobs")
    prune.add_argument(
        "--older-than",
        type=types.age,
        metavar="AGE",
        default=0.0,
        help="only jobs that ended longer ago than this (7d, 12h); default: every ended job",
    )


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    from bgview.runtime.prune import prune

    removed = prune(Runtime(args.project).project, older_than=args.older_than)
    print(f"removed {len(removed)} finished job{'s' if len(removed) != 1 else ''}")
    return 0
