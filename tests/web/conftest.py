"""Fixtures for the web view's tests: a real ``bgview serve`` and a real headless Chromium.

Chromium and its driver come from Debian's packages (``make test`` installs them when
``/usr/bin/chromium`` is missing) and are driven through Selenium with the system's
chromedriver: nothing is downloaded while the tests run, and the browser is told to reach for
no network of its own. The page's terminal is drawn on a canvas, so its text is read the way
the browser gets it: a script added before the page's own tees the websocket's frames, and
pyte plays them on a screen of the size the page asked for.
"""

from __future__ import annotations

import base64
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pyte
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1200, 640)
TEE = """
(() => {
  const Plain = window.WebSocket;
  const tee = {received: [], sent: []};
  window.__bgviewTee = tee;
  window.WebSocket = class extends Plain {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (typeof event.data !== "string") tee.received.push(new Uint8Array(event.data));
      });
    }
    send(data) { tee.sent.push(data); super.send(data); }
  };
})();
"""
TAKE = """
const tee = window.__bgviewTee;
let text = "";
for (const chunk of tee.received.splice(0)) {
  for (let i = 0; i < chunk.length; i += 8192) {
    text += String.fromCharCode.apply(null, chunk.subarray(i, i + 8192));
  }
}
return [btoa(text), tee.sent];
"""


@dataclass
class Served:
    """A running ``bgview serve``: its process, the URL it printed, what it said on stderr."""

    process: subprocess.Popen[bytes]
    url: str
    note: str

    @property
    def token(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[1]

    @property
    def origin(self) -> str:
        return self.url.split("/" + self.token, 1)[0]

    def sessions(self) -> list[int]:
        """The viewer processes it started: its children."""
        return children(self.process.pid)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10.0) -> tuple[int, str]:
        """Send ``sig`` (Ctrl+C), wait for the exit: its status and the rest of its stderr."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"bgview serve still ran {timeout}s after {sig!r}") from None
        assert self.process.stderr is not None
        return code, self.note + self.process.stderr.read().decode(errors="replace")


def children(pid: int) -> list[int]:
    """The live children of ``pid``, from /proc (zombies run nothing)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = raw[raw.rfind(b")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != b"Z":
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return raw[raw.rfind(b")") + 2 :].split()[0] != b"Z"


@pytest.fixture
def serve(home: Path, project: Path) -> Iterator[Callable[..., Served]]:
    """Start ``bgview serve ARGS...`` in the project, as a user would; it is stopped after."""
    started: list[Served] = []

    def start(*args: str) -> Served:
        env = {**os.environ, "BGVIEW_HOME": str(home)}
        process = subprocess.Popen(
            [sys.executable, "-m", "bgview", "serve", *args],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        url = _line(process, process.stdout, 15.0)
        note = _line(process, process.stderr, 5.0)
        served = Served(process, url.strip(), note)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()
        for stream in (served.process.stdout, served.process.stderr):
            if stream is not None:
                stream.close()


def _line(process: subprocess.Popen[bytes], stream: IO[bytes], timeout: float) -> str:
    """One line from the process's ``stream``, within ``timeout``."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError(f"bgview serve printed nothing in {timeout}s")
    line = stream.readline().decode()
    if not line:
        err = b"" if process.stderr is None else process.stderr.read()
        raise AssertionError(f"bgview serve ended: {err.decode(errors='replace')}")
    return line


@dataclass
class Page:
    """The browser on the web view: what its terminal shows, keys and clicks."""

    driver: webdriver.Chrome
    stream: bytes = b""
    size: tuple[int, int] = (80, 24)
    screen: pyte.Screen = field(init=False)

    def __post_init__(self) -> None:
        self.screen = pyte.Screen(*self.size)
        self._feed = pyte.ByteStream(self.screen)

    def text(self) -> str:
        """The terminal's screen now, as its lines joined."""
        received, sent = self.driver.execute_script(TAKE)  # every message the page sent
        for message in sent:
            kind, *data = json.loads(message)
            size = (data[0]["width"], data[0]["height"]) if kind == "resize" else self.size
            if size != self.size:
                self.size = size
                self.screen.resize(self.size[1], self.size[0])
        self._feed.feed(base64.b64decode(received))
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, *words: str, timeout: float = 15.0) -> str:
        """The screen once it shows every one of ``words``."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if all(word in text for word in words):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"the page never showed {words}; it shows:\n{text}")
            time.sleep(0.05)

    def row_of(self, word: str) -> int:
        """The screen row that shows ``word``."""
        for row, line in enumerate(self.screen.display):
            if word in line:
                return row
        raise AssertionError(f"{word!r} is not on the screen")

    def focus(self) -> None:
        """Give the terminal the keyboard, as clicking into the page would (a click on the job
        table would also open the row it lands on)."""
        self.driver.execute_script("document.querySelector('.xterm-helper-textarea').focus()")

    def background(self, row: int) -> str:
        """The background colour of screen row ``row`` (of its first cell)."""
        return str(self.screen.buffer[row][0].bg)

    def press(self, keys: str) -> None:
        """Type ``keys`` into the focused terminal."""
        from selenium.webdriver import ActionChains

        ActionChains(self.driver).send_keys(keys).perform()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a fresh profile, that reaches for no network of its own."""
    for path in (CHROMIUM, CHROMEDRIVER):
        assert path.exists(), f"{path} is missing: `make test` installs chromium and its driver"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(flag)
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TEE})
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: webdriver.Chrome) -> Page:
    return Page(browser)
