"""One definition of the tools, exported in the Anthropic and OpenAI formats."""

from __future__ import annotations

import json

from bgview.agent import TOOLS, anthropic_tools, openai_tools
from bgview.agent.tools import BY_NAME

NAMES = ["bash", "bash_output", "kill_shell", "list_shells", "write_stdin"]


def test_the_five_tools_in_order() -> None:
    assert [t.name for t in TOOLS] == NAMES


def test_every_schema_is_a_closed_object_whose_required_arguments_exist() -> None:
    for tool in TOOLS:
        schema = tool.parameters
        assert schema["type"] == "object"
        assert schema["additionalProperties"] is False
        assert set(schema["required"]) <= set(schema["properties"])
        for name, prop in schema["properties"].items():
            assert prop["type"] in {"string", "boolean", "number", "integer"}, (tool.name, name)
            assert prop["description"], (tool.name, name)


def test_the_arguments_the_issue_names() -> None:
    props = {t.name: set(t.parameters["properties"]) for t in TOOLS}
    assert {
        "command",
        "run_in_background",
        "timeout",
        "description",
        "name",
        "keep",
        "ready",
        "notify_on",
        "restart",
        "max_restarts",
        "backoff",
        "size",
    } == props["bash"]
    assert {"shell_id", "filter", "exclude", "wait_seconds", "since"} == props["bash_output"]
    assert props["kill_shell"] == {"shell_id"}
    assert props["list_shells"] == set()
    assert props["write_stdin"] == {"shell_id", "text"}
    assert BY_NAME["bash"].parameters["required"] == ["command"]


def test_anthropic_format_carries_the_same_texts() -> None:
    tools = anthropic_tools()
    assert [t["name"] for t in tools] == NAMES
    for tool, spec in zip(tools, TOOLS, strict=True):
        assert set(tool) == {"name", "description", "input_schema"}
        assert tool["description"] == spec.description
        assert tool["input_schema"] == spec.parameters
    json.dumps(tools)  # plain JSON, ready for the API


def test_openai_chat_and_responses_formats() -> None:
    chat = openai_tools()
    assert [t["type"] for t in chat] == ["function"] * 5
    assert [t["function"]["name"] for t in chat] == NAMES
    assert chat[0]["function"]["parameters"] == TOOLS[0].parameters
    responses = openai_tools("responses")
    assert [t["name"] for t in responses] == NAMES
    assert responses[1]["parameters"] == TOOLS[1].parameters
    json.dumps([chat, responses])


def test_exported_schemas_are_copies() -> None:
    """A harness that edits what it was given does not change the tools for everyone."""
    anthropic_tools()[0]["input_schema"]["properties"].clear()
    assert "command" in TOOLS[0].parameters["properties"]
