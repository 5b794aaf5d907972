"""The footer: the screen's key bindings, and the jobs chip docked on its right.

Textual's ``Footer`` recomposes whenever the bindings change, so a chip mounted into it from
outside would vanish; this subclass yields the chip from its own ``compose`` and binds the
count to its own reactive, which survives every recompose. A recompose is a key press's
biggest cost when the cursor moves between a running and an ended job (every key and the chip
mounted and styled anew), so the new widgets are born with the state they would otherwise be
given just after mounting (compact or not, busy or not): each such change re-applied the
stylesheet to the widget, twice per key. How many jobs wait for input is
the job table's to count (:attr:`JobTable.waiting <bgview.ui.job_table.JobTable.waiting>`):
the footer watches the nearest table on the screen stack (its own screen's, or under a job's
screen the table's below it).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from bgview.runtime.events import chip_text
from bgview.ui.job_table import JobTable


class JobsChip(Static):
    """``⚙ N Background Jobs · 1 waiting``: how many jobs are running right now, and how many
    of them wait for input."""

    DEFAULT_CSS = """
    JobsChip {
        dock: right;
        width: auto;
        height: 1;
        padding: 0 1;
        background: $primary-muted;
        color: $text;
        &.-busy { background: $success-muted; text-style: bold; }
        &.-waiting { background: $warning-muted; text-style: bold; }
    }
    """

    running: reactive[int] = reactive(0, layout=True)
    """Jobs running now (``layout``: the text's width changes with it)."""

    waiting: reactive[int] = reactive(0, layout=True)
    """Jobs waiting for input now."""

    def render(self) -> str:
        return chip_text(self.running, self.waiting)

    def watch_running(self, running: int) -> None:
        self.set_class(running > 0, "-busy")

    def watch_waiting(self, waiting: int) -> None:
        self.set_class(waiting > 0, "-waiting")


class JobsFooter(Footer):
    """The key bindings, with the jobs chip on the right."""

    running: reactive[int] = reactive(0)
    """Jobs running now; the chip shows it."""

    waiting: reactive[int] = reactive(0)
    """Jobs waiting for input now, as the nearest job table counts them."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, show_command_palette=False)

    def on_mount(self) -> None:
        # The table is this screen's sibling (mounted in the same pass) or on a screen below.
        self.call_after_refresh(self._watch_table)

    def _watch_table(self) -> None:
        stack = self.app.screen_stack
        mine = self.screen
        below = stack[: stack.index(mine) + 1] if mine in stack else [mine]
        for screen in reversed(below):
            tables = screen.query(JobTable)
            if tables:
                self.watch(tables.first(), "waiting", self._set_waiting)
                return

    def _set_waiting(self, waiting: int) -> None:
        self.waiting = waiting

    def on_resize(self) -> None:
        # Narrow terminals: less space between keys, so more of them fit beside the chip.
        self.compact = self.size.width < 110

    def compose(self) -> ComposeResult:
        compact = self.compact
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget
        chip = JobsChip()
        chip.set_reactive(JobsChip.running, self.running)
        chip.set_reactive(JobsChip.waiting, self.waiting)
        chip.set_class(self.running > 0, "-busy", update=False)
        chip.set_class(self.waiting > 0, "-waiting", update=False)
        yield chip.data_bind(JobsFooter.running, JobsFooter.waiting)
