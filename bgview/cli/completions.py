"""``bgview completions bash|zsh|fish``: a completion script for the shell, made from the
parser itself by shtab, so it knows every command and option the parser does.

Job ids (``bgview kill <TAB>``) are completed by asking ``bgview _ids`` (:mod:`bgview.cli.ids`)
at the moment of the TAB: any argument the parser calls ``id`` gets them, whichever command
it belongs to.

Loaded from the shell's start-up file (:data:`HOW`), or saved where the shell looks for
completions (``~/.config/fish/completions/bgview.fish``, a ``_bgview`` in zsh's ``fpath``).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers

SHELLS = ("bash", "zsh", "fish")
IDS_COMMAND = "bgview _ids 2>/dev/null"
"""What the script runs on a TAB where a job id goes: the project's ids, newest first."""
HOW = """load it from your shell's start-up file:
  bash  ~/.bashrc                   eval "$(bgview completions bash)"
  zsh   ~/.zshrc, after compinit    eval "$(bgview completions zsh)"
  fish  ~/.config/fish/config.fish  bgview completions fish | source"""


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "completions",
        help="a shell completion script (bash, zsh, fish), job ids included",
        description="A completion script made from this command line's parser; " + HOW,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to complete for")


def script(shell: str) -> str:
    """The completion script for ``shell``, from the whole parser."""
    import shtab

    from bgview.cli import build_parser

    parser = build_parser()
    ids = shtab.cmd(IDS_COMMAND)
    for action in _actions(parser):
        if action.dest == "id" and not action.option_strings:
            action.complete = ids  # type: ignore[attr-defined]  # shtab reads it
    return str(shtab.complete(parser, shell=shell))


def _actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every argument of ``parser`` and of its subcommands, at every depth."""
    found = []
    for action in parser._actions:
        found.append(action)
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += _actions(child)
    return found


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    print(script(args.shell), end="")
    return 0
