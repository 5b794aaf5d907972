"""What a typed line asks for: the shell's parser, case by case."""

from __future__ import annotations

import pytest

from bgview.host.commands import Line, parse, strip_background_ampersand
from bgview.host.listing import help_text
from bgview.host.syntax import incomplete


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Blank lines do nothing.
        ("", Line("empty")),
        ("   ", Line("empty")),
        # A plain command runs in the foreground, as typed.
        ("make test", Line("foreground", "make test")),
        # A path that starts with / is a command, not one of ours.
        ("/usr/bin/env", Line("foreground", "/usr/bin/env")),
        # A trailing lone & starts it in the background.
        ("npm run dev &", Line("background", "npm run dev")),
        ("sleep 1&", Line("background", "sleep 1")),
        # && and redirections are not background requests …
        ("make && make test", Line("foreground", "make && make test")),
        ("cmd 2>&1", Line("foreground", "cmd 2>&1")),
        # … nor is a quoted or escaped &.
        ("echo 'a &'", Line("foreground", "echo 'a &'")),
        ('echo "a &"', Line("foreground", 'echo "a &"')),
        ("echo a \\&", Line("foreground", "echo a \\&")),
        # CMD&: starts in the background; --keep makes it outlive the shell.
        ("CMD&: npm run dev", Line("background", "npm run dev")),
        ("CMD&: --keep npm run dev", Line("background", "npm run dev", keep=True)),
        ("CMD&:sleep 5", Line("background", "sleep 5")),
        # CMD&: with nothing to run is a mistake, said as such.
        ("CMD&:", Line("unknown", "CMD&:")),
        ("CMD&: --keep", Line("unknown", "CMD&: --keep")),
        # The shell's own commands, with their argument.
        ("/bashes", Line("bashes")),
        (":bg-list", Line("list")),
        (":bg-output bash_3", Line("output", "bash_3")),
        ("/kill  bash_2 ", Line("kill", "bash_2")),
        ("/help", Line("help")),
        ("exit", Line("exit")),
        ("quit", Line("exit")),
        # A command that takes no argument given one is not understood …
        ("/bashes now", Line("unknown", "/bashes now")),
        # … nor is exit with a status (the shell's own exit status is always 0).
        ("exit 3", Line("unknown", "exit 3")),
        # Unknown :bg- commands are caught, not run as a shell command …
        (":bg-kill bash_1", Line("unknown", ":bg-kill bash_1")),
        # … and so are mistyped slash commands (no such path on disk) …
        ("/bashs", Line("unknown", "/bashs")),
        ("/kil bash_1", Line("unknown", "/kil bash_1")),
        # … while a real top-level path still runs.
        ("/bin --help", Line("foreground", "/bin --help")),
        # cd, export, unset and source change the shell itself, quoted and expanded as bash
        # would (bash evaluates them) …
        ("cd", Line("state", "cd")),
        ("cd ~/src", Line("state", "cd ~/src")),
        ('cd "my dir"', Line("state", 'cd "my dir"')),
        ("export FOO=bar", Line("state", "export FOO=bar")),
        ('export PATH="$PATH:$(pwd)/bin"', Line("state", 'export PATH="$PATH:$(pwd)/bin"')),
        ("export FOO", Line("state", "export FOO")),
        ("unset FOO BAR", Line("state", "unset FOO BAR")),
        ("source .venv/bin/activate", Line("state", "source .venv/bin/activate")),
        (". ./env.sh", Line("state", ". ./env.sh")),
        # … as do what a bash keeps for itself, to be told it does not persist …
        ("alias ll='ls -l'", Line("state", "alias ll='ls -l'")),
        ("greet() { echo hi; }", Line("state", "greet() { echo hi; }")),
        ("function greet { echo hi; }", Line("state", "function greet { echo hi; }")),
        ("set -o vi", Line("state", "set -o vi")),
        ("shopt -s globstar", Line("state", "shopt -s globstar")),
        ("FOO=1 BAR=2", Line("state", "FOO=1 BAR=2")),
        # … but not when they only list, or are one part of a longer command.
        ("set", Line("foreground", "set")),
        ("shopt", Line("foreground", "shopt")),
        ("declare", Line("foreground", "declare")),
        ("declare -x A=1", Line("state", "declare -x A=1")),
        ("FOO=1 make", Line("foreground", "FOO=1 make")),
        ("cd a && make", Line("foreground", "cd a && make")),
        ("cd a; make", Line("foreground", "cd a; make")),
        ("source env.sh | tee log", Line("foreground", "source env.sh | tee log")),
        ("cd /tmp &", Line("background", "cd /tmp")),
        # A `;` inside quotes or $( ) does not end the command.
        ('export A="x;y"', Line("state", 'export A="x;y"')),
        ("export A=$(date; true)", Line("state", "export A=$(date; true)")),
    ],
)
def test_parse(text: str, expected: Line) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("line", "stripped"),
    [
        ("a &", "a"),
        ("a & ", "a"),
        ("a |&", None),  # bash's |& pipes stderr too
        ("a >&", None),
        ("'unclosed &", None),
        ('echo "it\'s" &', 'echo "it\'s"'),
    ],
)
def test_strip_background_ampersand(line: str, stripped: str | None) -> None:
    assert strip_background_ampersand(line) == stripped


def test_help_names_every_command() -> None:
    text = help_text()
    for word in ("/bashes", ":bg-list", ":bg-output ID", "/kill ID", "/help", "exit", "CMD&:"):
        assert word in text


@pytest.mark.parametrize(
    ("text", "more"),
    [
        # An open quote, single or double: the paste goes on on the next line.
        ("echo 'a", True),
        ('echo "a', True),
        ("echo 'a\nb'", False),
        # Blocks bash has not seen the end of.
        ("if true; then", True),
        ("for i in 1 2; do", True),
        ("if true; then echo x; fi", False),
        # A trailing pipe or &&, a backslash at the end, a here-document.
        ("echo a |", True),
        ("make &&", True),
        ("echo a \\", True),
        ("echo a \\\\", False),  # an escaped backslash: the line is done
        ("cat <<EOF", True),
        # Quotes inside $( ) are bash's business, not a naive count's.
        ('echo "$(echo ")")"', False),
        # The shell's own commands are complete as they are.
        ("/bashes", False),
        (":bg-output bash_1", False),
        ("", False),
    ],
)
def test_incomplete(text: str, more: bool) -> None:
    assert incomplete(text) is more
