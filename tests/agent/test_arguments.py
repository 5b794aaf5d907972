"""Arguments checked against the tool's schema, with errors that say what to change."""

from __future__ import annotations

from typing import Any

import pytest

from bgview.agent import ToolCallError, check_arguments
from bgview.agent.tools import BY_NAME


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        # nothing given where a command is required
        ("bash", {}, "bash: missing required argument 'command'"),
        ("bash", None, "bash: missing required argument 'command'"),
        # null for a required argument is the same as missing
        ("kill_shell", {"shell_id": None}, "missing required argument 'shell_id'"),
        # a misspelt argument names what the tool takes
        ("bash_output", {"shell_id": "bash_1", "regex": "x"}, "unknown argument 'regex'"),
        ("list_shells", {"all": True}, "(it takes: no arguments)"),
        # wrong JSON types
        ("bash", {"command": ["ls"]}, "command must be a string, not an array"),
        (
            "bash",
            {"command": "ls", "run_in_background": "true"},
            "must be true or false, not a string",
        ),
        ("bash", {"command": "ls", "timeout": "10"}, "timeout must be a number, not a string"),
        ("bash", {"command": "ls", "timeout": True}, "timeout must be a number, not a boolean"),
        ("write_stdin", {"shell_id": "bash_1", "text": 3}, "text must be a string, not a number"),
        # out of range
        ("bash", {"command": "ls", "timeout": 0}, "timeout must be more than 0 and at most 600"),
        ("bash", {"command": "ls", "timeout": 10_000}, "at most 600, not 10000"),
        ("bash_output", {"shell_id": "bash_1", "wait_seconds": -1}, "at least 0"),
        ("bash_output", {"shell_id": "bash_1", "wait_seconds": float("nan")}, "finite number"),
        # arguments that are not an object at all
        ("bash", ["ls"], "the arguments must be a JSON object, not an array"),
    ],
)
def test_bad_arguments(tool: str, arguments: Any, message: str) -> None:
    with pytest.raises(ToolCallError) as caught:
        check_arguments(BY_NAME[tool], arguments)
    assert message in str(caught.value)


def test_good_arguments_come_back_checked() -> None:
    args = check_arguments(
        BY_NAME["bash"], {"command": "ls", "timeout": 5, "run_in_background": False}
    )
    assert args == {"command": "ls", "timeout": 5.0, "run_in_background": False}
    assert isinstance(args["timeout"], float)


def test_optional_arguments_sent_as_null_are_not_given() -> None:
    """Some clients send every optional argument, the unset ones as null."""
    args = check_arguments(
        BY_NAME["bash_output"], {"shell_id": "bash_1", "filter": None, "wait_seconds": None}
    )
    assert args == {"shell_id": "bash_1"}
