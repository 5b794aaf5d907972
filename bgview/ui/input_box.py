"""Typing a line into a job: ``i`` opens this box over the viewer, Enter sends the line (and
Enter) to the job's terminal, ``esc`` sends nothing.

When the job's terminal does not echo (a password prompt: ``read -s``, ``getpass``, ``sudo``)
the box hides what is typed. Whether it echoes is read from the job's pty itself
(:func:`~bgview.runtime.jobpty.tty_mode`), when the box opens and again while it is open, so
the box follows the job: a prompt that turns echo off while the box is open hides the line
from then on. A terminal that cannot be read is taken as not echoing: hiding a line that
would have been shown costs less than showing a password. What is typed goes only to the
job's pty, which does not echo it either: it is in no log, no read and no toast.

Bindings:

| key | action |
| --- | --- |
| enter | send the line, then Enter |
| esc | close, sending nothing |
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from bgview.runtime.jobpty import tty_mode
from bgview.runtime.model import Job
from bgview.runtime.text import visible

RECHECK_SECONDS = 0.25
"""How often an open box looks again whether the job's terminal echoes."""


def hides_input(job: Job) -> bool:
    """Whether a line typed for ``job`` must be hidden: its terminal does not echo, or cannot
    be read. Reads the job's pty: call it in a worker."""
    mode = tty_mode(job)
    return mode is None or not mode.echo


class InputBox(ModalScreen[str | None]):
    """``Type into bash_1``: dismissed with the line to send, or ``None``."""

    DEFAULT_CSS = """
    InputBox {
        align: center middle;
        background: $background 40%;
        & > Vertical {
            width: 70%;
            min-width: 40;
            max-width: 100;
            height: auto;
            padding: 1 2;
            border: round $primary;
            background: $surface;
        }
        & #input-prompt { color: $text-muted; }
        & Input { margin-top: 1; }
        & #input-keys { color: $text-muted; margin-top: 1; }
        &.-hidden > Vertical { border: round $warning; }
        &.-hidden #input-keys { color: $warning; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close, sending nothing"),
    ]

    def __init__(self, job: Job, *, hidden: bool, follow_echo: bool = True) -> None:
        """``hidden``: the job's terminal does not echo as the box opens. ``follow_echo=False``
        never looks again (snapshots)."""
        super().__init__()
        self.job = job
        self.hidden = hidden
        self.follow_echo = follow_echo

    def compose(self) -> ComposeResult:
        job = self.job
        with Vertical():
            # Text, not markup: an id, a name or a prompt may hold "[".
            yield Static(Text.assemble("Type into ", (job.id, "bold")), id="input-title")
            prompt = job.facts.prompt if job.facts.waiting_for_input else None
            if prompt:
                yield Static(Text(f"it asks: {visible(prompt)}"), id="input-prompt")
            yield Input(password=self.hidden, id="input-line", placeholder="a line for the job")
            yield Static(self._keys_text(), id="input-keys")

    def on_mount(self) -> None:
        self.set_class(self.hidden, "-hidden")
        self.query_one(Input).focus()
        if self.follow_echo:
            self.set_interval(RECHECK_SECONDS, self._recheck)

    def _keys_text(self) -> Text:
        keys = "enter send · esc cancel"
        if self.hidden:
            keys = "hidden: the job's terminal does not echo · " + keys
        return Text(keys)

    @work(thread=True, exclusive=True, group="echo")
    def _recheck(self) -> None:
        hidden = hides_input(self.job)
        if hidden != self.hidden:
            self.app.call_from_thread(self.set_hidden, hidden)

    def set_hidden(self, hidden: bool) -> None:
        """Hide (or show) what is typed: the job's terminal stopped (or started) echoing."""
        self.hidden = hidden
        self.set_class(hidden, "-hidden")
        self.query_one(Input).password = hidden
        self.query_one("#input-keys", Static).update(self._keys_text())

    @on(Input.Submitted, "#input-line")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
