"""Completion notices at a REPL's prompt: printed above it while it waits for input, kept
while the REPL is busy (a command runs, the viewer is open) and printed once it waits again.

Draining a notice spends it: the consumer's cursor moves past it and it is never given again.
So nothing is drained while the REPL is busy — a notice drained then would be lost to the
user, or drawn over the viewer — and what arrives meanwhile waits in the store, unspent.

Which prompt is idle, and how to print above it:

- a prompt_toolkit prompt (``PromptSession``, IPython's ``get_ipython().pt_app``): idle while
  its application runs; the notice is printed in its loop, above the prompt, the half-typed
  line kept;
- the plain Python REPL (``prompt=None``): idle while the interpreter waits for a line (its
  main thread runs no Python code); the notice is printed on a line of its own and the prompt
  drawn again with what was typed so far.

Marking the REPL busy explicitly (:meth:`PromptNotices.busy`) is for a REPL's own loop: what
was kept is printed as the block ends. The viewer opened by :func:`~bgview.host.api.open_viewer`
or :func:`~bgview.host.api.open_viewer_sync` always counts as busy.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application import Application
from prompt_toolkit.application.current import get_app_session
from prompt_toolkit.styles import BaseStyle

from bgview import desktop
from bgview.host import api
from bgview.runtime import Notice, Runtime
from bgview.runtime.present import label
from bgview.runtime.text import visible

RETRY = 0.25
"""Seconds between looks for an idle prompt while notices are kept (and only then)."""


class PromptNotices:
    """The completion notices of ``runtime``'s jobs for one REPL (consumer ``consumer``,
    starting now), printed only while its prompt is idle.

    Call :meth:`show` whenever a job may have ended — from any thread, e.g. as a
    :class:`~bgview.host.watch.JobsWatch` callback; it prints, or keeps the notices for later.
    ``style`` is a prompt_toolkit style for the line (or a function of the notice giving one);
    ``skip`` names notices not to print (the user saw that job end already).
    """

    def __init__(
        self,
        runtime: Runtime,
        consumer: str | None = None,
        *,
        prompt: PromptSession[Any] | Application[Any] | None = None,
        style: str | Callable[[Notice], str] = "ansiyellow",
        sheet: BaseStyle | None = None,
        skip: Callable[[Notice], bool] | None = None,
    ) -> None:
        self.runtime = runtime
        self.consumer = consumer or api.default_consumer()
        self.prompt = prompt
        self.style = style
        self.sheet = sheet
        self.skip = skip
        self.kept = False
        """Notices may be waiting: a look for an idle prompt is due."""
        self._busy = 0
        self._lock = threading.Lock()
        self._retry: threading.Timer | None = None
        self._closed = False
        api.drain_notices(runtime, self.consumer)  # a new consumer starts now

    # ---- for the REPL ---------------------------------------------------------------------

    def show(self) -> None:
        """Print the notices not given yet above the prompt if it is idle; else keep them
        for when it is. Safe from any thread."""
        if self._closed:
            return
        if self._busy or api.viewer_is_open():
            self._keep()
            return
        app = self._app()
        if app is not None:
            loop = app.loop
            if app.is_running and loop is not None:
                try:
                    loop.call_soon_threadsafe(self._print_in_prompt, app)
                    return
                except RuntimeError:  # its loop closed meanwhile: the prompt returned
                    pass
            self._keep()
        elif _interpreter_waits():
            self._print_now(redraw=True)
        else:
            self._keep()

    def flush(self) -> None:
        """Print what waits, now: the REPL says it is between two commands (no prompt drawn
        yet). Kept still while it is busy or the viewer is open."""
        if self._closed:
            return
        if self._busy or api.viewer_is_open():
            self._keep()
            return
        self._print_now()

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """The REPL is busy for the block (a command runs): notices are kept, and printed
        as it ends."""
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
        self.flush()

    def discard(self) -> None:
        """Spend the notices not given yet without printing them (the user was told
        otherwise: the viewer toasted them)."""
        with self._lock:
            api.drain_notices(self.runtime, self.consumer)
            self.kept = False

    def close(self) -> None:
        """No more printing, and no more looks for an idle prompt."""
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()

    # ---- printing -------------------------------------------------------------------------

    def _app(self) -> Application[Any] | None:
        if isinstance(self.prompt, PromptSession):
            return self.prompt.app
        return self.prompt

    def _print_in_prompt(self, app: Application[Any]) -> None:
        """In the prompt's loop: print above it if it still waits, else keep."""
        if app.is_running and not app.is_done and not self._busy and not api.viewer_is_open():
            self._print_now()
        else:
            self._keep()

    def _print_now(self, *, redraw: bool = False) -> None:
        with self._lock:
            self.kept = False
            notices = api.drain_notices(self.runtime, self.consumer)
            for notice in notices:
                if self.skip is not None and self.skip(notice):
                    continue
                style = self.style(notice) if callable(self.style) else self.style
                if redraw:
                    _print_over_input_line(notice.text)
                else:
                    api.print_above_prompt(notice.text, style, sheet=self.sheet)
                if notice.is_end:
                    _notify_desktop(notice, plain=redraw)

    def _keep(self) -> None:
        """Notices may be waiting: look again soon, until the prompt is idle."""
        with self._lock:
            self.kept = True
            if self._closed or self._retry is not None:
                return
            self._retry = threading.Timer(RETRY, self._look_again)
            self._retry.daemon = True
            self._retry.start()

    def _look_again(self) -> None:
        with self._lock:
            self._retry = None  # this timer has fired: show() may arm the next one
        if self.kept:
            self.show()


def _notify_desktop(notice: Notice, *, plain: bool) -> None:
    """The desktop notification of a job's end (``--notify``, ``BGVIEW_NOTIFY``), written to
    the terminal with the notice. A prompt cannot tell whether its terminal is in front
    (prompt_toolkit reads no focus reports), so it is sent whenever notifications are on."""
    kind = desktop.current()
    if kind is None:
        return
    words = notice.text.removeprefix("[bg:").removesuffix("]")
    sequence = desktop.sequence(f"{words} — {label(notice.job)}", kind, tmux=desktop.in_tmux())
    if plain:  # the plain REPL: its own stdout
        sys.stdout.write(sequence)
        sys.stdout.flush()
        return
    # In the prompt's loop, between two of its frames: through its output, nothing buffered.
    output = get_app_session().output
    output.write_raw(sequence)
    output.flush()


def _interpreter_waits() -> bool:
    """The plain Python REPL waits for a line: its main thread runs no Python code (it is
    inside the interpreter's own loop, reading the terminal)."""
    main = threading.main_thread().ident
    return main is not None and main not in sys._current_frames()


def _print_over_input_line(text: str) -> None:
    """Print ``text`` on the line where the plain REPL waits, then draw its prompt again with
    what was typed so far (readline keeps it)."""
    typed = ""
    with contextlib.suppress(ImportError):
        import readline

        typed = readline.get_line_buffer()
    prompt = str(getattr(sys, "ps1", ">>> "))
    sys.stdout.write(f"\r\x1b[K{visible(text)}\n{prompt}{typed}")
    sys.stdout.flush()
