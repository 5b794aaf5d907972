"""``a``: attached to a job. Its live terminal fills the screen and every key goes to it —
vim, htop, a Python REPL work as in tmux — until ``ctrl+]`` detaches (the footer says so).

While attached the job's terminal has the screen's size (the job gets SIGWINCH, as in a
resized terminal window) and gets its own size back on detaching. The screen is emulated
(:class:`~bgview.runtime.livescreen.LiveScreen`): it starts from the end of the job's output
replayed at the size the job's terminal had, then follows the output as the supervisor logs
it, read in a worker woken by inotify (:class:`~bgview.runtime.attaching.Attachment`). When
the job ends the screen says so and detaches.

Bindings:

| key | action |
| --- | --- |
| ctrl+] | detach: back to where ``a`` was pressed |
| anything else | to the job |
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from bgview.runtime.attaching import DETACH_NAME, Attachment
from bgview.runtime.errors import BgviewError
from bgview.runtime.livescreen import LiveScreen
from bgview.runtime.model import Job
from bgview.runtime.present import status_words
from bgview.runtime.text import visible

FOLLOW_WAIT = 0.25
"""The longest the follower waits without a look at the job's record (its end)."""


class AttachScreen(Screen[None]):
    """One job's live terminal; ``attachment=None`` draws ``seed`` and follows nothing
    (snapshots)."""

    takes_every_key = True
    """Read by the app: its own keys (``ctrl+q``) are the job's while this screen is up."""

    DEFAULT_CSS = """
    AttachScreen {
        layout: vertical;
        & > #attach-title { height: 1; padding: 0 1; background: $primary-muted; }
        & > TerminalView { height: 1fr; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+right_square_bracket",
            "detach",
            "Detach",
            key_display=DETACH_NAME,
            priority=True,
            tooltip="Detach: keys go to the viewer again",
            id="bgview.detach",
        ),
    ]

    def __init__(
        self, job: Job, attachment: Attachment | None, seed: bytes, size: tuple[int, int]
    ) -> None:
        """``seed``: the end of the job's output, drawn at ``size`` (its terminal's now)."""
        super().__init__()
        self.job = job
        self.attachment = attachment
        self.term = LiveScreen(*size)
        self.term.feed(seed)
        self.term.reply = self._send  # from here on the job's questions are answered
        self._stop_r, self._stop_w = os.pipe()
        """Written to on detaching: wakes the follower out of its wait."""
        self._pipe_lock = threading.Lock()
        self._detached = False

    def compose(self) -> ComposeResult:
        from bgview.ui.terminal_view import TerminalView

        title = Text.assemble(
            "attached to ", (self.job.id, "bold"), "  ", visible(self.job.command)
        )
        title.append(f"  ·  {DETACH_NAME} detaches", style="bold")
        yield Static(title, id="attach-title")
        yield TerminalView(self.term, self._send, id="attach-term")
        yield Footer(id="footer")

    def on_mount(self) -> None:
        from bgview.ui.terminal_view import TerminalView

        self.query_one(TerminalView).focus()
        if self.attachment is not None:
            self._follow()

    def on_resize(self, event: Resize) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """The job's terminal takes the pane's size."""
        from bgview.ui.terminal_view import TerminalView

        view = self.query_one(TerminalView)
        columns, rows = view.size.width, view.size.height
        if columns < 2 or rows < 2 or (columns, rows) == (self.term.columns, self.term.lines):
            return
        self.term.resize(rows, columns)
        self.term.dirty.update(range(rows))
        view.refresh()
        if self.attachment is not None:
            self._resize(columns, rows)

    @work(thread=True, exclusive=True, group="attach-resize")
    def _resize(self, columns: int, rows: int) -> None:
        if self.attachment is not None:
            self.attachment.resize(columns, rows)

    # ---- the job's output -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="attach-follow")
    def _follow(self) -> None:
        attachment = self.attachment
        assert attachment is not None
        worker = get_current_worker()
        try:
            self._follow_output(attachment, lambda: worker.is_cancelled)
        finally:
            self._close_pipe()

    def _follow_output(self, attachment: Attachment, cancelled: Callable[[], bool]) -> None:
        while not cancelled() and not self._detached:
            ready, record = attachment.wait(FOLLOW_WAIT, [self._stop_r])
            if ready:
                return  # detached
            data = attachment.output()
            if data:
                self.app.call_from_thread(self._feed, data)
                continue
            if record and (ended := attachment.ended()) is not None:
                data = attachment.output()
                if data:
                    self.app.call_from_thread(self._feed, data)
                self.app.call_from_thread(self._ended, ended)
                return

    def _feed(self, data: bytes) -> None:
        from bgview.ui.terminal_view import TerminalView

        if self._detached:  # detached while the output was on its way
            return
        self.term.feed(data)
        self.query_one(TerminalView).changed()

    def _ended(self, job: Job) -> None:
        if self._detached:
            return
        self.app.notify(
            f"{job.id} {status_words(job)}: detached", markup=False, severity="information"
        )
        self.action_detach()

    # ---- keys to the job ----------------------------------------------------------------------

    def _send(self, data: bytes | str) -> None:
        """Keys (or the answer to a question of the job's) to the job's terminal."""
        if self.attachment is None or self._detached:
            return
        raw = data.encode() if isinstance(data, str) else data
        try:
            self.attachment.keys(raw)
        except BgviewError as exc:
            self.app.notify(visible(str(exc)), severity="warning", markup=False)

    def action_detach(self) -> None:
        if self._detached:
            return
        self._detached = True
        with self._pipe_lock:
            if self._stop_w >= 0:
                os.write(self._stop_w, b"x")
        if self.attachment is not None:
            self.app.run_worker(self.attachment.close, thread=True, group="attach-close")
        self.dismiss()

    def on_unmount(self) -> None:
        if not self._detached:
            self.action_detach()
        if self.attachment is None:
            self._close_pipe()

    def _close_pipe(self) -> None:
        with self._pipe_lock:
            for fd in (self._stop_r, self._stop_w):
                if fd >= 0:
                    os.close(fd)
            self._stop_r = self._stop_w = -1
