"""A terminal for end-to-end tests: the real ``bgview`` (the viewer, or ``bgview shell``) in a
pty (pexpect), its output read into a screen (pyte) as a terminal would show it.

The screen answers cursor-position requests as a real terminal does (prompt_toolkit asks) and
keeps an alternate screen (Textual draws there), so that "the screen as it was" after the
viewer closes can be checked.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pyte

ALT_SCREEN = 1049 << 5  # pyte's numbering of the private mode ?1049


class Screen(pyte.Screen):  # type: ignore[misc]
    """A pyte screen with the alternate screen and answers sent back to the program."""

    def __init__(self, cols: int, rows: int, reply: Callable[[str], None]) -> None:
        super().__init__(cols, rows)
        self._reply = reply
        self._saved: tuple[Any, Any] | None = None
        self.alternate = False

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private") and 1049 in modes and not self.alternate:
            self._saved = (copy.deepcopy(self.buffer), copy.copy(self.cursor))
            self.alternate = True
            self.erase_in_display(2)
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private") and 1049 in modes and self.alternate and self._saved:
            self.buffer, self.cursor = self._saved
            self.dirty.update(range(self.lines))
            self.alternate = False
        super().reset_mode(*modes, **kwargs)

    def write_process_input(self, data: str) -> None:
        self._reply(data)


class Term:
    """``bgview shell`` (or any program) in a pty of ``cols``×``rows``."""

    def __init__(
        self,
        argv: list[str],
        *,
        cwd: Path,
        home: Path,
        cols: int = 100,
        rows: int = 30,
    ) -> None:
        env = {**os.environ, "BGVIEW_HOME": str(home), "TERM": "xterm-256color"}
        # What would change what is drawn: a size from the environment, no colour, a theme.
        for var in ("COLUMNS", "LINES", "NO_COLOR", "TEXTUAL_THEME"):
            env.pop(var, None)
        self.child = pexpect.spawn(
            argv[0], argv[1:], cwd=str(cwd), env=env, dimensions=(rows, cols), echo=False
        )
        self.screen = Screen(cols, rows, lambda data: self.child.send(data.encode()))
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""
        """Every byte the program wrote."""
        self.ended = False

    @classmethod
    def shell(cls, home: Path, project: Path, **kwargs: Any) -> Term:
        """``bgview shell`` in ``project``."""
        return cls([sys.executable, "-m", "bgview", "shell"], cwd=project, home=home, **kwargs)

    @property
    def pid(self) -> int:
        pid: int = self.child.pid
        return pid

    def pump(self, timeout: float = 0.02) -> None:
        """Feed what the program wrote so far to the screen."""
        while not self.ended:
            try:
                data: bytes = self.child.read_nonblocking(65536, timeout)
            except pexpect.TIMEOUT:
                return
            except pexpect.EOF:
                self.ended = True
                return
            self.raw += data
            self.stream.feed(data)
            timeout = 0

    def lines(self) -> list[str]:
        self.pump(0)
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(self, what: str | Callable[[list[str]], bool], timeout: float = 10.0) -> list[str]:
        """Wait until ``what`` is on the screen (or the predicate holds); the screen's lines."""
        check = (
            (lambda lines: any(what in line for line in lines)) if isinstance(what, str) else what
        )
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            lines = self.lines()
            if check(lines):
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what!r}; screen:\n" + "\n".join(lines)
                )

    def row(self, text: str) -> int:
        """The last row showing ``text``."""
        rows = [i for i, line in enumerate(self.lines()) if text in line]
        assert rows, f"{text!r} not on screen:\n{self.text()}"
        return rows[-1]

    def prompt_row(self) -> int:
        return self.row("❯")

    def send(self, data: str) -> None:
        """Type ``data`` (keys as the terminal sends them: ``"\\x1b"`` is esc)."""
        self.child.send(data.encode())

    press = send

    def run(self, command: str) -> None:
        """Type a command and press enter."""
        self.send(command + "\r")

    def wait_prompt(self, count: int, timeout: float = 10.0) -> list[str]:
        """Wait for the ``count``-th prompt line (an empty one) to be on screen."""
        return self.wait_for(
            lambda lines: (
                sum("❯" in line for line in lines) >= count
                and lines[max(i for i, line in enumerate(lines) if "❯" in line)].endswith("❯")
            ),
            timeout,
        )

    def wait_exit(self, timeout: float = 15.0) -> int | None:
        deadline = time.monotonic() + timeout
        while not self.ended and time.monotonic() < deadline:
            self.pump(0.05)
        self.child.close()
        status: int | None = self.child.exitstatus
        return status

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
