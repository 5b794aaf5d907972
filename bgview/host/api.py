"""The helpers any Python REPL can use to host bgview; ``bgview shell`` is built from them.

>>> from bgview import Session
>>> from bgview.host import (chip_text, drain_notices, open_viewer, print_above_prompt,
...                          running_count)
>>> session = Session()                       # jobs end with this process
>>> for notice in drain_notices(session, "myrepl"):
...     print_above_prompt(notice.text)       # above a running prompt_toolkit prompt
>>> chip_text(running_count(session))         # '⚙ 2 Background Jobs'
>>> await open_viewer(session.path)           # full-screen; returns when the user hits esc

:class:`bgview.host.watch.StoreWatcher` calls back as soon as a job starts or ends, which is
when to recount the chip and drain the notices.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from prompt_toolkit.formatted_text import AnyFormattedText, FormattedText
from prompt_toolkit.shortcuts import print_formatted_text
from prompt_toolkit.styles import BaseStyle

from bgview.runtime import BgviewError, Notice, Runtime
from bgview.runtime.events import chip_text as chip_text
from bgview.runtime.model import JobStatus
from bgview.runtime.text import visible

if TYPE_CHECKING:
    from textual.app import App


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


async def open_viewer(
    project: str | os.PathLike[str] | None = None, *, home: Path | None = None
) -> None:
    """Open the jobs viewer full-screen and return when the user leaves it (``esc``).

    Call it while no prompt is running (after a prompt returned, or from a key binding that
    exits the prompt first): the viewer takes the whole terminal and gives it back as it was,
    scrollback included. Raises :class:`BgviewError` when the viewer cannot be opened.
    """
    try:
        ui = importlib.import_module("bgview.ui")
    except ImportError as exc:
        raise BgviewError(f"the jobs viewer cannot be loaded: {exc}") from None
    make_app: Callable[..., App[object]] | None = getattr(ui, "make_app", None)
    if make_app is None:
        raise BgviewError("the jobs viewer is not built yet (bgview.ui has no make_app)")
    app = make_app(project=project, host_mode=True, home=home)
    await app.run_async()
