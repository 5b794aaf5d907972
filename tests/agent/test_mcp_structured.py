"""``bgview mcp``'s results as data, seen by two clients nobody here wrote: the official Python
SDK's client (which validates ``structuredContent`` against the listed ``outputSchema`` itself)
and the MCP Inspector's CLI (npm; one server per call, as it connects). And by a client on an
older protocol revision, which is given only what that revision has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bgview.agent import TOOLS
from bgview.runtime import Runtime
from tests.agent import inspector
from tests.agent.helpers import until
from tests.agent.test_mcp_server import connect, gate
from tests.conftest import RunCli

# ---- the official Python SDK's client -----------------------------------------------------------


async def test_sdk_lists_an_output_schema_for_every_tool(home: Path, project: Path) -> None:
    async with connect(home, project) as session:
        tools = (await session.list_tools()).tools
    for tool, spec in zip(tools, TOOLS, strict=True):
        assert tool.output_schema == spec.output_schema(), tool.name


async def test_sdk_bash_then_bash_output_then_kill(
    home: Path, project: Path, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    async with connect(home, project) as session:
        schemas = {t.name: t.output_schema for t in (await session.list_tools()).tools}

        async def data(name: str, **arguments: object) -> dict[str, Any]:
            # call_tool raises if the content does not validate against the listed schema;
            # checked here once more, so that this test does not lean on the SDK alone.
            result = await session.call_tool(name, arguments)
            assert not result.is_error, result.content
            content = result.structured_content
            assert isinstance(content, dict)
            jsonschema.validate(content, schemas[name])
            return content

        command = f"echo one; {gate(go)}; echo two; sleep 300"
        started = await data("bash", command=command, run_in_background=True)
        assert (started["id"], started["status"], started["background"]) == (
            "bash_1",
            "running",
            True,
        )
        first = await data("bash_output", shell_id="bash_1", wait_seconds=10)
        assert first["lines"] == ["one"] and first["dropped"] == 0
        go.touch()
        second = await data("bash_output", shell_id="bash_1", wait_seconds=10)
        assert second["lines"] == ["two"] and second["next"] > first["next"]
        killed = await data("kill_shell", shell_id="bash_1")
        assert killed["status"] == "killed" and killed["killed_by"] == "agent"
        listed = await data("list_shells")
        assert [(j["id"], j["status"]) for j in listed["jobs"]] == [("bash_1", "killed")]


async def test_sdk_a_named_consumer_gets_what_ended_while_it_was_away(
    home: Path, project: Path, tmp_path: Path, cli: RunCli
) -> None:
    """``--consumer``: a new name starts with no backlog; a returning one is told what ended
    between its connections, once."""
    assert cli("run", "--", "true").returncode == 0  # history from before the consumer
    rt = Runtime(project, home=home)
    until(lambda: rt.job("bash_1").status.ended, what="bash_1 to end")
    go = tmp_path / "go"
    async with connect(home, project, consumer="editor") as session:
        result = await session.call_tool(
            "bash", {"command": gate(go), "run_in_background": True, "keep": True}
        )
        assert isinstance(result.structured_content, dict)
        assert result.structured_content["notices"] == []  # not bash_1's old end
    go.touch()
    until(lambda: rt.job("bash_2").status.ended, what="bash_2 to end")
    for told in (["bash_2"], []):
        async with connect(home, project, consumer="editor") as session:
            result = await session.call_tool("list_shells", {})
            assert isinstance(result.structured_content, dict)
            notices = result.structured_content["notices"]
            assert [n["id"] for n in notices] == told
            assert all(n["kind"] == "ended" and n["status"] == "exited" for n in notices)


def test_a_bad_consumer_name_is_one_line(cli: RunCli) -> None:
    done = cli("mcp", "--consumer", "../x")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "consumer" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


# ---- older protocol revisions -----------------------------------------------------------------


def raw_session(home: Path, project: Path, version: str) -> dict[str, Any]:
    """``bgview mcp`` spoken to in raw JSON-RPC by a client asking for ``version``: the
    replies to initialize, tools/list and one tools/call, by method."""
    requests = [
        (
            "initialize",
            {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "old", "version": "0"},
            },
        ),
        ("tools/list", {}),
        ("tools/call", {"name": "bash", "arguments": {"command": "echo hi"}}),
    ]
    server = subprocess.Popen(
        [sys.executable, "-m", "bgview", "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=project,
        env={**os.environ, "BGVIEW_HOME": str(home)},
    )
    assert server.stdin is not None and server.stdout is not None
    replies: dict[str, Any] = {}
    try:
        for number, (method, params) in enumerate(requests, 1):
            message = {"jsonrpc": "2.0", "id": number, "method": method, "params": params}
            server.stdin.write(json.dumps(message) + "\n")
            server.stdin.flush()
            reply = json.loads(server.stdout.readline())
            assert reply["id"] == number, reply
            replies[method] = reply["result"]
            if method == "initialize":
                note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
                server.stdin.write(json.dumps(note) + "\n")
        server.stdin.close()
        assert server.wait(timeout=10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return replies


@pytest.mark.parametrize(
    ("asked", "answered", "structured"),
    [
        ("2024-11-05", "2024-11-05", False),  # before results as data: text only
        ("2025-03-26", "2025-03-26", False),
        ("2025-06-18", "2025-06-18", True),  # the revision that brought them
        ("2025-11-25", "2025-11-25", True),
        ("1999-01-01", "2025-11-25", True),  # unknown: the server offers its newest
    ],
)
def test_each_protocol_revision_gets_what_it_has(
    home: Path, project: Path, asked: str, answered: str, structured: bool
) -> None:
    replies = raw_session(home, project, asked)
    assert replies["initialize"]["protocolVersion"] == answered
    tools = replies["tools/list"]["tools"]
    assert [("outputSchema" in tool) for tool in tools] == [structured] * len(TOOLS)
    result = replies["tools/call"]
    assert result["content"][0]["text"].startswith("hi\n[bash_1 exited 0")
    assert ("structuredContent" in result) is structured
    if structured:
        jsonschema.validate(result["structuredContent"], tools[0]["outputSchema"])
        assert result["structuredContent"]["lines"] == ["hi"]


# ---- the MCP Inspector's CLI ------------------------------------------------------------------


@pytest.fixture(scope="session")
def inspector_bin() -> Path:
    return inspector.install()


@pytest.fixture
def inspect(inspector_bin: Path, home: Path, project: Path, tmp_path: Path) -> Iterator[Any]:
    """Run the Inspector's CLI against ``bgview mcp [--consumer NAME]``: its JSON output."""
    env = {**os.environ, "MCP_CATALOG_PATH": str(tmp_path / "inspector-catalog.json")}

    def run(method: str, *options: str, consumer: str | None = None) -> dict[str, Any]:
        server = [sys.executable, "-m", "bgview", "mcp"]
        if consumer is not None:
            server += ["--consumer", consumer]
        done = subprocess.run(
            [
                str(inspector_bin),
                "--cli",
                *server,
                "-e",
                f"BGVIEW_HOME={home}",
                "--cwd",
                str(project),
                "--method",
                method,
                *options,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=50,
        )
        assert done.returncode == 0, (done.stdout, done.stderr)
        result: dict[str, Any] = json.loads(done.stdout)
        result["_stderr"] = done.stderr
        return result

    yield run


def tool_call(tool: str, **arguments: str) -> list[str]:
    """The Inspector's options for ``tools/call`` of ``tool`` with ``arguments`` (key=value)."""
    pairs = [f"{key}={value}" for key, value in arguments.items()]
    return ["--tool-name", tool, *(["--tool-arg", *pairs] if pairs else [])]


@pytest.mark.timeout(240)  # the first test installs the Inspector if make test did not
def test_inspector_lists_output_schemas_it_finds_portable(inspect: Any) -> None:
    listed = inspect("tools/list", "--strict")
    assert [tool["name"] for tool in listed["tools"]] == [t.name for t in TOOLS]
    for tool, spec in zip(listed["tools"], TOOLS, strict=True):
        assert tool["outputSchema"] == spec.output_schema()
    assert "Warning" not in listed["_stderr"] and "Error" not in listed["_stderr"]


@pytest.mark.timeout(240)
def test_inspector_one_call_per_connection_reads_on_with_a_consumer(
    inspect: Any, home: Path, project: Path, tmp_path: Path
) -> None:
    """The Inspector's CLI starts a server for each call. With ``--consumer`` each read
    starts where the previous connection's ended; without, every connection is a new reader."""
    schemas = {t["name"]: t["outputSchema"] for t in inspect("tools/list")["tools"]}

    def data(tool: str, consumer: str | None = "insp", **arguments: str) -> dict[str, Any]:
        result = inspect("tools/call", *tool_call(tool, **arguments), consumer=consumer)
        assert result["isError"] is False, result
        content: dict[str, Any] = result["structuredContent"]
        jsonschema.validate(content, schemas[tool])
        return content

    go = tmp_path / "go"
    # kept: the job outlives the connection (and its server) that started it
    started = data(
        "bash",
        command=f"echo one; {gate(go)}; echo two; sleep 300",
        run_in_background="true",
        keep="true",
    )
    assert started["id"] == "bash_1" and started["keep"] is True
    rt = Runtime(project, home=home)
    until(lambda: b"one" in rt.job("bash_1").log_path.read_bytes(), what="the first line")

    assert data("bash_output", shell_id="bash_1")["lines"] == ["one"]
    go.touch()
    until(lambda: b"two" in rt.job("bash_1").log_path.read_bytes(), what="the second line")
    assert data("bash_output", shell_id="bash_1")["lines"] == ["two"]  # read on, not again
    assert data("bash_output", shell_id="bash_1")["lines"] == []
    # without a consumer a connection is a reader of its own: it reads from the start
    assert data("bash_output", consumer=None, shell_id="bash_1")["lines"] == ["one", "two"]

    killed = data("kill_shell", shell_id="bash_1")
    assert killed["status"] == "killed" and killed["already_ended"] is False
    assert rt.job("bash_1").status.ended
