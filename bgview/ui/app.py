"""The viewer app: a thin shell around :class:`~bgview.ui.jobs_screen.JobsScreen`.

Everything live lives in the screen so that another app can push the same screen; the app only
sets the look (``bgview.tcss``), turns off what would get in the way (the command palette, a
terminal title), makes sure it never leaves the terminal changed, and can be told to leave
from any thread (:meth:`BgviewApp.request_exit`: the terminal went away).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
from pathlib import Path
from typing import IO, Any

from textual.app import App
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver
from textual.screen import Screen

from bgview.ui.format import Clock
from bgview.ui.jobs_screen import JobsScreen

FREEZE_AFTER = 1.0
"""Seconds after start-up that what it built is frozen out of the collector's way: a full
collection takes tens of milliseconds, and at the first frame the jobs and the log's tail are
still on their way to the next (the last line of a gigabyte log came 50 ms later for it)."""


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
        # The 16 ANSI colours as they are: the terminal's own palette, as a job's output
        # shows in a terminal (the theme's remapping made black text vanish, colour 234).
        super().__init__(ansi_color=True)
        self.jobs_screen = JobsScreen(
            project,
            all_projects=all_projects,
            clock=clock,
            host_mode=host_mode,
            home=home,
            watch=watch,
        )
        self._exit_asked: int | None = None
        self._mounted_loop: asyncio.AbstractEventLoop | None = None

    def on_mount(self) -> None:
        self._mounted_loop = asyncio.get_running_loop()
        if self._exit_asked is not None:  # asked before the app was up
            self.exit(return_code=self._exit_asked)
            return
        # Not at the first frame: the jobs and the log's tail are being read for the next.
        self.set_timer(FREEZE_AFTER, self._freeze_startup_objects)

    def request_exit(self, code: int = 0) -> None:
        """Leave the viewer with ``code``, from any thread, whether it runs yet or not (the
        terminal may go away while it starts)."""
        self._exit_asked = code
        loop = self._mounted_loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the app is over
                loop.call_soon_threadsafe(lambda: self.exit(return_code=code))

    def _freeze_startup_objects(self) -> None:
        """Move what start-up built (Textual, Rich, the first frame) out of the collector's
        way: a full collection then walks only what the viewer allocates since, so it cannot
        stall a frame for tens of milliseconds (the tail latency budget is p99 ≤ 50 ms).

        No collection first: a full one walks every object at ~1 µs each here (60-120 ms with
        a big log open, a stall of its own, and a user may be searching by then), while the
        freeze alone is a splice of the collector's lists. The price is start-up's few
        unreachable cycles, kept for the viewer's life."""
        gc.freeze()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # An attached job's screen takes every key: ctrl+q is the job's there, not quit.
        if action == "quit" and getattr(self.screen, "takes_every_key", False):
            return False
        return super().check_action(action, parameters)

    def get_default_screen(self) -> Screen[Any]:
        """The jobs screen is the app's base: ``esc`` on it never leaves an empty app."""
        return self.jobs_screen

    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        return _HangupSafeDriver if driver is LinuxDriver else driver


class _HangupSafeDriver(LinuxDriver):
    """Textual's Linux driver, writing through a file that takes EIO (a hung-up terminal) as
    nothing to do. Textual's writer thread dies on the first EIO, and the app then blocks for
    good on the writer's full queue: it could never leave."""

    def __init__(self, app: App[Any], **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._file = _HungUpIsFine(self._file)  # type: ignore[assignment]


class _HungUpIsFine:
    """A text file whose writes and flushes swallow EIO, and only EIO."""

    def __init__(self, file: IO[str] | None) -> None:
        assert file is not None, "the viewer needs a terminal on stderr"
        self._file = file

    def write(self, text: str) -> int:
        try:
            return self._file.write(text)
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            return len(text)

    def flush(self) -> None:
        try:
            self._file.flush()
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return self._file.isatty()
