"""The agent tools and a job's facts: ``bash(..., ready=...)``, ``notify_on``, a foreground
command waiting for input, ``list_shells``; through the handler and through a real MCP client.

Jobs are real commands (a real ``python -m http.server``, a real ``read -p``) in real ptys.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from bgview.agent import ToolHandler
from tests.agent.helpers import ok, until
from tests.agent.test_mcp_server import call, connect
from tests.support import free_port

PY = sys.executable


def gate(path: Path) -> str:
    """Shell that waits until ``path`` exists."""
    return f"while [ ! -e {path} ]; do sleep 0.01; done"


def test_ready_auto_answers_once_a_real_server_is_up(handler: ToolHandler) -> None:
    port = free_port()
    server = f"{PY} -m http.server {port} --bind 127.0.0.1"
    text = ok(handler.call("bash", {"command": server, "ready": "auto", "description": "web"}))
    first, *rest = text.splitlines()
    assert re.fullmatch(rf"bash_1 ready after [\d.]+s: http://127\.0\.0\.1:{port}/ \(web\)", first)
    assert f"  Serving HTTP on 127.0.0.1 port {port}" in rest[0]  # its last lines
    assert 'stop it with kill_shell("bash_1")' in text and "[bg:" not in text
    # The ready notice is not told again; list_shells shows what the job is doing.
    listing = ok(handler.call("list_shells"))
    assert "[bg:bash_1 ready" not in listing
    assert f"running http://127.0.0.1:{port}/" in listing.splitlines()[1]
    pid = handler.runtime.job("bash_1").pid
    # Ready came from the URL it printed; its port is in the facts by the next sampling.
    listening = f"bash_1: listening on 127.0.0.1:{port} (pid {pid})"

    def with_port() -> str | None:
        shown = ok(handler.call("list_shells"))
        return shown if listening in shown else None

    if listening not in listing:
        listing = until(with_port, what="the port in list_shells")
    assert re.search(r"bash_1: 1 process, [\d.]+% CPU, [\d.]+MB resident", listing)
    assert "bash_1: ready after" in listing


def test_ready_on_a_port_of_a_quiet_server(handler: ToolHandler) -> None:
    port = free_port()
    quiet = f"sleep 0.3; {PY} -m http.server {port} --bind 127.0.0.1 >/dev/null 2>&1"
    text = ok(handler.call("bash", {"command": quiet, "ready": str(port)}))
    assert re.match(rf"bash_1 ready after [\d.]+s: port {port}\n", text)
    assert handler.runtime.job("bash_1").facts.ports[0].port == port


def test_ready_says_why_not(handler: ToolHandler, tmp_path: Path) -> None:
    # It ended first: its end is the answer, and is not told again.
    text = ok(handler.call("bash", {"command": "echo boom; exit 2", "ready": "auto"}))
    assert text.startswith("bash_1 ended before it was ready: [bash_1 exited 2, ")
    assert "  boom\n" in text
    assert "[bg:bash_1" not in ok(handler.call("list_shells"))
    # It asks a question first: the answer says so, and how to answer it.
    ask = "read -p 'Port 5173 is in use, try another? (y/N) ' x; sleep 30"
    text = ok(handler.call("bash", {"command": ask, "ready": "auto"}))
    assert text.startswith(
        'bash_2 is waiting for input before it is ready: "Port 5173 is in use, try another? '
        '(y/N)"\n'
    )
    assert 'answer it with write_stdin("bash_2", ...)' in text
    assert "[bg:bash_2 waiting" not in ok(handler.call("list_shells"))
    # The timeout comes: it runs on.
    text = ok(handler.call("bash", {"command": "sleep 30", "ready": "up", "timeout": 0.5}))
    assert text.startswith("bash_3 not ready after 0.5s (waiting for /up/); it is still running\n")
    assert handler.runtime.job("bash_3").running
    # A pattern that is not one is the agent's to fix.
    bad = handler.call("bash", {"command": "true", "ready": "("})
    assert bad.is_error and bad.text.startswith("bash: invalid ready regex '('")


def test_notify_on_comes_with_the_next_result(handler: ToolHandler, tmp_path: Path) -> None:
    go = tmp_path / "go"
    command = f"echo fine; {gate(go)}; echo 'ERROR: disk full'; sleep 30"
    text = ok(
        handler.call("bash", {"command": command, "run_in_background": True, "notify_on": "ERROR"})
    )
    assert text.startswith("started bash_1")
    go.touch()
    told: list[str] = []
    until(
        lambda: told.append(ok(handler.call("list_shells"))) or "matched" in told[-1],
        what="the match notice",
    )
    assert told[-1].count("[bg:bash_1 matched /ERROR/: ERROR: disk full]") == 1
    assert "matched" not in ok(handler.call("list_shells"))
    assert "bash_1: watching /ERROR/: 1 matches" in ok(handler.call("list_shells"))


def test_a_foreground_command_waiting_for_input_comes_back(handler: ToolHandler) -> None:
    started = time.monotonic()
    text = ok(handler.call("bash", {"command": "read -p 'Name? ' n; echo hello $n", "timeout": 60}))
    assert time.monotonic() - started < 15  # not the 60 s timeout
    assert '[bash_1 is waiting for input: "Name?". It runs on in the background' in text
    assert "[bg:bash_1 waiting" not in ok(handler.call("list_shells"))
    read = ok(handler.call("bash_output", {"shell_id": "bash_1"}))
    assert '; waiting for input: "Name?": answer with write_stdin]' in read
    ok(handler.call("write_stdin", {"shell_id": "bash_1", "text": "ada\n"}))
    out = ok(handler.call("bash_output", {"shell_id": "bash_1", "wait_seconds": 10}))
    until(lambda: handler.runtime.job("bash_1").status.ended, what="the job to end")
    out += ok(handler.call("bash_output", {"shell_id": "bash_1"}))
    assert "hello ada" in out


async def test_ready_through_a_real_mcp_client(home: Path, project: Path) -> None:
    port = free_port()
    server = f"{PY} -m http.server {port} --bind 127.0.0.1"
    async with connect(home, project) as session:
        text = await call(session, "bash", command=server, ready="auto")
        assert text.startswith("bash_1 ready after ")
        assert text.splitlines()[0].endswith(f": http://127.0.0.1:{port}/")
        listing = await call(session, "list_shells")
        assert f"bash_1: listening on 127.0.0.1:{port}" in listing
        assert "[bg:bash_1 ready" not in listing
