"""A job's log with what a reader needs around it: a bar that says what is shown (following or
paused, ended, a cut log, a filter, a search under way) and the query line for ``/`` search
and ``f`` filter.

The screens own the key bindings (so they show in the footer wherever the focus is) and call
:meth:`LogPanel.start_query`, :meth:`next_match` and :meth:`follow` here. What the footer
offers depends on :attr:`LogPanel.search`, :attr:`LogPanel.filter` and the view's
``follow``: reactives with ``bindings=True``, so the screen's bindings are refreshed whenever
one changes (the screens' ``check_action`` reads them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from bgview.runtime.notices import format_size
from bgview.runtime.text import visible
from bgview.ui.log_actions import (
    LOG_BINDINGS,
    copy_rows,
    editor_argv,
    file_line,
    pager_argv,
    parse_goto,
    remove_snapshot,
    run_outside,
    snapshot,
)
from bgview.ui.log_model import LogState
from bgview.ui.log_scan import compile_query, no_match_text
from bgview.ui.log_view import LogView

__all__ = ["LogPanel", "QueryInput", "compile_query", "no_match_text"]

QueryMode = Literal["search", "filter", "goto"]


class QueryInput(Input):
    """The one-line query under the log; ``esc`` cancels it."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            panel = self.query_ancestor(LogPanel)
            panel.cancel_query()
        else:
            await super()._on_key(event)


