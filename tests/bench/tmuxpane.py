"""A program in a tmux pane, for the viewer's benchmarks: when did a piece of text show on the
pane's screen, as tmux draws it.

Each pane has a tmux server of its own (its own socket), and one control-mode client
(``tmux -C``) that asks for the pane's screen (``capture-pane -p``) over a pipe: no process is
started per look, so a look takes well under a millisecond and the same harness measures every
program alike. The time recorded for a text is when the look that first found it was asked
for.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path
from typing import IO

POLL_GAP = 0.0005
"""Seconds between two looks at the screen while waiting for a text."""


class TmuxPane:
    """``argv`` running in a ``cols``×``rows`` tmux pane."""

    _count = 0

    def __init__(
        self, argv: list[str], *, env: dict[str, str], cwd: Path, cols: int = 120, rows: int = 40
    ) -> None:
        TmuxPane._count += 1
        self.socket = f"bgview-bench-{os.getpid()}-{TmuxPane._count}"
        env = {k: v for k, v in env.items() if k not in ("TMUX", "COLUMNS", "LINES", "NO_COLOR")}
        self._tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "bench",
            "-x",
            str(cols),
            "-y",
            str(rows),
            shlex.join(argv),
            env=env,
            cwd=cwd,
        )
        self.started = time.perf_counter()
        self._tmux("set-option", "-g", "remain-on-exit", "off")
        self._ctl = subprocess.Popen(
            ["tmux", "-L", self.socket, "-C", "attach-session", "-f", "no-output", "-t", "bench"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self._ctl.stdin is not None and self._ctl.stdout is not None
        self._in: IO[bytes] = self._ctl.stdin
        self._out: IO[bytes] = self._ctl.stdout

    def _tmux(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, *args],
            env=env,
            cwd=cwd,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def screen(self) -> str:
        """The pane's screen now, as text."""
        self._in.write(b"capture-pane -p -t bench\n")
        self._in.flush()
        lines: list[bytes] = []
        inside = False
        while True:
            line = self._out.readline()
            if not line:
                raise RuntimeError("the tmux client went away")
            if not inside:
                inside = line.startswith(b"%begin")
                continue  # notifications between replies (a session changed...)
            if line.startswith((b"%end", b"%error")):
                return b"".join(lines).decode(errors="replace")
            lines.append(line)

    def seen(self, text: str, timeout: float) -> float | None:
        """When ``text`` was first found on the screen (``time.perf_counter()``), looking for
        at most ``timeout`` seconds."""
        deadline = time.perf_counter() + timeout
        while True:
            asked = time.perf_counter()
            if text in self.screen():
                return asked
            if asked > deadline:
                return None
            time.sleep(POLL_GAP)

    def send(self, keys: str) -> None:
        """Type ``keys`` (tmux key names: ``q``, ``C-c``)."""
        self._tmux("send-keys", "-t", "bench", keys)

    def close(self, keys: str) -> None:
        """Type ``keys`` to quit, then end the pane's tmux server whatever the program did."""
        try:
            self.send(keys)
            time.sleep(0.3)
        except subprocess.CalledProcessError:
            pass  # the program (and its session) ended already
        self._ctl.kill()
        self._ctl.wait()
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # tmux leaves the socket of a server whose last session ended behind: it is ours alone.
        tmpdir = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
        (tmpdir / self.socket).unlink(missing_ok=True)
