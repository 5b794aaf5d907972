"""The Textual viewer: a job table, a live log that opens a gigabyte at its tail, toasts.

``make_app`` is the one factory the CLI, the tests and the host REPL use; ``JobsScreen`` can be
pushed inside any other Textual app. The chip text lives in :mod:`bgview.runtime.events`
(no Textual import) and is re-exported here.
"""

from __future__ import annotations

from pathlib import Path

from bgview.runtime.events import chip_text
from bgview.ui import _frames  # noqa: F401 - must run before the first Textual import
from bgview.ui.app import BgviewApp
from bgview.ui.format import Clock
from bgview.ui.job_screen import JobScreen
from bgview.ui.jobs_screen import JobsScreen

__all__ = ["BgviewApp", "JobScreen", "JobsScreen", "chip_text", "make_app", "run_viewer"]


def make_app(
    project: str | Path | None = None,
    *,
    all_projects: bool = False,
    clock: Clock | None = None,
    host_mode: bool = False,
    home: Path | None = None,
) -> BgviewApp:
    """The viewer app. ``clock`` (a ``time.time`` stand-in) freezes runtimes for snapshots;
    ``host_mode`` makes ``esc`` on the table return to the REPL that opened it."""
    return BgviewApp(
        project, all_projects=all_projects, clock=clock, host_mode=host_mode, home=home
    )


def run_viewer(project: str | None = None, all_projects: bool = False) -> int:
    """``bgview``: open the viewer full-screen until ``q``; returns the exit status.

    It leaves when its terminal goes away, also when a wrapper (make, nohup) kept SIGHUP
    from it (:class:`~bgview.host.hangup.TerminalGuard`)."""
    from bgview.host.hangup import EXIT_HANGUP, TerminalGuard

    app = make_app(project, all_projects=all_projects)
    with TerminalGuard(lambda: app.request_exit(EXIT_HANGUP)):
        app.run()
    return app.return_code or 0
