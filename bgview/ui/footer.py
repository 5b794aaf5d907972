"""The footer: the screen's key bindings, and the jobs chip docked on its right.

Textual's ``Footer`` recomposes whenever the bindings change, so a chip mounted into it from
outside would vanish; this subclass yields the chip from its own ``compose`` and binds the
count to its own reactive, which survives every recompose.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Footer, Static

from bgview.runtime.events import chip_text


class JobsChip(Static):
    """``⚙ N Background Jobs``: how many jobs are running right now."""

    DEFAULT_CSS = """
    JobsChip {
        dock: right;
        width: auto;
        height: 1;
        padding: 0 1;
        background: $primary-muted;
        color: $text;
        &.-busy { background: $success-muted; text-style: bold; }
    }
    """

    running: reactive[int] = reactive(0, layout=True)
    """Jobs running now (``layout``: the text's width changes with it)."""

    def render(self) -> str:
        return chip_text(self.running)

    def watch_running(self, running: int) -> None:
        self.set_class(running > 0, "-busy")


class JobsFooter(Footer):
    """The key bindings, with the jobs chip on the right."""

    running: reactive[int] = reactive(0)
    """Jobs running now; the chip shows it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, show_command_palette=False)

    def on_resize(self) -> None:
        # Narrow terminals: less space between keys, so more of them fit beside the chip.
        self.compact = self.size.width < 110

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield JobsChip().data_bind(JobsFooter.running)
