"""A program in a real pty, for the viewer's benchmarks: when did a piece of text reach the
terminal, and how much memory does the program hold.

A reader thread drains the pty as a terminal would and, after every chunk, looks for the texts
a benchmark is waiting for in the stream with escape sequences removed (a styled line arrives as
text split by colour codes). The time recorded is when the chunk holding the text was read:
when a real terminal would have drawn it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b."
)
_WINDOW = 256 * 1024
"""How much of the recent stream is searched for a text (a full redraw is far smaller)."""


class PtyTerm:
    """``argv`` running in a ``cols``×``rows`` pty."""

    def __init__(
        self,
        argv: list[str],
        *,
        env: dict[str, str],
        cwd: Path,
        cols: int = 120,
        rows: int = 40,
        expect: tuple[str, ...] = (),
    ) -> None:
        """``expect``: texts to look for from the very first byte (see :meth:`expect`)."""
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self._tail = b""
        self._wanted: dict[bytes, float | None] = {text.encode(): None for text in expect}
        self._cond = threading.Condition()
        self.bytes_read = 0
        env = {**env, "TERM": "xterm-256color"}
        for var in ("COLUMNS", "LINES", "NO_COLOR", "TEXTUAL_THEME"):
            env.pop(var, None)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 1 << 16)
            except OSError:
                chunk = b""
            now = time.perf_counter()
            with self._cond:
                if not chunk:
                    self._cond.notify_all()
                    return
                self.bytes_read += len(chunk)
                self._tail = (self._tail + chunk)[-_WINDOW:]
                if any(seen is None for seen in self._wanted.values()):
                    text = _ESCAPES.sub(b"", self._tail)
                    for want, seen in self._wanted.items():
                        if seen is None and want in text:
                            self._wanted[want] = now
                    self._cond.notify_all()

    def expect(self, text: str) -> None:
        """Start looking for ``text`` (before causing it, so no arrival is missed)."""
        with self._cond:
            self._wanted[text.encode()] = None
            self._tail = b""  # only what arrives from now on counts

    def seen(self, text: str, timeout: float) -> float | None:
        """When ``text`` arrived (``perf_counter``), or ``None`` if not within ``timeout``."""
        key = text.encode()
        deadline = time.perf_counter() + timeout
        with self._cond:
            while self._wanted.get(key) is None:
                left = deadline - time.perf_counter()
                if left <= 0 or not self._thread.is_alive():
                    return self._wanted.pop(key, None)
                self._cond.wait(left)
            return self._wanted.pop(key)

    def send(self, data: str) -> None:
        os.write(self.master, data.encode())

    def rss_mb(self) -> tuple[float, float]:
        """``(resident now, peak resident)`` in MB."""
        fields: dict[str, float] = {}
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0]) / 1024
        except FileNotFoundError:
            return 0.0, 0.0
        return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)

    def close(self, keys: str = "") -> None:
        """Ask it to quit with ``keys``, then make sure it is gone."""
        if keys and self.proc.poll() is None:
            self.send(keys)
            with contextlib.suppress(subprocess.TimeoutExpired):  # killed just below
                self.proc.wait(5)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        os.close(self.master)
        self._thread.join(2)
