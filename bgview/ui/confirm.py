"""Asking before a job is deleted: ``d`` opens this, ``y`` (or ``d`` again) deletes.

Bindings:

| key | action |
| --- | --- |
| y, d | delete the job and its log |
| n, esc | keep it |
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from bgview.runtime.model import Job
from bgview.runtime.present import format_size, label


class ConfirmDelete(ModalScreen[bool]):
    """``Delete bash_3 and its log?``: dismissed with ``True`` to delete, ``False`` to keep."""

    DEFAULT_CSS = """
    ConfirmDelete {
        align: center middle;
        background: $background 40%;
        & > Vertical {
            width: auto;
            max-width: 80%;
            height: auto;
            padding: 1 2;
            border: round $error;
            background: $surface;
        }
        & Static { width: auto; }
        & #confirm-keys { color: $text-muted; margin-top: 1; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,d", "answer(True)", "Delete", tooltip="Delete the job and its log"),
        Binding("n,escape", "answer(False)", "Keep", tooltip="Keep the job"),
    ]

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def compose(self) -> ComposeResult:
        job = self.job
        with Vertical():
            # Text, not markup: the command may hold "[".
            question = Text.assemble(
                "Delete ", (job.id, "bold"), f" and its log ({format_size(job.output_bytes)})?"
            )
            yield Static(question)
            yield Static(Text(label(job), no_wrap=True, overflow="ellipsis"), id="confirm-job")
            yield Static(Text("y delete · n keep"), id="confirm-keys")

    def action_answer(self, delete: bool) -> None:
        self.dismiss(delete)
