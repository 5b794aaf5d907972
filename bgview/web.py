"""``bgview serve``: the viewer in a browser, through textual-serve.

Each browser session gets its own viewer process — the same app and the same keys as in a
terminal — run by textual-serve behind an aiohttp server. A job's output holds secrets (tokens,
passwords typed into prompts), so:

* it binds to 127.0.0.1 unless ``--host`` says otherwise, and says so when it does;
* every URL is under a random path segment (``secrets.token_urlsafe``): the page, its
  websocket and its static files. A request without it, or with a wrong one, is answered 403
  by a middleware before any route runs. The token is in the path, not in a cookie: cookies are
  shared by every port of a host, so any other local web server the browser visits would be
  sent it;
* the page may load nothing from elsewhere (its Content-Security-Policy: textual-serve's
  template asks Google for a font), is never framed, sends no referrer, and nothing of it is
  cached; aiohttp's access log, which would print the token, is off.

Ctrl+C (or SIGTERM) asks every viewer to quit, as closing its tab would, then stops the
server. Each viewer also dies with the server should the server be killed outright
(``PR_SET_PDEATHSIG``): its input is a pipe from the server, and nothing else would end it.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import hmac
import os
import secrets
import shlex
import signal
import socket
import sys
from typing import TYPE_CHECKING, Any, Protocol

from bgview.runtime.errors import BgviewError

if TYPE_CHECKING:
    from aiohttp import web
    from aiohttp.typedefs import Handler

LOOPBACK = "127.0.0.1"
SESSION_QUIT_WAIT = 5.0
"""Seconds the viewers get to quit once the server is asked to stop."""
_PR_SET_PDEATHSIG = 1
_HEADERS = {
    # 'self' also covers the websocket back to this host and port (CSP level 3).
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
REFUSED = "bgview serve: this needs the URL it printed, token and all\n"


def session_command(server_pid: int, project: str | None, all_projects: bool) -> str:
    """The shell command textual-serve runs for each browser session: this module's
    :func:`session`, which becomes the viewer (``exec``: no shell is left in between)."""
    argv = [sys.executable, "-m", "bgview.web", "--parent", str(server_pid)]
    if project is not None:
        argv += ["--project", project]
    if all_projects:
        argv.append("--all")
    return "exec " + shlex.join(argv)


def session(argv: list[str]) -> int:
    """One browser session's viewer: ``bgview`` itself, ended with the server that started it."""
    parser = argparse.ArgumentParser(prog="bgview.web")
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--project")
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)
    # SIGTERM when the server dies, however it dies; Textual's web driver takes SIGTERM as
    # "quit". Set after fork, so a server gone already is checked for by hand.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != args.parent:
        return 0
    from bgview.ui import run_viewer

    return run_viewer(project=args.project, all_projects=args.all)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: a free port); a clear error if it cannot be."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise BgviewError(f"--host {host}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise BgviewError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(False)
    return sock


def public_url(sock: socket.socket, host: str, token: str) -> str:
    """The one URL to open: the bound address (this machine's name for a wildcard), the token."""
    port = sock.getsockname()[1]
    shown = socket.gethostname() if host in ("", "0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/{token}/"


def serve(
    *,
    project: str | None = None,
    all_projects: bool = False,
    port: int = 0,
    host: str = LOOPBACK,
) -> int:
    """``bgview serve``: serve the viewer until Ctrl+C or SIGTERM; returns the exit status."""
    if not 0 <= port <= 65535:
        raise BgviewError(f"--port {port}: a port is 0 (any free one) to 65535")
    if project is not None:  # every session must mean the same directory
        project = os.path.abspath(os.path.expanduser(project))
    token = secrets.token_urlsafe(32)
    sock = bind(host, port)
    url = public_url(sock, host, token)
    command = session_command(os.getpid(), project, all_projects)
    print(url, flush=True)
    if host == LOOPBACK:
        where = f"on {LOOPBACK} only (this machine); Ctrl+C stops it"
    else:
        where = (
            f"on {host}: anyone who can reach it and has this URL sees every job's output — "
            "the token in it is what keeps others out; Ctrl+C stops it"
        )
    print(f"bgview: serving the viewer {where}", file=sys.stderr, flush=True)
    try:
        asyncio.run(_run(sock, token, command))
    finally:
        sock.close()
    return 0


async def _run(sock: socket.socket, token: str, command: str) -> None:
    from aiohttp import web

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = _make_server(command, token)
    runner = web.AppRunner(
        await server.make_root(), handle_signals=False, access_log=None, shutdown_timeout=2.0
    )
    await runner.setup()
    await web.SockSite(runner, sock, shutdown_timeout=2.0).start()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


class _Served(Protocol):
    async def make_root(self) -> web.Application:
        """The aiohttp application to run: every route under the token."""
        ...


def _make_server(command: str, token: str) -> _Served:
    """textual-serve's ``Server``, with every route under the token and sessions ended on
    shutdown. Built here so that importing this module costs nothing until ``serve`` runs."""
    import aiohttp_jinja2
    from aiohttp import web
    from textual_serve.server import Server, to_int

    class TokenServer(Server):
        """The routes of textual-serve (``/``, ``/ws``, ``/static``, ``/download``) mounted
        under ``/<token>``, behind a middleware that refuses every other path."""

        def __init__(self) -> None:
            super().__init__(command, host=LOOPBACK, port=0, title="bgview")
            self.token = token.encode()
            self.sessions: set[asyncio.Task[Any]] = set()

        async def make_root(self) -> web.Application:
            root = web.Application(middlewares=[self.guard])
            root.add_subapp(f"/{token}", await self._make_app())
            root.on_response_prepare.append(_secure_headers)
            root.on_shutdown.append(self.end_sessions)
            return root

        @web.middleware
        async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
            """403 unless the path's first segment is the token (compared in constant time)."""
            segment = request.rel_url.raw_path.split("/", 2)[1]
            if not hmac.compare_digest(segment.encode("utf-8", "surrogateescape"), self.token):
                raise web.HTTPForbidden(text=REFUSED)
            return await handler(request)

        async def on_startup(self, app: web.Application) -> None:
            """textual-serve prints a banner and its URL (without the token) here: not us."""

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request: web.Request) -> dict[str, Any]:
            """textual-serve's page, its URLs taken from the request's own host rather than a
            configured one (``--host 0.0.0.0`` is reached under many names)."""
            router = request.app.router
            base = f"{request.host}{router['websocket'].url_for()}"
            static = router["static"].url_for(filename="/")
            return {
                "font_size": to_int(request.query.get("fontsize", "16"), 16),
                "app_websocket_url": f"ws://{base}",
                "config": {"static": {"url": f"http://{request.host}{static}".rstrip("/") + "/"}},
                "application": {"name": "bgview"},
            }

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """One browser session; remembered so that shutdown can end it."""
            task = asyncio.current_task()
            assert task is not None
            self.sessions.add(task)
            try:
                response: web.WebSocketResponse = await super().handle_websocket(request)
                return response
            finally:
                self.sessions.discard(task)

        async def end_sessions(self, app: web.Application) -> None:
            """Cancel every session: textual-serve then asks its viewer to quit and waits
            for it to go."""
            tasks = list(self.sessions)
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=SESSION_QUIT_WAIT)

    return TokenServer()


async def _secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(_HEADERS)


if __name__ == "__main__":
    sys.exit(session(sys.argv[1:]))
