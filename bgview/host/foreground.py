"""Running a command in the foreground *through the runtime*: it has an id and a log like any
background job, while the user sees its output live and types into it.

Output is streamed from the job's ``output.log`` the moment the supervisor appends to it
(inotify on the job's directory; a 5 ms poll where inotify is missing). Keys go to the job's
pty through its ``stdin`` FIFO, byte for byte: Ctrl+C is ``\\x03`` there, and the job's own line
discipline makes it SIGINT for the job's foreground group. Two keys stay with the REPL:
Ctrl+B (and Ctrl+Z, which would otherwise stop the job with nobody left to continue it) send
the job to the background: streaming stops, the prompt comes back, the job runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass

from bgview.host.inotify import DirWatch, open_watch
from bgview.host.terminal import TerminalModes, keys_raw, window_size, write_all
from bgview.runtime import BgviewError, InvalidRequest, Job, Runtime

BACKGROUND_KEYS = (b"\x02", b"\x1a")
"""Ctrl+B, Ctrl+Z: send the foreground job to the background."""
POLL = 0.005
"""Seconds between looks at the log when inotify is not available."""
HEALTH_CHECK = 0.5
"""Seconds between fresh looks at the job's record even when nothing changed: a supervisor
that vanished writes nothing, and only loading the job records it ``lost``."""
INPUT_RETRY = 0.01
PEEK_BYTES = 1 << 20
"""The most one peek returns (the runtime's limit): a burst is shown in slices of this."""


@dataclass(frozen=True)
class Outcome:
    """How a foreground run ended."""

    job: Job
    """The job as last seen (ended, or running on in the background)."""
    backgrounded: bool
    """The user sent it to the background (Ctrl+B)."""
    ended_mid_line: bool
    """The last byte shown was not a newline: the next line must start on a fresh one."""


class Foreground:
    """Stream one job to the terminal and the terminal's keys to the job, until it ends or
    the user backgrounds it. Use :meth:`run` once."""

    def __init__(self, runtime: Runtime, job: Job, *, stdin_fd: int = 0, stdout_fd: int = 1):
        self.runtime = runtime
        self.job = job
        self.stdin_fd = stdin_fd
        self.stdout_fd = stdout_fd
        self.offset = 0
        """Logical offset of the next byte of the log to show."""
        self.last_byte = b"\n"
        self.modes = TerminalModes()
        self.pending_input = b""
        self._retry: asyncio.TimerHandle | None = None
        self._done: asyncio.Future[bool] | None = None

    async def run(self) -> Outcome:
        """Show the job until it ends (``backgrounded=False``) or Ctrl+B (``True``)."""
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        watch = open_watch([self.job.dir])
        with keys_raw(self.stdin_fd):
            loop.add_reader(self.stdin_fd, self._guarded, self._on_keys)
            loop.add_signal_handler(signal.SIGWINCH, self._guarded, self._on_resize)
            if watch is not None:
                loop.add_reader(watch.fileno(), self._guarded, lambda: self._on_change(watch))
            ticker = asyncio.create_task(self._tick(POLL if watch is None else HEALTH_CHECK))
            try:
                self._pump()
                self._check_end()
                backgrounded = await self._done
            finally:
                ticker.cancel()
                loop.remove_reader(self.stdin_fd)
                loop.remove_signal_handler(signal.SIGWINCH)
                if self._retry is not None:
                    self._retry.cancel()
                if watch is not None:
                    loop.remove_reader(watch.fileno())
                    watch.close()
                restore = self.modes.restore()
                if restore:
                    write_all(self.stdout_fd, restore)
        return Outcome(self.job, backgrounded, self.last_byte != b"\n")

    # ---- output ---------------------------------------------------------------------------

    def _on_change(self, watch: DirWatch) -> None:
        names = {name for _, name in watch.read()}
        if not names or names & {"output.log", ""}:
            self._pump()
        if names & {"meta.json", "ended", ""}:
            self._check_end()

    async def _tick(self, interval: float) -> None:
        while not self._finished():
            await asyncio.sleep(interval)
            self._guarded(self._pump)
            self._guarded(self._check_end)

    def _guarded(self, step: Callable[[], None]) -> None:
        """Run a loop callback; an error ends the run with it (raised from :meth:`run`)
        rather than being logged by asyncio while :meth:`run` waits forever."""
        try:
            step()
        except (BgviewError, OSError) as exc:
            if self._done is not None and not self._done.done():
                self._done.set_exception(exc)

    def _pump(self) -> None:
        """Show every byte logged since the last call."""
        if self._finished():
            return
        while True:
            peek = self.runtime.peek(self.job.id, offset=self.offset, tail=PEEK_BYTES)
            if not peek.data:
                return
            write_all(self.stdout_fd, peek.data)
            self.modes.feed(peek.data)
            self.last_byte = peek.data[-1:]
            self.offset = peek.end

    def _check_end(self) -> None:
        if self._finished():
            return
        job = self.runtime.job(self.job.id)
        self.job = job
        if job.status.ended:
            self._pump()  # the supervisor logs every byte before it records the end
            self._finish(backgrounded=False)

    # ---- input ----------------------------------------------------------------------------

    def _on_keys(self) -> None:
        try:
            data = os.read(self.stdin_fd, 4096)
        except BlockingIOError:
            return
        except OSError:  # EIO: the terminal was hung up; the job runs on, unwatched
            data = b""
        if not data:  # the terminal went away
            self._finish(backgrounded=True)
            return
        cut = min((i for i in (data.find(k) for k in BACKGROUND_KEYS) if i >= 0), default=-1)
        if cut >= 0:
            self.pending_input += data[:cut]
            self._send_input()
            self._pump()
            self._finish(backgrounded=True)
            return
        self.pending_input += data
        self._send_input()

    def _send_input(self) -> None:
        """Hand the typed bytes to the job; retry shortly if its supervisor is not listening
        yet (a job a few milliseconds old), drop them once the job has ended."""
        self._retry = None
        if not self.pending_input or self._finished():
            return
        try:
            self.runtime.write_stdin(self.job.id, self.pending_input)
        except InvalidRequest:
            if self.runtime.job(self.job.id).running:
                loop = asyncio.get_running_loop()
                self._retry = loop.call_later(INPUT_RETRY, self._guarded, self._send_input)
            else:
                self.pending_input = b""
            return
        self.pending_input = b""

    def _on_resize(self) -> None:
        """The user's window changed size: so does the job's terminal (and it gets SIGWINCH)."""
        if self._finished():
            return
        columns, rows = window_size(self.stdout_fd)
        with contextlib.suppress(BgviewError):  # it ended meanwhile: nothing to resize
            self.runtime.resize(self.job.id, columns, rows)

    # ---- ending ---------------------------------------------------------------------------

    def _finished(self) -> bool:
        return self._done is None or self._done.done()

    def _finish(self, *, backgrounded: bool) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(backgrounded)
