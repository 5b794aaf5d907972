"""The ``bgview`` command.

``bgview`` alone opens the viewer; the subcommands are a contract that scripts, agents and
tests rely on. Each subcommand is a module of this package with ``add_parser(sub)`` and
``run(args, argv_cmd)``, imported only when it is asked for (:data:`COMMANDS`), so
``bgview run`` loads the runtime and nothing else: the viewer, the REPL and the MCP server
are imported when their subcommand runs.

Every problem the user can fix ends in one line on stderr and exit status 2; a job that
cannot start for want of disk space (``NoRoom``) in one line and exit status 1.

Whatever came from a job (its command, name, cwd, reason, project) is printed
:func:`~bgview.runtime.text.visible`: a name holding escape sequences must not retitle the
terminal or write the clipboard. ``bgview list --json`` keeps the exact strings.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, cast

from bgview.cli.args import USAGE_ERROR, Parser
from bgview.runtime import BgviewError
from bgview.runtime.errors import NoRoom
from bgview.runtime.text import visible

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers

COMMANDS: dict[str, str] = {
    "run": "run",
    "list": "listing",
    "output": "output",
    "kill": "kill",
    "restart": "restart",
    "send": "send",
    "attach": "attach",
    "wait": "wait",
    "notices": "notices",
    "prune": "prune",
    "shell": "shell",
    "mcp": "mcp",
    "serve": "serve",
    "status": "status",
    "completions": "completions",
    "_ids": "ids",
}
"""Each subcommand and the module of this package that parses and runs it, in ``--help``
order."""


class Command(Protocol):
    """What each command's module offers."""

    def add_parser(self, sub: Subparsers) -> None: ...

    def run(self, args: argparse.Namespace, argv_cmd: list[str] | None) -> int: ...


def _module(name: str) -> Command:
    return cast(Command, importlib.import_module(f"bgview.cli.{COMMANDS[name]}"))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` just that subcommand's parser: building the
    others costs milliseconds (argparse looks up translations for every help string, and
    each command's module is imported), and ``bgview run`` is on an agent's hot path."""
    parser = Parser(
        prog="bgview",
        description="Background jobs for terminal coding agents. With no command: the viewer.",
    )
    parser.add_argument("--project", metavar="DIR", help="the project (default: git root of .)")
    parser.add_argument("--all", action="store_true", help="every project's jobs (viewer, list)")
    parser.add_argument(
        "--notify",
        action="store_true",
        help="a desktop notification (OSC 9) when a job ends while the terminal is not in front "
        "(viewer, shell; BGVIEW_NOTIFY=osc777 for OSC 777)",
    )
    parser.add_argument("--version", action="version", version="bgview 0.1.0")
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS if only is None else [only]:
        _module(name).add_parser(sub)
    return parser


def dispatch(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    if args.project is not None and not os.path.isdir(os.path.expanduser(args.project)):
        raise BgviewError(f"no such project directory: {os.path.abspath(args.project)}")
    if args.cmd is None:
        from bgview import desktop
        from bgview.ui import run_viewer

        desktop.enable(args.notify)  # a bad BGVIEW_NOTIFY is refused here, in one line

        return run_viewer(project=args.project, all_projects=args.all)
    return _module(args.cmd).run(args, argv_cmd)


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if "status" in raw:  # before argparse and the runtime: it runs on every prompt
        from bgview.statusline import main as status

        code = status(raw)
        if code is not None:
            return code
    head, argv_cmd = raw, None
    if "run" in raw:  # `bgview run … -- PROGRAM`; cli.run (and what it starts with) loads only then
        from bgview.cli.run import split_run_args

        head, argv_cmd = split_run_args(raw)
    # The usual call names its command first: build only that part of the parser.
    only = head[0] if head and head[0] in COMMANDS else None
    args = build_parser(only).parse_args(head)
    try:
        return dispatch(args, argv_cmd)
    except NoRoom as exc:
        # Not a mistake in what was typed (that is 2): the disk refused, as for a command
        # that could not run. One line, and nothing was started.
        print(f"bgview: {visible(str(exc))}", file=sys.stderr)
        return 1
    except BgviewError as exc:
        # Its words may quote a name, a path or a reason that came from a job.
        print(f"bgview: {visible(str(exc))}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # before OSError, of which it is a kind
        # `bgview list | head`: the reader left; that is not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        # The environment refused something (permissions, a full or read-only disk): say
        # what and where, in one line, rather than with a traceback.
        where = f": {exc.filename}" if exc.filename else ""
        print(f"bgview: {visible(f'{exc.strerror or exc}{where}')}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
