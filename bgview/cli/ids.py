"""``bgview _ids``: the project's job ids, newest first, one a line — what shell completion
runs on a TAB (:mod:`bgview.cli.completions`). Hidden from ``--help``.

Only the store's directory of jobs is listed: no record is read and nothing is written, so it
answers in Python's start-up time whatever the number of jobs.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bgview.runtime.store import Project

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    sub.add_parser("_ids")  # no help: left out of --help and of completion


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    ids = Project.open(args.project).job_ids()
    sys.stdout.write("".join(f"{job_id}\n" for job_id in reversed(ids)))
    return 0
