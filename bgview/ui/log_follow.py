"""Following a log's tail: new output scrolls into view until a person scrolls up.

The view moves itself (to the end as the log grows, or to keep its place as rows come and go)
only through :meth:`FollowingView._scroll_quietly`, so that a person's scrolling alone — up a
line, a page, home, the mouse wheel — stops following, and scrolling back to the end (or
``end``) resumes it. It is apart from :mod:`bgview.ui.log_lines`, which reads and draws the
lines, because it is the one place that decides when the view scrolls on its own: every view
of a log (:class:`~bgview.ui.log_lines.LogLines` and the views built on it) follows so.

Bindings (on top of ScrollView's arrows, page keys and home):

| key | action |
| --- | --- |
| end | scroll to the end and follow new output again |
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.scroll_view import ScrollView

from bgview.ui.log_model import LogModel


class FollowingView(ScrollView):
    """A scroll view of a log's rows that follows their tail until a person scrolls up."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("end", "follow", "Follow", tooltip="Scroll to the end and follow new output"),
    ]

    follow: reactive[bool] = reactive(True, bindings=True)
    """Whether new output scrolls into view. Scrolling up stops it; ``end`` resumes."""

    model: LogModel
    """The log's rows (the subclass's own): how many there are, so where the end is."""
    _quiet: bool = False
    """Set while the view scrolls itself: only a person's scrolling changes ``follow``."""

    def _changed(self) -> None:
        """The view's state changed (here: following started or stopped); a subclass tells
        its listeners (nothing here)."""

    def watch_follow(self, value: bool) -> None:
        if value:
            self._scroll_to_end()
        self._changed()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `end Follow` is offered only when it would do something.
        return not (action == "follow" and self.follow)

    def on_resize(self) -> None:
        self.call_after_refresh(self._scroll_to_end_if_following)

    def _scroll_to_end_if_following(self) -> None:
        if self.follow:
            self._scroll_to_end()

    def _scroll_to_end(self) -> None:
        target = max(
            self.max_scroll_y, self.model.row_count - self.scrollable_content_region.height
        )
        self._scroll_quietly(target)
        if self.scroll_y < target:
            # The first time the log outgrows the view its scrollbar is not laid out yet and
            # the scroll is clamped short: finish it once the layout has caught up.
            self.call_after_refresh(self._scroll_to_end_if_following)

    def _scroll_quietly(self, y: float) -> None:
        self._quiet = True
        try:
            self.scroll_to(y=max(0, y), animate=False, immediate=True)
        finally:
            self._quiet = False

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self._quiet:
            return
        if new < old <= self.max_scroll_y:
            self.follow = False
        elif new < old:
            pass  # fewer rows than before (a filter, a jump to the tail): clamped, not scrolled
        elif new >= self.max_scroll_y and self.model.row_count:
            self.follow = True

    # A person scrolling up means "stop here": say so at once, not when an animation ends.
    def action_scroll_up(self) -> None:
        self.follow = False
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self.follow = False
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self.follow = False
        super().action_scroll_home()

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.follow = False
        super()._on_mouse_scroll_up(event)

    def action_follow(self) -> None:
        """``end``: back to the tail, following."""
        self.follow = True
        self._scroll_to_end()
