"""``bgview mcp`` driven by the ``mcp`` SDK's own stdio client, as a real client would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import mcp_types as types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from bgview.agent import TOOLS
from bgview.runtime import JobStatus, Runtime
from tests.agent.helpers import until
from tests.conftest import RunCli


def gate(path: Path) -> str:
    """Shell that waits until ``path`` exists."""
    return f"while [ ! -e {path} ]; do sleep 0.01; done"


@asynccontextmanager
async def connect(
    home: Path, project: Path, *options: str, consumer: str | None = None
) -> AsyncIterator[ClientSession]:
    """Start ``bgview [options] mcp [--consumer NAME]`` in ``project``; an initialised client
    session."""
    named = ["--consumer", consumer] if consumer is not None else []
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "bgview", *options, "mcp", *named],
        env={"BGVIEW_HOME": str(home)},
        cwd=str(project),
    )
    with open(home.parent / "mcp-server.stderr", "a") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


async def call(session: ClientSession, name: str, **arguments: object) -> str:
    """A tool call that must succeed; its text."""
    result = await session.call_tool(name, arguments)
    text = _text(result)
    assert not result.is_error, text
    return text


def _text(result: types.CallToolResult) -> str:
    assert len(result.content) == 1
    block = result.content[0]
    assert isinstance(block, types.TextContent)
    return block.text


def listed(cli: RunCli) -> dict[str, dict[str, object]]:
    """``bgview list --json``, by id."""
    done = cli("list", "--json")
    assert done.returncode == 0, done.stderr
    return {job["id"]: job for job in json.loads(done.stdout)}


async def test_lists_the_same_tools_with_the_same_texts(home: Path, project: Path) -> None:
    async with connect(home, project) as session:
        tools = (await session.list_tools()).tools
    assert [t.name for t in tools] == [t.name for t in TOOLS]
    for tool, spec in zip(tools, TOOLS, strict=True):
        assert tool.description == spec.description
        assert tool.input_schema == spec.parameters


async def test_a_session_like_an_agent_has(
    home: Path, project: Path, tmp_path: Path, cli: RunCli
) -> None:
    rt = Runtime(project, home=home)
    go, done = tmp_path / "go", tmp_path / "done"
    server_command = f"echo noise; echo ready 1; {gate(go)}; echo noise; echo ready 2; {gate(done)}"
    async with connect(home, project) as session:
        # start a background job: the answer comes at once
        text = await call(session, "bash", command=server_command, run_in_background=True)
        assert text.startswith("started bash_1\nlog: ")

        # read it incrementally, with a filter
        text = await call(
            session, "bash_output", shell_id="bash_1", filter="ready", wait_seconds=10
        )
        assert text.startswith("ready 1\n[bash_1 still running")
        go.touch()
        text = await call(
            session, "bash_output", shell_id="bash_1", filter="ready", wait_seconds=10
        )
        assert text.startswith("ready 2\n")
        assert "noise" not in text

        # a foreground command, and an error the agent can act on
        assert (await call(session, "bash", command="echo hi")).startswith("hi\n[bash_2 exited 0")
        bad = await session.call_tool("bash_output", {"shell_id": "bash_1", "filter": "("})
        assert bad.is_error and _text(bad).startswith("bash_output: invalid filter regex '('")

        # kill one: the result is its notice, and it is not told again
        await call(session, "bash", command="sleep 300", run_in_background=True)
        text = await call(session, "kill_shell", shell_id="bash_3")
        assert text.startswith("[bg:bash_3 killed by SIGTERM")

        # a job that ends by itself: its notice arrives on the next call, exactly once
        done.touch()
        until(lambda: rt.job("bash_1").status.ended, what="bash_1 to end")
        text = await call(session, "list_shells")
        assert text.count("[bg:bash_1 exited 0") == 1
        assert "[bg:bash_3" not in text and "[bg:bash_2" not in text
        assert "[bg:" not in await call(session, "list_shells")

        # the person beside the agent sees the same jobs
        jobs = listed(cli)
        assert {k: v["status"] for k, v in jobs.items()} == {
            "bash_1": "exited",
            "bash_2": "exited",
            "bash_3": "killed",
        }
        owners = {job["owner_pid"] for job in jobs.values()}
        assert len(owners) == 1 and os.getpid() not in owners  # the server's session


async def test_write_stdin_over_mcp(home: Path, project: Path) -> None:
    async with connect(home, project) as session:
        await call(session, "bash", command="read -p 'ok? ' a; echo got $a", run_in_background=True)
        rt = Runtime(project, home=home)
        until(lambda: b"ok?" in rt.job("bash_1").log_path.read_bytes(), what="the prompt")
        await call(session, "write_stdin", shell_id="bash_1", text="yes\n")
        until(lambda: rt.job("bash_1").status.ended, what="the job to end")
        assert "got yes" in await call(session, "bash_output", shell_id="bash_1")


async def test_jobs_end_when_the_client_disconnects_unless_kept(home: Path, project: Path) -> None:
    rt = Runtime(project, home=home)
    async with connect(home, project) as session:
        await call(session, "bash", command="sleep 300", run_in_background=True)
        await call(session, "bash", command="sleep 301", run_in_background=True, keep=True)
        await call(session, "bash", command="sleep 302", timeout=0.2)  # moved to the background
        assert all(job.running for job in rt.jobs())
    for job_id in ("bash_1", "bash_3"):
        job = until(lambda j=job_id: rt.job(j) if rt.job(j).status.ended else None, what=job_id)
        assert job.status is JobStatus.KILLED and job.killed_by == "owner-exit"
    assert rt.job("bash_2").running


async def test_jobs_end_when_the_server_is_sigkilled(
    home: Path, project: Path, cli: RunCli
) -> None:
    rt = Runtime(project, home=home)
    async with connect(home, project) as session:
        await call(session, "bash", command="sleep 300 & sleep 300; wait", run_in_background=True)
        owner = listed(cli)["bash_1"]["owner_pid"]
        assert isinstance(owner, int)
        os.kill(owner, signal.SIGKILL)
        job = until(lambda: rt.job("bash_1") if rt.job("bash_1").status.ended else None)
        assert job.status is JobStatus.KILLED and job.killed_by == "owner-exit"


async def test_project_is_passed_through(home: Path, tmp_path: Path, cli: RunCli) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    async with connect(home, elsewhere, "--project", str(other)) as session:
        await call(session, "bash", command="true")
    assert [j.id for j in Runtime(other, home=home).jobs()] == ["bash_1"]
    assert Runtime(elsewhere, home=home).jobs() == []


def test_nothing_but_protocol_on_stdout(home: Path, project: Path) -> None:
    """Raw JSON-RPC in, and every line that comes out is JSON-RPC, even after a bad line."""
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "bash", "arguments": {"command": "echo to-the-pty; print oops"}},
        },
    ]
    server = subprocess.Popen(
        [sys.executable, "-m", "bgview", "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=project,
        env={**os.environ, "BGVIEW_HOME": str(home)},
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        for message in messages:
            server.stdin.write(json.dumps(message) + "\n")
        server.stdin.write("this is not json\n")
        server.stdin.flush()
        replies = []
        while not any(r.get("id") == 2 for r in replies):
            line = server.stdout.readline()
            assert line, "the server closed its stdout before answering"
            replies.append(json.loads(line))  # a line that is not JSON fails here
        server.stdin.close()
        rest = server.stdout.read()
        assert server.wait(timeout=10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    replies += [json.loads(line) for line in rest.splitlines()]
    assert all(r["jsonrpc"] == "2.0" for r in replies)
    text = next(r for r in replies if r.get("id") == 2)["result"]["content"][0]["text"]
    assert text.startswith("to-the-pty\n")
