"""``bgview list``: the project's jobs as a table, or as JSON records (``--json``).

The table is the one presentation (:mod:`bgview.runtime.present`), cut to the terminal's
width; ``--json`` keeps the exact strings a job gave (the table shows them visible).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import TYPE_CHECKING

from bgview.runtime import Job, Runtime, present

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    ls = sub.add_parser("list", help="the project's jobs")
    ls.add_argument("--json", action="store_true", help="a JSON array of job records")
    ls.add_argument("--all", action="store_true", dest="all_here", help="every project's jobs")


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    every = args.all or args.all_here
    jobs = Runtime(args.project).jobs(all_projects_=every)
    if args.json:
        # One write: json.dump writes each token on its own (two million for 10,000 jobs).
        sys.stdout.write(json.dumps([j.to_json() for j in jobs], indent=2) + "\n")
    else:
        print_table(jobs, show_project=every)
    return 0


def print_table(jobs: list[Job], show_project: bool) -> None:
    if not jobs:
        print("no jobs", file=sys.stderr)
        return
    width = None
    if sys.stdout.isatty():
        with contextlib.suppress(OSError, ValueError):
            width = max(os.get_terminal_size(sys.stdout.fileno()).columns, 40)
    lines = present.table(present.rows(jobs, show_project=show_project), width=width)
    sys.stdout.write("\n".join(lines) + "\n")  # one write: ten thousand prints cost 50 ms
