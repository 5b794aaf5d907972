"""The helpers any Python REPL can use to host bgview; ``bgview shell`` is built from them.

>>> from bgview import Session
>>> from bgview.host import (chip_text, drain_notices, open_viewer, print_above_prompt,
...                          running_count)
>>> session = Session()                       # jobs end with this process
>>> for notice in drain_notices(session, "myrepl"):
...     print_above_prompt(notice.text)       # above a running prompt_toolkit prompt
>>> chip_text(running_count(session))         # '⚙ 2 Background Jobs'
>>> await open_viewer(session.path)           # full-screen; returns when the user hits esc
>>> open_viewer_sync(session.path)            # the same from a synchronous REPL

:class:`bgview.host.watch.JobsWatch` (a thread; :class:`~bgview.host.watch.StoreWatcher` in
an asyncio loop) calls back as soon as a job starts or ends, which is when to recount the chip
and show the notices; :class:`bgview.host.notices.PromptNotices` prints them only while the
prompt is idle, never over the viewer.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from prompt_toolkit.formatted_text import AnyFormattedText, FormattedText
from prompt_toolkit.shortcuts import print_formatted_text
from prompt_toolkit.styles import BaseStyle

from bgview.host.hangup import EXIT_HANGUP, TerminalGuard
from bgview.runtime import BgviewError, Notice, Runtime
from bgview.runtime.events import chip_text as chip_text
from bgview.runtime.model import JobStatus
from bgview.runtime.text import visible

if TYPE_CHECKING:
    from bgview.ui.app import BgviewApp

_viewers: list[BgviewApp] = []
"""The viewers this process has open (one, but a REPL could nest them)."""
_viewers_lock = threading.Lock()


class RunningJobs:
    """Counts a project's running jobs cheaply: an ended job never runs again, so only the
    records not yet seen ended are read on each :meth:`count`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._ended: set[str] = set()

    def count(self) -> int:
        project = self.runtime.project
        running = 0
        for job_id in project.job_ids():
            if job_id in self._ended:
                continue
            try:
                job = project.load(job_id)
            except BgviewError:  # a record being written right now, or removed by prune
                continue
            if job.status is JobStatus.RUNNING:
                running += 1
            else:
                self._ended.add(job_id)
        return running


def running_count(runtime: Runtime) -> int:
    """How many of the project's jobs are running now (for the chip)."""
    return RunningJobs(runtime).count()


def drain_notices(runtime: Runtime, consumer: str) -> list[Notice]:
    """The completion notices ``consumer`` has not been given, oldest first, each once.

    A consumer seen for the first time starts now: a new REPL does not replay old jobs.
    """
    return runtime.notices(consumer, from_now=True)


def default_consumer() -> str:
    """A consumer name of this process's own (``repl-<pid>``)."""
    return f"repl-{os.getpid()}"


def print_above_prompt(
    text: AnyFormattedText, style: str = "", *, sheet: BaseStyle | None = None
) -> None:
    """Print a line above the running prompt_toolkit prompt, leaving what the user has half
    typed untouched (prompt_toolkit erases the prompt, prints, and draws it again). With no
    prompt running, it simply prints.

    ``style`` applies to a plain string (``"ansiyellow"``, or ``"class:notice"`` with a
    ``sheet`` that defines it). A plain string is one line, shown
    :func:`~bgview.runtime.text.visible`: a notice can quote a job's reason, and no escape
    sequence in it may reach the terminal.
    """
    if isinstance(text, str):
        text = FormattedText([(style, visible(text))])
    print_formatted_text(text, style=sheet)


def viewer_is_open() -> bool:
    """Whether this process shows the viewer now: nothing else may draw on the terminal."""
    with _viewers_lock:
        return bool(_viewers)


def exit_viewers(code: int = 0) -> None:
    """Close every viewer this process has open (the terminal went away); any thread."""
    with _viewers_lock:
        apps = list(_viewers)
    for app in apps:
        app.request_exit(code)


async def open_viewer(
    project: str | os.PathLike[str] | None = None, *, home: Path | None = None
) -> None:
    """Open the jobs viewer full-screen and return when the user leaves it (``esc``).

    Call it while no prompt is running (after a prompt returned, or from a key binding that
    exits the prompt first): the viewer takes the whole terminal and gives it back as it was,
    scrollback included. It also returns when the terminal goes away. Raises
    :class:`BgviewError` when the viewer cannot be opened.
    """
    app = _make_viewer(project, home)
    with _showing(app):
        await app.run_async()


def open_viewer_sync(
    project: str | os.PathLike[str] | None = None, *, home: Path | None = None
) -> None:
    """:func:`open_viewer` for a synchronous REPL (the plain Python one, IPython, a
    ``PromptSession.prompt()`` loop): the viewer runs its own event loop until ``esc``.

    Raises :class:`BgviewError` when an asyncio loop runs in this thread (``await
    open_viewer(...)`` there) or the viewer cannot be opened.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise BgviewError("an asyncio loop runs here: use `await open_viewer(...)` instead")
    app = _make_viewer(project, home)
    with _showing(app):
        app.run()


def _make_viewer(project: str | os.PathLike[str] | None, home: Path | None) -> BgviewApp:
    try:
        ui = importlib.import_module("bgview.ui")
    except ImportError as exc:
        raise BgviewError(f"the jobs viewer cannot be loaded: {exc}") from None
    make_app: Callable[..., BgviewApp] = ui.make_app
    return make_app(project=project, host_mode=True, home=home)


@contextlib.contextmanager
def _showing(app: BgviewApp) -> Iterator[None]:
    """The viewer is open for the block: notices wait, and a terminal that goes away (even
    unannounced: no SIGHUP under make or nohup) closes it. SIGHUP and a deadline are the
    host's business: this may run inside someone else's REPL."""
    guard = TerminalGuard(lambda: app.request_exit(EXIT_HANGUP), deadline=None, sighup=False)
    with _viewers_lock:
        _viewers.append(app)
    try:
        with guard:
            yield
    finally:
        with _viewers_lock:
            _viewers.remove(app)
