"""``bgview notices``: the notices (a job ended, is ready, waits for input) this consumer
has not been given yet; each is given once."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bgview.runtime import Runtime

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    notices = sub.add_parser("notices", help="completion notices not yet given")
    notices.add_argument("--consumer", default="agent")


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    for notice in Runtime(args.project).notices(args.consumer):
        print(notice.text)
    return 0
