"""The viewer's desktop notification when jobs end while its terminal is not in front.

Textual turns on the terminal's focus reporting (``CSI ? 1004 h``) and keeps
``App.app_focus`` from its FocusIn and FocusOut reports; a terminal that does not report focus
counts as focused, so it is sent nothing. The sequence (:mod:`bgview.desktop`) goes through
the app's own driver, in order with its frames: nothing else writes to a terminal Textual owns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import App

from bgview import desktop
from bgview.runtime.model import Job
from bgview.runtime.present import label
from bgview.ui.toasts import ended_toast


def ended_text(jobs: Sequence[Job]) -> str:
    """What the notification says: the toast's words, and for one job what it ran
    (``bash_3 exited 0 · 1.4MB · 12s — (dev) npm run dev``)."""
    text, _ = ended_toast(jobs)
    if len(jobs) == 1:
        text += f" — {label(jobs[0])}"
    return text


def notify_ended(app: App[Any], jobs: Sequence[Job]) -> bool:
    """Send the notification for ``jobs`` if notifications are on and the terminal is not
    focused; whether it was sent."""
    kind = desktop.current()
    driver = app._driver  # what Textual itself writes through (App.bell does)
    if kind is None or not jobs or app.app_focus or driver is None:
        return False
    driver.write(desktop.sequence(ended_text(jobs), kind, tmux=desktop.in_tmux()))
    return True
