"""The real ``bgview`` in a pty (pexpect), read into a screen (pyte) as a terminal shows it.

The screen keeps the alternate screen apart (Textual draws there) so a test can check that
quitting gives back the terminal exactly as it was.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path
from typing import Any

import pexpect
import pyte


class Screen(pyte.Screen):  # type: ignore[misc]
    """A pyte screen with the alternate screen (private mode 1049)."""

    def __init__(self, cols: int, rows: int) -> None:
        super().__init__(cols, rows)
        self._saved: Any = None
        self.alternate = False

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private") and 1049 in modes and not self.alternate:
            self._saved = (copy.deepcopy(self.buffer), copy.copy(self.cursor))
            self.alternate = True
            self.erase_in_display(2)
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private") and 1049 in modes and self.alternate:
            self.buffer, self.cursor = self._saved
            self.dirty.update(range(self.lines))
            self.alternate = False
        super().reset_mode(*modes, **kwargs)


class Term:
    """A command in a pty of ``cols``×``rows``, its screen kept up to date on demand."""

    def __init__(self, argv: list[str], *, cwd: Path, home: Path, cols: int = 120, rows: int = 36):
        env = {**os.environ, "BGVIEW_HOME": str(home), "TERM": "xterm-256color"}
        for var in ("NO_COLOR", "TEXTUAL_THEME", "COLUMNS", "LINES"):
            env.pop(var, None)
        self.child = pexpect.spawn(
            argv[0], argv[1:], cwd=str(cwd), env=env, dimensions=(rows, cols), echo=False
        )
        self.screen = Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)

    @classmethod
    def bgview(cls, *args: str, cwd: Path, home: Path, **kwargs: Any) -> Term:
        return cls([sys.executable, "-m", "bgview", *args], cwd=cwd, home=home, **kwargs)

    def pump(self) -> None:
        """Feed whatever the program wrote so far into the screen."""
        while not self.child.closed:
            try:
                data = self.child.read_nonblocking(65536, timeout=0.02)
            except pexpect.TIMEOUT:
                return
            except pexpect.EOF:
                return
            self.stream.feed(data)

    def text(self) -> str:
        self.pump()
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, needle: str, timeout: float = 15.0) -> str:
        """The screen once it shows ``needle``; fails with the screen if it never does."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if needle in text:
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} never appeared; the screen:\n{text}")

    def press(self, keys: str) -> None:
        self.child.send(keys.encode())

    def wait_exit(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while self.child.isalive():
            self.pump()
            if time.monotonic() > deadline:
                raise AssertionError("the program did not exit")
        self.pump()
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
