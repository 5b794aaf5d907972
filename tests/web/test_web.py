"""``bgview serve``: the viewer in a real headless Chromium, and the token that keeps others out.

Every test starts the real command in a temporary store, as a user would. The browser test
reads the terminal the page draws (see ``conftest``), clicks a row and presses ``k``.
``BGVIEW_WEB_SCREENSHOT=screenshots/web.png`` also saves its picture there (the README's).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import aiohttp

from bgview.runtime import JobStatus, Runtime
from tests.conftest import RunCli
from tests.support import until
from tests.web.conftest import Page, Served, alive

Serve = Callable[..., Served]


def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    """The HTTP status ``url`` answers with."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_page_shows_the_jobs_and_k_kills_the_selected_one(
    cli: RunCli, serve: Serve, page: Page, rt: Runtime, tmp_path: Path
) -> None:
    done = cli("run", "echo built in 0.4s").stdout.strip()
    until(lambda: rt.job(done).status.ended, what="the first job to end")
    job_id = cli("run", "sleep 300").stdout.strip()
    served = serve()
    page.driver.get(served.url)
    page.wait_for(job_id, "sleep 300", "running", "1 Background Job", timeout=30)
    page.focus()
    page.wait_for("k Kill")  # the footer offers the keys of the selected row
    row = page.row_of(job_id)
    assert page.background(row) != page.background(row + 1)  # its row is the table's cursor
    picture = tmp_path / "web.png"
    assert page.driver.save_screenshot(str(picture))
    assert picture.read_bytes().startswith(b"\x89PNG")
    if wanted := os.environ.get("BGVIEW_WEB_SCREENSHOT"):
        shutil.copyfile(picture, wanted)
    page.press("k")
    job = until(lambda: (j := rt.job(job_id)).status.ended and j, timeout=10, what="the kill")
    assert job.status is JobStatus.KILLED and job.killed_by == "user"
    page.wait_for("killed", "0 Background Jobs")


def test_nothing_is_served_without_the_token(serve: Serve) -> None:
    served = serve()
    token, origin = served.token, served.origin
    wrong = "x" * len(token)
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    for path in (
        "/",  # the page, the websocket, the static files and downloads, without a token
        "/ws",
        "/static/js/textual.js",
        "/download/key",
        f"/{wrong}/",  # a wrong token, of the right length and not
        f"/{wrong}/static/js/textual.js",
        f"/{token[:-1]}/",  # the token less its last character, or with one more
        f"/{token}x/",
        f"/{token.lower()}/",
    ):
        assert status_of(origin + path) == 403, path
    assert status_of(f"{origin}/ws", upgrade) == 403
    assert status_of(f"{origin}/{wrong}/ws", upgrade) == 403
    # With it, the page and its files are served, and the page may reach only its server.
    assert status_of(f"{served.url}static/js/textual.js") == 200
    with urllib.request.urlopen(served.url, timeout=5) as response:
        assert response.status == 200
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert f"ws://127.0.0.1:{served.url.split(':')[2].split('/')[0]}/{token}/ws" in (
            response.read().decode()
        )


def listening(port: int) -> list[str]:
    """The local addresses (hex, as /proc/net has them) listening on TCP ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                found.append(local.rsplit(":", 1)[0])
    return found


def test_it_listens_on_127_0_0_1_only_and_prints_one_url(serve: Serve) -> None:
    served = serve()
    assert served.url.startswith("http://127.0.0.1:")
    port = int(served.url.split(":")[2].split("/")[0])
    assert listening(port) == ["0100007F"]  # 127.0.0.1, and nothing else
    assert len(served.token) >= 40
    assert "127.0.0.1 only" in served.note
    second = serve()
    assert second.token != served.token and second.url != served.url


def test_host_elsewhere_still_needs_the_token_and_says_so(serve: Serve) -> None:
    with socket.socket() as probe:  # a port known to be free: then --port must give it
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    served = serve("--host", "127.0.0.2", "--port", str(port))
    assert served.url.startswith(f"http://127.0.0.2:{port}/")
    assert "token" in served.note and "127.0.0.2" in served.note
    assert status_of(f"http://127.0.0.2:{port}/") == 403
    assert status_of(served.url) == 200


def test_a_port_in_use_is_one_line_and_exit_2(cli: RunCli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = cli("serve", "--port", str(taken.getsockname()[1]), timeout=20)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "in use" in result.stderr


class Session:
    """A browser session without the browser: the websocket, once the viewer has drawn."""

    def __init__(self, served: Served) -> None:
        self.url = f"{served.url.replace('http', 'ws', 1)}ws?width=100&height=30"

    async def __aenter__(self) -> Session:
        self.http = aiohttp.ClientSession()
        self.ws = await self.http.ws_connect(self.url)
        while True:
            message = await self.ws.receive(timeout=30)
            if message.type is aiohttp.WSMsgType.BINARY and b"Background Job" in message.data:
                return self

    async def closed(self) -> bool:
        """Whether the server closes the websocket (within 10 s), what it still draws aside."""
        while True:
            message = await self.ws.receive(timeout=10)
            if message.type is not aiohttp.WSMsgType.BINARY:
                return message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()
        await self.http.close()


def test_ctrl_c_ends_the_server_and_every_viewer_it_started(cli: RunCli, serve: Serve) -> None:
    cli("run", "sleep 300")
    served = serve()

    async def scenario() -> tuple[list[int], int, str]:
        async with Session(served) as one, Session(served) as two:
            viewers = served.sessions()
            served.process.send_signal(signal.SIGINT)  # Ctrl+C
            assert await one.closed() and await two.closed()
            code, said = await asyncio.to_thread(served.stop)
        return viewers, code, said

    viewers, code, said = asyncio.run(scenario())
    assert len(viewers) == 2
    assert code == 0, said
    assert "Traceback" not in said and "Error" not in said, said
    assert not [pid for pid in viewers if alive(pid)]  # gone before the server was


def test_a_server_killed_outright_takes_its_viewers_with_it(serve: Serve) -> None:
    served = serve()

    async def scenario() -> list[int]:
        async with Session(served):
            viewers = served.sessions()
            served.process.kill()
            served.process.wait()
        return viewers

    viewers = asyncio.run(scenario())
    assert len(viewers) == 1
    until(lambda: not alive(viewers[0]), timeout=5, what="the viewer to end with its server")
