"""Following the terminal modes a foreground job switches on, to undo them if it is left."""

from __future__ import annotations

import pytest

from bgview.host.terminal import TerminalModes


@pytest.mark.parametrize(
    ("output", "restore"),
    [
        # Plain output leaves nothing to undo.
        (b"hello\n", b""),
        # less: alternate screen on, then off again as it quits normally.
        (b"\x1b[?1049h...\x1b[?1049l", b""),
        # less sent to the background: the alternate screen is still on.
        (b"\x1b[?1049h...", b"\x1b[?1049l"),
        # Several modes in one sequence (mouse + SGR mouse), and a hidden cursor.
        (b"\x1b[?1000;1006h\x1b[?25l", b"\x1b[?1006l\x1b[?1000l\x1b[?25h"),
        # A cursor hidden then shown again needs nothing.
        (b"\x1b[?25l\x1b[?25h", b""),
        # Modes we do not track are left alone.
        (b"\x1b[?2004h", b""),
    ],
)
def test_restore(output: bytes, restore: bytes) -> None:
    modes = TerminalModes()
    modes.feed(output)
    assert modes.restore() == restore
