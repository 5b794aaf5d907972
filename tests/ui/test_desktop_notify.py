"""Desktop notifications when jobs end while the terminal is not in front: the escape
sequences themselves, then the real viewer and the real shell in a pty and in a tmux pane,
with the bytes read as the terminal (or tmux) received them.

A job's name is the attacker here: it holds an OSC of its own (a window title) and a BEL that
would end the notification early. It must reach the terminal made visible, inside ours.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bgview import desktop
from bgview.runtime import Runtime
from tests.support import until
from tests.term import Term
from tests.tmuxpane import TmuxPane

EVIL = "web\x1b]0;pwned\x07\x9b31m"
"""A name that would retitle the window, end an OSC early (BEL) and start a C1 CSI."""

FOCUS_OUT, FOCUS_IN = "\x1b[O", "\x1b[I"
"""What a terminal sends when it loses and gets focus, once asked to (CSI ? 1004 h)."""

OSC9 = re.compile(rb"\x1b\]9;(.*?)\x1b\\", re.S)
OSC777 = re.compile(rb"\x1b\]777;notify;bgview;(.*?)\x1b\\", re.S)


# ---- the sequences ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "flag", "kind"),
    [
        ("", False, None),  # off by default
        ("", True, "osc9"),  # --notify alone: OSC 9
        ("1", False, "osc9"),
        ("osc777", False, "osc777"),
        ("osc777", True, "osc777"),  # --notify, the setting picks the kind
        ("0", True, "osc9"),  # the flag asks for it on this run
        (" OSC9 ", False, "osc9"),
    ],
)
def test_the_setting(value: str, flag: bool, kind: str | None) -> None:
    assert desktop.style(flag, {"BGVIEW_NOTIFY": value}) == kind


def test_a_bad_setting_is_refused() -> None:
    with pytest.raises(desktop.BadSetting, match="BGVIEW_NOTIFY=yes please"):
        desktop.style(False, {"BGVIEW_NOTIFY": "yes please"})


def test_the_text_cannot_end_or_leave_the_sequence() -> None:
    for kind in ("osc9", "osc777"):
        seq = desktop.sequence(f"bash_1 exited 0 — ({EVIL}) make", kind)  # type: ignore[arg-type]
        body = seq[seq.index(";") + 1 : -2]
        assert seq.endswith("\x1b\\") and seq.startswith("\x1b]")
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", body), repr(body)  # no control left
        assert "pwned" in body  # shown, not obeyed


def test_osc777_and_the_tmux_passthrough() -> None:
    assert desktop.sequence("a;b", "osc777") == "\x1b]777;notify;bgview;a;b\x1b\\"
    wrapped = desktop.sequence("done", "osc9", tmux=True)
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;bgview: done\x1b\x1b\\\x1b\\"


def test_long_text_is_cut() -> None:
    body = desktop.sequence("x" * 1000)[len("\x1b]9;bgview: ") : -2]
    assert len(body) == desktop.MAX_TEXT and body.endswith("…")


# ---- the viewer and the shell, for real -------------------------------------------------------


def gated(rt: Runtime, tmp_path: Path, name: str) -> tuple[str, Path]:
    """A job (named ``name``) that ends when its gate file appears: its id and the gate."""
    gate = tmp_path / f"gate-{len(rt.jobs())}"
    job = rt.start(f"while [ ! -e {gate} ]; do sleep 0.01; done", name=name)
    return job.id, gate


@pytest.fixture
def no_tmux(monkeypatch: pytest.MonkeyPatch) -> None:
    """These run in a pty of their own, not in whatever tmux ran the tests."""
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("BGVIEW_NOTIFY", raising=False)


@pytest.fixture
def viewer(home: Path, project: Path, no_tmux: None) -> Iterator[Term]:
    term = Term([sys.executable, "-m", "bgview", "--notify"], cwd=project, home=home)
    yield term
    term.close()


def notifications(raw: bytes, pattern: re.Pattern[bytes] = OSC9) -> list[str]:
    return [m.group(1).decode() for m in pattern.finditer(raw)]


def sent(term: Term, pattern: re.Pattern[bytes] = OSC9) -> list[str]:
    """The notifications the program in ``term`` has written so far."""
    term.pump()
    return notifications(term.raw, pattern)


def test_viewer_notifies_only_while_the_terminal_is_not_in_front(
    viewer: Term, rt: Runtime, tmp_path: Path
) -> None:
    first, gate1 = gated(rt, tmp_path, "first")
    second, gate2 = gated(rt, tmp_path, EVIL)
    third, gate3 = gated(rt, tmp_path, "third")
    viewer.wait_for(third)
    assert b"\x1b[?1004h" in viewer.raw  # Textual asked the terminal for focus reports

    gate1.touch()  # in front: a toast, and nothing on the desktop
    viewer.wait_for(f"{first} exited 0")
    assert notifications(viewer.raw) == []

    viewer.send(FOCUS_OUT)  # the user went to another window
    gate2.touch()
    until(lambda: sent(viewer), what="the notification")
    [told] = notifications(viewer.raw)
    assert told.startswith(f"bgview: {second} exited 0 · ")
    assert "(web^[]0;pwned^G\\x9b31m)" in told  # the name, made visible inside our sequence
    assert b"\x1b]0;pwned" not in viewer.raw and b"\x9b31m" not in viewer.raw
    assert "while [ ! -e" in told  # what it ran

    viewer.send(FOCUS_IN)  # back in front
    gate3.touch()
    viewer.wait_for(f"{third} exited 0")
    assert len(notifications(viewer.raw)) == 1


def test_viewer_without_notify_sends_none(
    home: Path, project: Path, rt: Runtime, tmp_path: Path, no_tmux: None
) -> None:
    term = Term([sys.executable, "-m", "bgview"], cwd=project, home=home)
    try:
        job_id, gate = gated(rt, tmp_path, "quiet")
        term.wait_for(job_id)
        term.send(FOCUS_OUT)
        gate.touch()
        term.wait_for(f"{job_id} exited 0")  # the toast: the end was seen
        assert notifications(term.raw) == []
    finally:
        term.close()


def test_shell_notifies_with_osc777(
    home: Path,
    project: Path,
    rt: Runtime,
    tmp_path: Path,
    no_tmux: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BGVIEW_NOTIFY", "osc777")
    term = Term([sys.executable, "-m", "bgview", "shell"], cwd=project, home=home)
    try:
        term.wait_prompt(1)
        job_id, gate = gated(rt, tmp_path, EVIL)
        gate.touch()
        term.wait_for(f"[bg:{job_id} exited 0")  # the notice above the prompt
        until(lambda: sent(term, OSC777), what="the notification")
        [told] = notifications(term.raw, OSC777)
        assert told.startswith(f"{job_id} exited 0, ") and "(web^[]0;pwned^G\\x9b31m)" in told
        assert b"\x1b]0;pwned" not in term.raw
    finally:
        term.close()


def test_through_tmux_the_notification_is_passed_through(
    home: Path, project: Path, rt: Runtime, tmp_path: Path
) -> None:
    """In tmux the sequence is wrapped for tmux's passthrough (``allow-passthrough on``
    forwards it to the terminal tmux runs in); here is what the tmux pane received."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "BGVIEW_HOME": str(home),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }
    command = f"cd {project} && exec {sys.executable} -m bgview --notify"
    pane = TmuxPane(tmp_path, command, env=env, options=(("allow-passthrough", "on"),))
    try:
        job_id, gate = gated(rt, tmp_path, EVIL)
        pane.wait_for(lambda s: job_id in s, "the job in the table")
        pane.send_bytes(FOCUS_OUT.encode())  # the focus-out report, as a terminal sends it
        gate.touch()
        pane.wait_for(lambda s: f"{job_id} exited 0" in s, "the toast")
        wrapped = re.compile(rb"\x1bPtmux;\x1b\x1b\]9;(.*?)\x1b\x1b\\\x1b\\", re.S)
        [told] = until(lambda: notifications(pane.output(), wrapped), what="the notification")
        assert told.startswith(f"bgview: {job_id} exited 0") and "pwned^G" in told
        assert b"\x1b]0;pwned" not in pane.output()
    finally:
        pane.close()
