"""A job's log with what a reader needs around it: a bar that says what is shown (following or
paused, a cut log, a filter) and the query line for ``/`` search and ``f`` filter.

The screens own the key bindings (so they show in the footer wherever the focus is) and call
:meth:`LogPanel.start_query`, :meth:`next_match` and :meth:`follow` here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from bgview.runtime.errors import InvalidRequest
from bgview.runtime.notices import format_size
from bgview.runtime.patterns import MAX_PATTERN_CHARS, UserPattern
from bgview.runtime.text import visible
from bgview.ui.log_view import LogState, LogView

QueryMode = Literal["search", "filter"]


def compile_query(query: str) -> UserPattern:
    """A user's query as a regex, run as the command line's filters are (RE2, in linear time;
    :mod:`bgview.runtime.patterns`): case-insensitive unless it has a capital (smart case); a
    query that is not a valid regex is taken literally rather than refused."""
    ignore_case = not any(c.isupper() for c in query)
    try:
        return UserPattern(query, "search", ignore_case=ignore_case)
    except InvalidRequest:
        # Taken literally; a query too long for a pattern even so is searched for its start.
        literal = re.escape(query)
        if len(literal) > MAX_PATTERN_CHARS:
            literal = re.escape(query[: MAX_PATTERN_CHARS // 4])
        return UserPattern(literal, "search", ignore_case=ignore_case)


def no_match_text(query: str) -> str:
    """The toast for a search that found nothing, saying if it was taken literally."""
    try:
        UserPattern(query, "search")
    except InvalidRequest:
        return f"no match for {visible(query)!r} (not a valid regex: searched as plain text)"
    return f"no match for {visible(query)!r}"


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

    class BindingsChanged(Message):
        """What the keys can do changed: a search or filter began or ended, or following
        started or stopped (the footer offers ``n``/``N``, ``esc`` and ``end`` accordingly)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.heading = ""
        self.warning: str | None = None
        self.mode: QueryMode | None = None
        self.search: str | None = None
        self.filter: str | None = None
        self._state: LogState | None = None
        self._return_focus: str | None = None
        self._bar_plain = ""
        self._offer: tuple[bool, bool, bool] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="log-bar")
        yield LogView()
        yield QueryInput(id="log-query")

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def show(self, job_dir: Path | None, title: str, warning: str | None = None) -> None:
        """Show ``job_dir``'s log from its tail (``None``: nothing to show); ``warning`` is
        what the job's record says went wrong with its output (a full disk)."""
        self.heading = title
        self.warning = warning
        if job_dir != self.view.job_dir:
            self.view.open(job_dir)
        self._draw_bar()

    def update_log(self) -> None:
        self.view.request_update()

    # ---- search, filter, follow ---------------------------------------------------------------

    def start_query(self, mode: QueryMode) -> None:
        """Open the query line for a search (``/``) or a filter (``f``)."""
        self.mode = mode
        query = self.query_one(QueryInput)
        query.placeholder = (
            "search (regex; enter to find, n / N for next / previous, esc to cancel)"
            if mode == "search"
            else "keep only lines matching (regex; empty shows every line; esc to cancel)"
        )
        query.value = (self.search if mode == "search" else self.filter) or ""
        focused = self.screen.focused
        self._return_focus = focused.id if focused is not None else None
        query.add_class("-open")
        query.focus()

    def cancel_query(self) -> None:
        self.mode = None
        self._close_query()

    def _close_query(self) -> None:
        query = self.query_one(QueryInput)
        query.remove_class("-open")
        if self._return_focus:
            self.screen.query_one(f"#{self._return_focus}").focus()
        else:
            self.view.focus()

    @on(Input.Submitted, "#log-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value
        if self.mode == "search":
            self.search = text or None
            self.view.set_search(compile_query(text) if text else None)
            if text and self.view.find(forward=True) is None:
                self.app.notify(no_match_text(text), severity="warning", markup=False)
        elif self.mode == "filter":
            self.filter = text or None
            self.view.set_filter(compile_query(text) if text else None)
        self.mode = None
        self._close_query()
        self._draw_bar()

    def next_match(self, forward: bool = True) -> None:
        """``n`` / ``N``: the next or previous line matching the search."""
        if self.search is None:
            self.start_query("search")
            return
        if self.view.find(forward=forward) is None:
            self.app.notify(no_match_text(self.search), severity="warning", markup=False)

    def follow(self) -> None:
        self.view.action_follow()

    def clear_query(self) -> bool:
        """Drop the search and the filter; ``True`` if there was one (``esc`` does this first)."""
        had = self.search is not None or self.filter is not None
        if self.filter is not None:
            self.filter = None
            self.view.set_filter(None)
        if self.search is not None:
            self.search = None
            self.view.set_search(None)
        self._draw_bar()
        return had

    # ---- the bar --------------------------------------------------------------------------------

    @on(LogView.Changed)
    def _log_changed(self, event: LogView.Changed) -> None:
        event.stop()
        self._state = event.state
        self._draw_bar()

    def _draw_bar(self) -> None:
        offer = (self.search is not None, self.filter is not None, self.view.follow)
        if offer != self._offer:
            self._offer = offer
            self.post_message(self.BindingsChanged())
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
        if state.follow:
            bar.append(" · ● following", style="green")
        else:
            bar.append(" · ⏸ paused (End follows)", style="yellow")
        if state.dropped:
            bar.append(
                f" · ✂ first {format_size(state.dropped)} dropped by the log size cap",
                style="bold yellow",
            )
        if state.base > state.dropped:
            bar.append(
                f" · showing the last {format_size(state.size - state.base)}"
                f" of {format_size(state.size)}",
                style="bold yellow",
            )
        if self.warning:
            bar.append(f" · ⚠ {visible(self.warning)}", style="bold red")
        if self.filter is not None:
            bar.append(
                f" · filter /{visible(self.filter)}/: {state.shown:,} of {state.lines:,} lines"
            )
        if self.search is not None:
            bar.append(f" · search /{visible(self.search)}/")
        return bar
