"""The viewer app: a thin shell around :class:`~bgview.ui.jobs_screen.JobsScreen`.

Everything live lives in the screen so that another app can push the same screen; the app only
sets the look (``bgview.tcss``), turns off what would get in the way (the command palette, a
terminal title), and makes sure it never leaves the terminal changed.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen

from bgview.ui.format import Clock
from bgview.ui.jobs_screen import JobsScreen


class BgviewApp(App[int]):
    """``bgview`` with no arguments: the jobs of a project (or of every project)."""

    CSS_PATH = "bgview.tcss"
    TITLE = "bgview"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        project: str | Path | None = None,
        *,
        all_projects: bool = False,
        clock: Clock | None = None,
        host_mode: bool = False,
        home: Path | None = None,
        watch: bool = True,
    ) -> None:
        super().__init__()
        self.jobs_screen = JobsScreen(
            project,
            all_projects=all_projects,
            clock=clock,
            host_mode=host_mode,
            home=home,
            watch=watch,
        )

    def on_mount(self) -> None:
        self.call_after_refresh(self._freeze_startup_objects)

    def _freeze_startup_objects(self) -> None:
        """Move what start-up built (Textual, Rich, the first frame) out of the collector's
        way: a full collection then walks only what the viewer allocates since, so it cannot
        stall a frame for tens of milliseconds (the tail latency budget is p99 ≤ 50 ms)."""
        gc.collect()
        gc.freeze()

    def get_default_screen(self) -> Screen[Any]:
        """The jobs screen is the app's base: ``esc`` on it never leaves an empty app."""
        return self.jobs_screen
