"""The log pane's keys that reach outside the viewer, in a real terminal (tmux): `y` copies
through OSC 52 into what tmux received (its paste buffer, with `set-clipboard on`); `o` opens
the log in the real `less -R` at the line on screen and `q` comes back to the same place; `e`
gives `$EDITOR` a private copy of the log, never the log itself."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import until
from tests.ui.store_builder import StoreBuilder
from tests.ui.test_terminal import Tmux

LOG = b"".join(
    b"line %04d\n" % i if i % 100 else b"\x1b[31mred %04d\x1b[0m\n" % i for i in range(2000)
)

EDITOR = """
import json, os, sys
line, path = sys.argv[-2], sys.argv[-1]
with open(path, "rb") as copy:
    content = copy.read()
with open(path, "ab") as copy:
    copy.write(b"edited\\n")
mode = os.stat(path).st_mode & 0o777
seen = {"line": line, "path": path, "size": len(content), "mode": mode}
with open(os.environ["EDITOR_RECORD"], "w") as record:
    json.dump(seen, record)
"""


@pytest.fixture
def viewer(home: Path, tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    """The viewer in tmux (clipboard on) on one job's full-screen log; the job's directory."""
    project = tmp_path / "proj"
    project.mkdir()
    store = StoreBuilder(home, project)
    job_dir = store.add("./print", LOG, status="exited", exit_code=0)
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR)
    tmux = Tmux(tmp_path, 100, 30)
    record = tmp_path / "editor.json"
    env = f"BGVIEW_HOME={home} EDITOR='{sys.executable} {editor}' EDITOR_RECORD={record} PAGER="
    try:
        tmux.start(f"{env} {sys.executable} -m bgview; sleep 30", project)
        subprocess.run([*tmux.base, "set", "-g", "set-clipboard", "on"], check=True)
        until(lambda: any("bash_1" in line for line in tmux.screen()), 20, "the table")
        tmux.keys("Enter")
        until(lambda: "line 1999" in "\n".join(tmux.screen()), 20, "the job's log")
        until(lambda: "gG: Go" in tmux.screen()[-1], 20, "the log focused (its keys listed)")
        yield tmux, job_dir
    finally:
        tmux.close()
        store.close()


def shown(tmux: Tmux, text: str) -> bool:
    """Whether a row of the screen begins with ``text`` (the scrollbar ends each row)."""
    return any(line.startswith(text + " ") or line == text for line in tmux.screen())


def buffer(tmux: Tmux) -> str:
    done = subprocess.run([*tmux.base, "show-buffer"], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else ""


def test_y_and_visual_mode_copy_into_the_terminal_s_clipboard(viewer: tuple[Tmux, Path]) -> None:
    tmux, _ = viewer
    tmux.keys(":", "1801", "Enter")  # "red 1800" on top
    until(lambda: shown(tmux, "red 1800"), 10, "line 1801 on screen")
    tmux.keys("y")
    until(lambda: buffer(tmux) == "red 1800", 10, "the line in tmux's buffer")  # no colours
    tmux.keys("v", "j", "j", "y")
    until(lambda: buffer(tmux) == "red 1800\nline 1801\nline 1802", 10, "three lines")


def mouse(tmux: Tmux, button: int, x: int, y: int, release: bool = False) -> None:
    """What a terminal sends for a mouse event when the program asked for SGR mouse reports
    (as Textual does), typed into the pane: tmux has no other way to drag without a mouse."""
    tmux.keys("-l", f"\x1b[<{button};{x + 1};{y + 1}{'m' if release else 'M'}")


def test_a_mouse_drag_copies_into_the_terminal_s_clipboard(viewer: tuple[Tmux, Path]) -> None:
    """With tmux's own mouse on too: the viewer asks for the mouse, so the drag is its."""
    tmux, _ = viewer
    subprocess.run([*tmux.base, "set", "-g", "mouse", "on"], check=True)
    tmux.keys(":", "1801", "Enter")
    until(lambda: shown(tmux, "red 1800"), 10, "line 1801 on screen")
    top = next(y for y, line in enumerate(tmux.screen()) if line.split() == ["red", "1800"])
    mouse(tmux, 0, 4, top)  # left button down on "red 1800"
    mouse(tmux, 32, 6, top + 1)  # moved with the button held (32: motion)
    mouse(tmux, 32, 2, top + 2)
    mouse(tmux, 0, 2, top + 2, release=True)
    until(lambda: buffer(tmux) == "red 1800\nline 1801\nline 1802", 10, "the dragged lines")


def test_o_opens_less_at_the_line_on_screen_and_q_comes_back(viewer: tuple[Tmux, Path]) -> None:
    tmux, _ = viewer
    tmux.keys(":", "1501", "Enter")
    until(lambda: shown(tmux, "red 1500"), 10, "line 1501 on screen")
    until(lambda: "end Follow" in tmux.screen()[-1], 10, "the footer: paused")
    before = tmux.screen()
    tmux.keys("o")
    until(lambda: tmux.screen()[0] == "red 1500", 10, "less at that line")  # less, full screen
    assert "Go" not in "\n".join(tmux.screen())  # the viewer's footer is gone meanwhile
    tmux.keys("q")
    until(lambda: tmux.screen() == before, 10, "the viewer as it was")


def test_e_gives_the_editor_a_private_copy(viewer: tuple[Tmux, Path], tmp_path: Path) -> None:
    tmux, job_dir = viewer
    record = tmp_path / "editor.json"
    tmux.keys("g")
    until(lambda: shown(tmux, "red 0000"), 10, "the first line")
    log_before = (job_dir / "output.log").read_bytes()
    tmux.keys("e")
    until(lambda: record.exists(), 10, "the editor to run")
    seen = json.loads(record.read_text())
    assert seen["line"] == "+1"
    assert Path(seen["path"]) != job_dir / "output.log" and seen["size"] == len(log_before)
    assert seen["mode"] == 0o600
    assert (job_dir / "output.log").read_bytes() == log_before  # the log was not touched
    until(lambda: not Path(seen["path"]).exists(), 10, "the copy removed")
    until(lambda: shown(tmux, "red 0000"), 10, "back in the viewer")
