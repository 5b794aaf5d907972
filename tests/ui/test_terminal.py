"""The viewer in a real terminal (tmux, the reference), where only what reached the terminal
counts: a widget that was not repainted keeps its old lines on screen."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import until
from tests.ui.store_builder import StoreBuilder

BAR = re.compile(r" ?bash_\d+ · ")
"""The log pane's bar: ``bash_3 · 1.4MB · ended``."""
KEY_REPEAT = 0.035
"""Seconds between two presses of a held arrow key (a typical key-repeat rate)."""
LOG_LINES = 60_000
"""Past the log view's first window (4 MB): each log opens at its tail, as big logs do."""

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


class Tmux:
    """One tmux server of our own (its socket in ``where``: nothing left in /tmp), one window
    of ``cols``×``rows``."""

    def __init__(self, where: Path, cols: int, rows: int) -> None:
        self.base = ["tmux", "-S", str(where / "tmux.sock"), "-f", "/dev/null"]
        self.size = (str(cols), str(rows))

    def start(self, command: str, cwd: Path) -> None:
        cols, rows = self.size
        subprocess.run(
            [*self.base, "new-session", "-d", "-s", "t", "-x", cols, "-y", rows, "-c", str(cwd)],
            check=True,
        )
        subprocess.run([*self.base, "send-keys", "-t", "t", command, "Enter"], check=True)

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.base, "send-keys", "-t", "t", *keys], check=True)

    def screen(self) -> list[str]:
        out = subprocess.run(
            [*self.base, "capture-pane", "-p", "-t", "t"], capture_output=True, text=True
        )
        return out.stdout.splitlines()

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    term = Tmux(tmp_path, 120, 40)
    yield term
    term.close()


def same_length_log(n: int) -> bytes:
    """Every job's log as long as the others: only the text tells them apart."""
    return b"".join(f"job-{n} line {i:05d} ".encode() + b"x" * 60 + b"\n" for i in range(LOG_LINES))


def pane(lines: list[str]) -> tuple[str, set[str]] | None:
    """The job the log's bar names, and the jobs whose lines the log shows."""
    bar = next((line for line in lines if BAR.match(line)), None)
    if bar is None:
        return None
    shown = {line.split()[0].removeprefix("job-") for line in lines if line.startswith("job-")}
    return bar.split()[0].removeprefix("bash_"), shown


def test_the_pane_follows_the_cursor_at_key_repeat_speed(
    home: Path, tmp_path: Path, tmux: Tmux
) -> None:
    """Down ×4 then Up ×4, 35 ms apart: the log pane ends on the job the cursor is on (the top
    one again), its bar and its lines naming the same job — never the bar saying one job over
    another job's log. Then slowly: each stop shows its own job."""
    project = tmp_path / "proj"
    project.mkdir()
    store = StoreBuilder(home, project)
    for n in range(1, 9):
        store.add(f"./job-{n}", same_length_log(n), exit_code=0, started=-100.0 + n)
    viewer = f"BGVIEW_HOME={home} {sys.executable} -m bgview; sleep 30"
    try:
        tmux.start(viewer, project)
        until(lambda: pane(tmux.screen()) == ("8", {"8"}), 20, "the top job's log")
        time.sleep(0.5)
        for key in ["Down"] * 4 + ["Up"] * 4:
            sent = time.monotonic()
            tmux.keys(key)
            time.sleep(max(0.0, KEY_REPEAT - (time.monotonic() - sent)))
        time.sleep(1.0)  # whatever is still to come has come
        screen = tmux.screen()
        assert pane(screen) == ("8", {"8"}), "\n".join(screen)
        for key in ["Down", "Down", "Down", "Up"]:
            tmux.keys(key)
            time.sleep(0.3)
        until(lambda: pane(tmux.screen()) == ("6", {"6"}), 5, "the sixth job's log")
    finally:
        store.close()
