"""What a typed line asks for: the shell's parser, case by case."""

from __future__ import annotations

import pytest

from bgview.host.commands import Line, parse, strip_background_ampersand
from bgview.host.listing import help_text


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
        # cd and export change the shell itself, when they are plain.
        ("cd", Line("cd")),
        ("cd ~/src", Line("cd", "~/src")),
        ("cd a && make", Line("foreground", "cd a && make")),
        ("export FOO=bar", Line("export", "FOO=bar")),
        ("export FOO", Line("foreground", "export FOO")),
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
