"""``bgview serve``: the viewer in a browser, on 127.0.0.1 behind a token (:mod:`bgview.web`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    serve = sub.add_parser("serve", help="the viewer in a browser (127.0.0.1, behind a token)")
    serve.add_argument("--port", type=int, default=0, help="default: a free one, printed")
    serve.add_argument("--host", default="127.0.0.1", help="bind elsewhere (still a token)")
    serve.add_argument("--all", action="store_true", dest="all_here", help="every project's")


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    from bgview.web import serve

    return serve(
        project=args.project,
        all_projects=args.all or args.all_here,
        port=args.port,
        host=args.host,
    )
