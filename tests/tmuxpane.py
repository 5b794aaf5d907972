"""A real tmux pane for tests: a tmux server of its own (its socket in the test's directory, no
config), a program in a pane, keys sent as a person types them, the screen as tmux draws it,
and every byte the program wrote to the pane (``pipe-pane -O``): what tmux received.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from tests.support import until


class TmuxPane:
    """One tmux session with one pane running ``command``; :meth:`close` ends the server."""

    def __init__(
        self,
        directory: Path,
        command: str,
        *,
        env: Mapping[str, str],
        cols: int = 120,
        rows: int = 30,
        options: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.base = ["tmux", "-S", str(directory / "tmux.socket"), "-f", "/dev/null"]
        self.received = directory / "pane-output.bin"
        # The server takes its environment from the client that starts it: the pane's too.
        size = ["-x", str(cols), "-y", str(rows)]
        self._tmux("new-session", "-d", *size, "-s", "test", command, env=env)
        for name, value in options:  # before the program can have written anything they change
            self._tmux("set-option", "-g", name, value)
        # Every byte the program writes to the pane, as tmux receives it, before tmux parses it.
        self._tmux("pipe-pane", "-O", "-t", "test", f"cat >> {shlex.quote(str(self.received))}")

    def _tmux(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        done = subprocess.run(
            [*self.base, *args],
            capture_output=True,
            text=True,
            timeout=10,
            env=dict(env) if env is not None else None,
        )
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    def send(self, *keys: str, literal: bool = False) -> None:
        """Keys as tmux names them (``Tab``, ``Enter``, ``C-c``), or text with ``literal``."""
        self._tmux("send-keys", "-t", "test", *(["-l"] if literal else []), "--", *keys)

    def send_bytes(self, data: bytes) -> None:
        """Bytes as a terminal would send them to the program (a focus report, say)."""
        self._tmux("send-keys", "-t", "test", "-H", *(f"{b:02x}" for b in data))

    def type(self, text: str) -> None:
        self.send(text, literal=True)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "test")

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 15.0) -> str:
        """The screen once ``check`` holds for it."""

        def holds() -> str | None:
            screen = self.screen()
            return screen if check(screen) else None

        return until(holds, timeout, what)

    def output(self) -> bytes:
        """What the program has written to the pane so far."""
        try:
            return self.received.read_bytes()
        except FileNotFoundError:
            return b""

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=10)
