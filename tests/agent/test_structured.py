"""Every tool's result as data (MCP ``structuredContent``): what it holds, and that it is what
the tool's declared output schema says, checked with ``jsonschema`` like a client would.

Real commands in real ptys; a job that must do something later waits for a file (a gate).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from bgview.agent import TOOLS, ToolHandler, ToolResult, openai_tools
from bgview.agent.tools import BY_NAME
from bgview.runtime import Runtime
from tests.agent.helpers import until
from tests.conftest import RunCli


def data(tool: str, result: ToolResult) -> dict[str, Any]:
    """The result's data, checked against the tool's output schema."""
    assert result.data is not None, result.text
    jsonschema.validate(result.data, BY_NAME[tool].output_schema())
    json.dumps(result.data)  # plain JSON, as it goes on the wire
    return result.data


def call(handler: ToolHandler, tool: str, **arguments: object) -> dict[str, Any]:
    result = handler.call(tool, arguments)
    assert not result.is_error, result.text
    return data(tool, result)


def test_every_output_schema_is_a_valid_object_schema() -> None:
    for tool in TOOLS:
        schema = tool.output_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object"  # MCP 2025-06-18 wants an object at the root
        assert "notices" in schema["required"]


def test_responses_api_functions_are_not_strict() -> None:
    """The Responses API takes a missing ``strict`` as strict mode (every optional argument
    filled in): each function says it is not."""
    assert [tool["strict"] for tool in openai_tools("responses")] == [False] * len(TOOLS)
    assert all("strict" not in tool["function"] for tool in openai_tools("chat"))


def test_background_bash_then_reads_then_kill(
    handler: ToolHandler, rt: Runtime, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    command = f"echo one; echo two; while [ ! -e {go} ]; do sleep 0.01; done; echo three; sleep 300"
    started = call(handler, "bash", command=command, run_in_background=True, name="srv")
    assert started["id"] == "bash_1" and started["name"] == "srv"
    assert started["status"] == "running" and started["background"] is True
    assert started["lines"] == [] and started["log_path"] == str(rt.job("bash_1").log_path)

    log = rt.job("bash_1").log_path
    until(lambda: b"two\n" in log.read_bytes(), what="both lines")  # it waits at its gate now
    first = call(handler, "bash_output", shell_id="bash_1")
    assert first["lines"] == ["one", "two"]
    assert first["dropped"] == 0 and first["more"] is False
    # the job waits at its gate: everything it wrote is read, next is the log's end
    assert first["next"] == rt.job("bash_1").log_path.stat().st_size

    go.touch()
    until(lambda: b"three\n" in log.read_bytes(), what="the third line")
    second = call(handler, "bash_output", shell_id="bash_1")
    assert second["lines"] == ["three"]  # only what is new
    assert second["next"] > first["next"]

    killed = call(handler, "kill_shell", shell_id="bash_1")
    assert killed["status"] == "killed" and killed["signal"] == "SIGTERM"
    assert killed["killed_by"] == "agent" and killed["already_ended"] is False
    assert killed["notices"] == []  # the end is the answer: not told again

    again = call(handler, "kill_shell", shell_id="bash_1")
    assert again["already_ended"] is True and again["status"] == "killed"


def test_foreground_bash_gives_its_lines_and_exit_code(handler: ToolHandler) -> None:
    done = call(handler, "bash", command="printf '\\033[31mred\\033[0m\\n'; echo two; exit 3")
    assert done["status"] == "exited" and done["exit_code"] == 3
    assert done["lines"] == ["red", "two"]  # cleaned, as in the text
    assert done["background"] is False


def test_foreground_bash_moved_to_the_background(handler: ToolHandler) -> None:
    # 3 s: long enough for the echo on a busy machine, short enough for a test
    moved = call(handler, "bash", command="echo begun; sleep 300", timeout=3)
    assert moved["status"] == "running" and moved["background"] is True
    assert moved["lines"] == ["begun"]


def test_notices_come_as_a_list(handler: ToolHandler, rt: Runtime, tmp_path: Path) -> None:
    go = tmp_path / "go"
    call(
        handler, "bash", command=f"while [ ! -e {go} ]; do sleep 0.01; done", run_in_background=True
    )
    go.touch()
    until(lambda: rt.job("bash_1").status.ended, what="bash_1 to end")
    listed = handler.call("list_shells", {})
    shown = data("list_shells", listed)
    [notice] = shown["notices"]
    assert notice["id"] == "bash_1" and notice["kind"] == "ended"
    assert notice["status"] == "exited"
    assert notice["text"].startswith("[bg:bash_1 exited 0")
    assert notice["text"] in listed.text  # the same notice the text ends with


def test_list_shells_has_the_fields_of_list_json(handler: ToolHandler, cli: RunCli) -> None:
    assert call(handler, "list_shells") == {"jobs": [], "hidden": 0, "notices": []}
    call(handler, "bash", command="echo hi")
    call(handler, "bash", command="sleep 300", run_in_background=True, keep=True)
    shown = call(handler, "list_shells")
    done = cli("list", "--json")
    assert done.returncode == 0, done.stderr
    by_cli = {job["id"]: job for job in json.loads(done.stdout)}
    assert [job["id"] for job in shown["jobs"]] == ["bash_2", "bash_1"]  # running first
    for job in shown["jobs"]:
        assert set(job) == set(by_cli[job["id"]])
        assert job["status"] == by_cli[job["id"]]["status"]
    assert shown["hidden"] == 0


def test_write_stdin(handler: ToolHandler, rt: Runtime) -> None:
    call(handler, "bash", command="read -p 'ok? ' a; echo got $a", run_in_background=True)
    until(lambda: b"ok?" in rt.job("bash_1").log_path.read_bytes(), what="the prompt")
    sent = call(handler, "write_stdin", shell_id="bash_1", text="yes\n")
    assert sent["id"] == "bash_1" and sent["sent"] == 4


def test_a_name_with_escapes_is_kept_exact_and_json_escapes_it(handler: ToolHandler) -> None:
    """The text makes a job's name visible; the data keeps it exact (as ``list --json``), and
    JSON writes the escape as ``\\u001b``: no raw escape reaches a terminal either way."""
    result = handler.call(
        "bash", {"command": "sleep 300", "run_in_background": True, "name": "a\x1b]0;x\x07"}
    )
    assert "\x1b" not in result.text
    assert data("bash", result)["name"] == "a\x1b]0;x\x07"
    assert "\x1b" not in json.dumps(result.data)


def test_errors_about_the_call_have_no_data(handler: ToolHandler) -> None:
    """A bad argument or an unknown job is told in words only: there is no job to describe."""
    bad = handler.call("bash_output", {"shell_id": "bash_9"})
    assert bad.is_error and bad.data is None
    unknown = handler.call("bash", {"command": "true", "colour": "red"})
    assert unknown.is_error and unknown.data is None


def test_a_name_in_use_is_refused_in_words(handler: ToolHandler) -> None:
    call(handler, "bash", command="sleep 300", run_in_background=True, name="dev")
    twice = handler.call("bash", {"command": "sleep 300", "run_in_background": True, "name": "dev"})
    assert twice.is_error and "dev" in twice.text
    assert twice.data is None  # refused before any job existed
