"""What a line typed at the REPL asks for. Pure parsing, no side effects: easy to test.

``/bashes``, ``/kill ID``, ``/help``, ``:bg-list``, ``:bg-output ID``, ``exit`` are the REPL's
own; ``cd``, ``export``, ``unset``, ``source`` (``.``) and what only a shell keeps (an alias, a
function, ``set -o``, a variable not exported) are about the REPL's own state, which a job's
bash cannot change (:mod:`bgview.host.state`); ``<command> &`` and ``CMD&: [--keep] <command>``
start a background job; anything else runs in the foreground. A line that starts with ``/`` but
is not one of ours (``/usr/bin/env``) is a command like any other.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "empty",
    "foreground",
    "background",
    "bashes",
    "list",
    "output",
    "kill",
    "help",
    "exit",
    "state",
    "unknown",
]

BACKGROUND_PREFIX = "CMD&:"
KEEP_FLAG = "--keep"

REPL_COMMANDS: dict[str, str] = {
    "/bashes": "open the jobs viewer (esc comes back)",
    ":bg-list": "this project's jobs, compact",
    ":bg-output ID": "the job's output this shell has not shown yet",
    "/kill ID": "kill a job and its whole process group",
    "/help": "this help",
    "exit": "leave (asks when this shell's jobs are still running)",
}
"""The REPL's own commands and what they do, for ``/help`` and completion."""

_WORDS: dict[str, Kind] = {
    "/bashes": "bashes",
    ":bg-list": "list",
    ":bg-output": "output",
    "/kill": "kill",
    "/help": "help",
    "exit": "exit",
    "/exit": "exit",
    "quit": "exit",
}
_TAKES_ID: set[Kind] = {"output", "kill"}
STATE_WORDS = frozenset(
    {"cd", "pushd", "popd", "export", "unset", "source", ".", "alias", "unalias"}
)
"""Commands that change the shell's own state, whatever their arguments."""
OPTION_WORDS = frozenset({"set", "shopt", "declare", "typeset"})
"""Commands that change it when given arguments (alone, they list)."""
_FUNCTION = re.compile(r"\s*(function\s+[^\s(){}]+|[^\s(){}=]+\s*\(\s*\))")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Line:
    """One parsed line."""

    kind: Kind
    command: str = ""
    """The shell command to run (``foreground``/``background``), else the argument."""
    keep: bool = False
    """A background job that outlives the shell (``CMD&: --keep ...``)."""


def parse(text: str) -> Line:
    """Parse one line typed at the prompt."""
    line = text.strip()
    if not line:
        return Line("empty")
    head, _, rest = line.partition(" ")
    rest = rest.strip()
    kind = _WORDS.get(head)
    if kind is not None:
        if kind in _TAKES_ID:
            return Line(kind, rest)
        return Line(kind, rest) if not rest else Line("unknown", line)
    if head.startswith(":bg-") or _looks_like_a_typo(head):
        return Line("unknown", line)
    if line.startswith(BACKGROUND_PREFIX):
        command = line[len(BACKGROUND_PREFIX) :].strip()
        keep = command == KEEP_FLAG or command.startswith(KEEP_FLAG + " ")
        if keep:
            command = command[len(KEEP_FLAG) :].strip()
        return Line("background", command, keep) if command else Line("unknown", line)
    if _is_state(line, head, rest):
        return Line("state", line)
    stripped = strip_background_ampersand(line)
    if stripped is not None:
        return Line("background", stripped) if stripped else Line("unknown", line)
    return Line("foreground", line)


def _looks_like_a_typo(head: str) -> bool:
    """``/bashs`` or ``/kil``: a slash word that is no path on disk is a mistyped REPL
    command, not something to hand to bash (``/usr/bin/env`` and ``/tmp/x.sh`` still run)."""
    if not head.startswith("/") or "/" in head[1:]:
        return False
    return not os.path.exists(head)


def strip_background_ampersand(line: str) -> str | None:
    """``cmd &`` → ``cmd``; ``None`` when the line does not end in a lone, unquoted ``&``
    (``a && b``, ``echo 'x &'``, ``echo x \\&`` and ``2>&1`` are not background requests)."""
    body = line.rstrip()
    if not body.endswith("&") or body.endswith("&&") or body.endswith("\\&"):
        return None
    before = body[:-1]
    if before.endswith((">", "<", "|")):  # `cmd >&`, `|&`: redirections, not background
        return None
    if _open_quote(before):
        return None
    return before.rstrip()


def _open_quote(text: str) -> bool:
    """Whether ``text`` ends inside a quote (so a following ``&`` is quoted)."""
    quote = ""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
    return bool(quote)


def _is_state(line: str, head: str, rest: str) -> bool:
    """Whether ``line`` changes the shell's state, and nothing else: ``cd src``, ``export
    A="x y"``, ``source .venv/bin/activate``, ``alias ll='ls -l'``, ``set -o vi``, ``A=1``, a
    function definition. ``cd src && make`` is a command like any other: it runs as a job."""
    if _FUNCTION.match(line):
        return True  # its body may hold `;`: the definition is the whole line
    if not single_command(line):
        return False
    if head in STATE_WORDS or (head in OPTION_WORDS and rest):
        return True
    return assignments_only(line) is not None


def assignments_only(line: str) -> list[str] | None:
    """The names a line of nothing but assignments sets (``A=1 B=2``), else ``None``."""
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if not words or not all(_ASSIGNMENT.match(word) for word in words):
        return None
    return [word.partition("=")[0] for word in words]


def single_command(text: str) -> bool:
    """No unquoted ``;``, ``&``, ``|`` or newline outside ``$(…)`` and backquotes: one simple
    command."""
    quote = ""
    escaped = False
    depth = 0
    previous = ""
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            if char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char == "(" and previous == "$":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif not depth and char in ";&|\n":
            return False
        previous = char
    return True
