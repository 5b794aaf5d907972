"""The base of the screens that show one job's log: the log keys act on their ``LogPanel``."""

from __future__ import annotations

from textual.screen import Screen

from bgview.ui.log_panel import LogPanel


class LogScreen(Screen[None]):
    """A screen holding one :class:`LogPanel`: ``/`` search, ``f`` filter, ``n``/``N`` next
    and previous match, ``end`` follow, and ``q`` quit."""

    def action_search(self) -> None:
        self.query_one(LogPanel).start_query("search")

    def action_filter(self) -> None:
        self.query_one(LogPanel).start_query("filter")

    def action_next_match(self) -> None:
        self.query_one(LogPanel).next_match(True)

    def action_previous_match(self) -> None:
        self.query_one(LogPanel).next_match(False)

    def action_follow(self) -> None:
        self.query_one(LogPanel).follow()

    def action_quit(self) -> None:
        self.app.exit()