class LogPanel(Vertical):
    """The log of one job, its status bar and its query line."""

    DEFAULT_CSS = """
    LogPanel { height: 1fr; }
    LogPanel > #log-bar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    LogPanel > LogView { height: 1fr; }
    LogPanel > QueryInput { dock: bottom; display: none; }
    LogPanel > QueryInput.-open { display: block; }
    """

    BINDINGS = LOG_BINDINGS

    search: reactive[str | None] = reactive(None, bindings=True)
    """The search (``/``): highlighted, and what ``n`` / ``N`` move to; ``None``: none."""
    filter: reactive[str | None] = reactive(None, bindings=True)
    """The filter (``f``): only lines matching it are shown; ``None``: every line."""
    ended: reactive[bool] = reactive(False)
    """The job has ended: the bar says so rather than that it follows new output."""

    class BindingsChanged(Message):
        """No longer posted: :attr:`search`, :attr:`filter` and the view's ``follow`` refresh
        the screen's bindings themselves (``bindings=True``). Kept for screens that still
        listen for it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.heading = ""
        self.warning: str | None = None
        self.mode: QueryMode | None = None
        self._state: LogState | None = None
        self._return_focus: str | None = None
        self._bar_plain = ""

    def compose(self) -> ComposeResult:
        yield Static(id="log-bar")
        yield LogView()
        yield QueryInput(id="log-query")

    def on_mount(self) -> None:
        self.view.open_query = self.start_query

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def show(
        self,
        job_dir: Path | None,
        title: str,
        warning: str | None = None,
        *,
        ended: bool | None = None,
    ) -> None:
        """Show ``job_dir``'s log from its tail (``None``: nothing to show); ``warning`` is
        what the job's record says went wrong with its output (a full disk); ``ended``: whether
        the job has ended (``None``: as last said for this job; not ended for another)."""
        self.heading = title
        self.warning = warning
        if job_dir != self.view.job_dir:
            self.view.open(job_dir)
            if ended is None:
                ended = False
        if ended is not None:
            self.ended = ended
        self._draw_bar()

    def update_log(self) -> None:
        """The job's log grew: take in what it gained (now, or shortly under a firehose)."""
        self.view.request_update()

    def watch_search(self, query: str | None) -> None:
        self.view.search = compile_query(query) if query else None
        self._draw_bar()

    def watch_filter(self, query: str | None) -> None:
        self.view.filter = compile_query(query) if query else None
        self._draw_bar()

    def watch_ended(self) -> None:
        self._draw_bar()

    # ---- search, filter, follow ---------------------------------------------------------------

    def start_query(self, mode: QueryMode) -> None:
        """Open the query line for a search (``/``) or a filter (``f``)."""
        self.mode = mode
        query = self.query_one(QueryInput)
        query.placeholder = {
            "search": "search (regex; enter to find, n / N for next / previous, esc to cancel)",
            "filter": "keep only lines matching (regex; empty shows every line; esc to cancel)",
            "goto": "go to a line number (1200) or a percentage (50%); esc to cancel",
        }[mode]
        query.value = {"search": self.search, "filter": self.filter, "goto": None}[mode] or ""
        focused = self.screen.focused
        self._return_focus = focused.id if focused is not None else None
        query.add_class("-open")
        query.focus()
        # Keys typed right behind ``/`` or ``:`` (a paste, a fast typist, a script) are
        # already on their way to the log view: it hands them to the query line.
        self.view.type_ahead = self._type_ahead

    def _type_ahead(self, event: events.Key) -> bool:
        """A key that reached the log view while the query line was being opened: the query
        line's (``True``), or not (a key it has no use for)."""
        query = self.query_one(QueryInput)
        if self.mode is None or self.screen.focused is query:
            return False
        if event.key == "enter":
            self.post_message(Input.Submitted(query, query.value))
        elif event.key == "escape":
            self.cancel_query()
        elif event.key == "backspace":
            query.action_delete_left()
        elif event.is_printable and event.character:
            query.insert_text_at_cursor(event.character)
        else:
            return False
        return True

    def cancel_query(self) -> None:
        self.mode = None
        self._close_query()

    def _close_query(self) -> None:
        query = self.query_one(QueryInput)
        query.remove_class("-open")
        self.view.type_ahead = None
        if self._return_focus:
            self.screen.query_one(f"#{self._return_focus}").focus()
        else:
            self.view.focus()

    @on(Input.Submitted, "#log-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value or None
        mode, self.mode = self.mode, None
        self._close_query()
        if mode == "search":
            self.search = text
            if text:
                self.view.find(forward=True)  # a query submitted again: its next match
        elif mode == "filter":
            self.filter = text
        elif mode == "goto" and text:
            row = parse_goto(text, self.view.row_count)
            if row is None:
                self.app.notify(
                    f"not a line number or a percentage: {visible(text)!r}",
                    severity="error",
                    markup=False,
                )
            else:
                self.view.go_to_row(row)

    def next_match(self, forward: bool = True) -> None:
        """``n`` / ``N``: the next or previous line matching the search."""
        if self.search is None:
            self.start_query("search")
        else:
            self.view.find(forward=forward)

    @on(LogView.Searched)
    def _searched(self, event: LogView.Searched) -> None:
        event.stop()
        if event.line is None and self.search is not None:
            self.app.notify(no_match_text(self.search), severity="warning", markup=False)

    def follow(self) -> None:
        self.view.action_follow()

    # ---- going places, taking text out (log_actions) ------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("log_top", "log_bottom", "goto", "copy", "visual", "pager", "editor"):
            return self.view.job_dir is not None and self.view.row_count > 0
        if action in ("wrap", "times"):
            return self.view.job_dir is not None
        return True

    def action_log_top(self) -> None:
        self.view.go_to_row(0)

    def action_log_bottom(self) -> None:
        self.view.action_follow()

    def action_goto(self) -> None:
        self.start_query("goto")

    def action_copy(self) -> None:
        view = self.view
        first, last = view.selection() if view.visual else (view.current_row(),) * 2
        view.visual = False
        copy_rows(view, first, last)

    def action_visual(self) -> None:
        self.view.start_visual()

    def action_wrap(self) -> None:
        self.view.wrap = not self.view.wrap

    def action_times(self) -> None:
        self.view.times = not self.view.times

    def action_pager(self) -> None:
        self._outside(editor=False)

    def action_editor(self) -> None:
        self._outside(editor=True)

    def _outside(self, editor: bool) -> None:
        """Give the terminal to a pager or an editor at the line on screen, and come back."""
        view = self.view
        if view.job_dir is None:
            return
        log = view.job_dir / "output.log"
        line = file_line(view, view.current_row())
        try:
            path = snapshot(log) if editor else log
        except OSError as exc:
            self.app.notify(f"could not copy the log: {exc.strerror}", severity="error")
            return
        argv = editor_argv(path, line) if editor else pager_argv(path, line)
        try:
            with self.app.suspend():
                problem = run_outside(argv)
        except SuspendNotSupported:
            problem = "this terminal cannot be handed to another program from here"
        finally:
            if editor:
                remove_snapshot(path)
        if problem:
            self.app.notify(problem, severity="error", markup=False)
        view.refresh()

    def clear_query(self) -> bool:
        """Drop the search and the filter; ``True`` if there was one (``esc`` does this first)."""
        had = self.search is not None or self.filter is not None
        self.filter = None
        self.search = None
        return had

    # ---- the bar --------------------------------------------------------------------------------

    @on(LogView.Changed)
    def _log_changed(self, event: LogView.Changed) -> None:
        event.stop()
        self._state = event.state
        self._draw_bar()

    def _draw_bar(self) -> None:
        text = self.bar_text()
        if text.plain != self._bar_plain:  # under a firehose most updates change nothing here
            self._bar_plain = text.plain
            self.query_one("#log-bar", Static).update(text, layout=False)

    def bar_text(self) -> Text:
        """``bash_3 · 1.4 MB · ● following``, and what is cut or filtered."""
        state = self._state or self.view.state
        bar = Text(no_wrap=True, overflow="ellipsis")
        bar.append(visible(self.heading), style="bold")
        if self.view.job_dir is None:
            return bar
        if state.problem:
            bar.append(f"  {visible(state.problem)}", style="bold red")
            return bar
        bar.append(f" · {format_size(state.size)}")
        if self.ended:
            bar.append(" · ended")
        elif state.follow:
            bar.append(" · ● following", style="green")
        else:
            bar.append(" · ⏸ paused (End follows)", style="yellow")
        if state.dropped:
            bar.append(
                f" · ✂ first {format_size(state.dropped)} dropped by the log size cap",
                style="bold yellow",
            )
        if self.warning:
            bar.append(f" · ⚠ {visible(self.warning)}", style="bold red")
        lines = f"{'~' if state.counting else ''}{state.lines:,}"
        if self.filter is not None:
            bar.append(f" · filter /{visible(self.filter)}/: {state.shown:,} of {lines} lines")
            if state.full:
                bar.append(f" · ⚠ no more kept ({state.shown:,} at most)", style="bold yellow")
        if self.search is not None:
            bar.append(f" · search /{visible(self.search)}/")
            if state.match:
                bar.append(f": {state.match}", style="bold")
        if state.busy:
            bar.append(f" · {state.busy}", style="bold")
        return bar
