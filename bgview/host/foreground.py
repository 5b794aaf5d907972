"""Running a command in the foreground *through the runtime*: it has an id and a log like any
background job, while the user sees its output live and types into it.

Output is streamed from the job's ``output.log`` as soon as the supervisor appends to it:
the kernel wakes us (inotify on the job's directory, :mod:`bgview.runtime.inotify`, in the
event loop), so a quiet job costs nothing and a line is shown within microseconds of being
written; a 5 ms poll takes over where the file system cannot be watched. Keys go to the job's
pty through its ``stdin`` FIFO, byte for byte: Ctrl+C is ``\\x03`` there, and the job's own
line discipline makes it SIGINT for the job's foreground group. Two keys stay with the REPL:
Ctrl+B (and Ctrl+Z, which would otherwise stop the job with nobody left to continue it) send
the job to the background: streaming stops, the prompt comes back, the job runs on.

Keys the job does not read are the next prompt's (:mod:`bgview.host.typeahead`): once the
job's leader exits, what it left in its pty's input is taken back, and keys typed from then on
stay in the user's terminal. End of file on the keys means the terminal went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from bgview.host.terminal import TerminalModes, job_size, keys_raw, write_all
from bgview.host.typeahead import JobTerminal
from bgview.runtime import BgviewError, InvalidRequest, Job, Runtime
from bgview.runtime.inotify import Inotify
from bgview.runtime.journal import ENDED, META
from bgview.runtime.record import JobFiles
from bgview.runtime.store import LOG

BACKGROUND_KEYS = (b"\x02", b"\x1a")
"""Ctrl+B, Ctrl+Z: send the foreground job to the background."""
POLL = 0.005
"""Seconds between looks at the log when the job's directory cannot be watched."""
HEALTH_CHECK = 0.5
"""Seconds between fresh looks at the job's record even when nothing changed: a supervisor
that vanished writes nothing, and only loading the job records it ``lost``. It also catches
anything written before the watch was up."""
FOLLOWER_GRACE = 1.0
"""How long the end of a run waits for the follower to return once told to stop."""
EVERYTHING = frozenset({LOG, META, JobFiles.STATE, ENDED})
"""What to look at again when the kernel says events were lost (its queue overflowed)."""
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
    shown: int
    """Logical offset just after the last byte shown: the user has seen the log up to here."""
    typeahead: bytes = b""
    """Keys typed that the job did not read, oldest first: the next prompt's input."""
    hung_up: bool = False
    """The terminal went away (end of file on the keys)."""


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
        self.polling = False
        """The job's directory could not be watched: the log is polled every :data:`POLL`."""
        self.terminal: JobTerminal | None = None
        """The job's pty, held to take back what it did not read (once its pid is known)."""
        self.attached = False
        """Whether keys may go to the job: its pty is held, or could not be (then they go
        anyway, as before there was type-ahead)."""
        self.reading = True
        """Keys are read from the terminal (not once the job's leader has exited)."""
        self.typeahead = b""
        self.hung_up = False
        self._retry: asyncio.TimerHandle | None = None
        self._done: asyncio.Future[bool] | None = None

    async def run(self) -> Outcome:
        """Show the job until it ends (``backgrounded=False``) or Ctrl+B (``True``)."""
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        stop = asyncio.Event()
        with keys_raw(self.stdin_fd):
            loop.add_reader(self.stdin_fd, self._guarded, self._on_keys)
            loop.add_signal_handler(signal.SIGWINCH, self._guarded, self._on_resize)
            follower = asyncio.create_task(self._follow(stop))
            follower.add_done_callback(self._follower_done)
            ticker = asyncio.create_task(self._tick())
            try:
                # One turn of the loop lets the follower set its watch up (watchfiles adds it
                # before its first wait), so the first look misses nothing written after it.
                await asyncio.sleep(0)
                self._pump()
                self._check_end()
                backgrounded = await self._done
            finally:
                stop.set()  # the watch loop wakes and returns
                ticker.cancel()
                self._stop_reading()
                loop.remove_signal_handler(signal.SIGWINCH)
                if self._retry is not None:
                    self._retry.cancel()
                if self.terminal is not None:
                    loop.remove_reader(self.terminal.leader)
                    loop.remove_reader(self.terminal.fd)
                    self.terminal.close()
                await asyncio.wait([follower], timeout=FOLLOWER_GRACE)
                restore = self.modes.restore()
                if restore:
                    write_all(self.stdout_fd, restore)
        if not backgrounded:  # keys not yet handed to the job were typed ahead too
            self.typeahead += self.pending_input
        return Outcome(
            self.job,
            backgrounded,
            self.last_byte != b"\n",
            self.offset,
            typeahead=self.typeahead,
            hung_up=self.hung_up,
        )

    # ---- output ---------------------------------------------------------------------------

    async def _follow(self, stop: asyncio.Event) -> None:
        """Look at the log and the record whenever the job's directory changes; poll the log
        instead where the directory cannot be watched."""
        try:
            async for names in watch_dir(self.job.dir, stop):
                if LOG in names:
                    self._guarded(self._pump)
                if names & {META, JobFiles.STATE, ENDED}:
                    self._guarded(self._check_end)
            return
        except OSError:
            # No inotify here, or no instances or watches left (Unwatchable), or the job's
            # directory is gone.
            self.polling = True
        while not stop.is_set():
            self._guarded(self._pump)
            self._guarded(self._check_end)
            await asyncio.sleep(POLL)

    def _follower_done(self, follower: asyncio.Task[None]) -> None:
        """A follower that failed in an unforeseen way ends the run with its error, rather
        than leaving the job to a twice-a-second look."""
        error = None if follower.cancelled() else follower.exception()
        if error is not None and self._done is not None and not self._done.done():
            self._done.set_exception(error)

    async def _tick(self) -> None:
        """Look at the record now and then even when nothing changed (see HEALTH_CHECK)."""
        while not self._finished():
            await asyncio.sleep(HEALTH_CHECK)
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
        elif job.pid and not self.attached:
            self._attach(job.pid)

    # ---- the job's terminal (type-ahead) --------------------------------------------------

    def _attach(self, pid: int) -> None:
        """Hold the job's pty and watch its leader; keys held back so far go to it now."""
        self.attached = True
        try:
            self.terminal = JobTerminal.open(pid, self.job.supervisor_pid)
        except ProcessLookupError:  # the leader is gone already: the keys are the prompt's
            self._stop_reading()
            return
        if self.terminal is not None:
            loop = asyncio.get_running_loop()
            loop.add_reader(self.terminal.leader, self._guarded, self._on_leader_exit)
        self._send_input()

    def _on_leader_exit(self) -> None:
        """The job's leader exited: what it left unread in its pty is typed ahead, and keys
        from now on stay in the user's terminal, for the prompt."""
        terminal = self.terminal
        assert terminal is not None
        loop = asyncio.get_running_loop()
        loop.remove_reader(terminal.leader)
        self._stop_reading()
        self.typeahead += terminal.take_unread()
        loop.add_reader(terminal.fd, self._guarded, self._on_late_keys)

    def _on_late_keys(self) -> None:
        """Keys that reached the job's pty after its leader exited: typed ahead as well."""
        assert self.terminal is not None
        late = self.terminal.read_late()
        if late is None:  # the pty is gone
            asyncio.get_running_loop().remove_reader(self.terminal.fd)
        else:
            self.typeahead += late

    # ---- input ----------------------------------------------------------------------------

    def _stop_reading(self) -> None:
        if self.reading:
            self.reading = False
            asyncio.get_running_loop().remove_reader(self.stdin_fd)

    def _on_keys(self) -> None:
        try:
            data = os.read(self.stdin_fd, 4096)
        except BlockingIOError:
            return
        except OSError:  # EIO: the terminal was hung up
            data = b""
        if not data:  # the terminal went away: the shell leaves, and its jobs end with it
            self.hung_up = True
            self._stop_reading()
            self._finish(backgrounded=True)
            return
        cut = min((i for i in (data.find(k) for k in BACKGROUND_KEYS) if i >= 0), default=-1)
        if cut >= 0:
            self.pending_input += data[:cut]
            self.typeahead += data[cut + 1 :]  # typed after Ctrl+B: for the prompt
            self.attached = True  # what came before is the job's: it runs on
            self._send_input()
            self._pump()
            self._finish(backgrounded=True)
            return
        if self.reading and self.terminal is not None and self.terminal.leader_exited():
            self._on_leader_exit()  # these keys came after: the prompt's, not the pty's
        self.pending_input += data
        self._send_input()

    def _send_input(self) -> None:
        """Hand the typed bytes to the job; retry shortly if its supervisor is not listening
        yet (a job a few milliseconds old). Until the job's pty is held they wait; once its
        leader has exited, or the job has ended, they stay: typed ahead, for the prompt."""
        self._retry = None
        if not self.pending_input or self._finished() or not self.attached:
            return
        if not self.reading:  # the leader has exited: nobody is left to read them
            return
        try:
            self.runtime.write_stdin(self.job.id, self.pending_input)
        except InvalidRequest:
            if self.runtime.job(self.job.id).running:
                loop = asyncio.get_running_loop()
                self._retry = loop.call_later(INPUT_RETRY, self._guarded, self._send_input)
            return  # ended: they stay pending, and are typed ahead
        self.pending_input = b""

    def _on_resize(self) -> None:
        """The user's window changed size: so does the job's terminal (and it gets SIGWINCH)."""
        if self._finished():
            return
        columns, rows = job_size(self.stdout_fd)
        with contextlib.suppress(BgviewError):  # it ended meanwhile: nothing to resize
            self.runtime.resize(self.job.id, columns, rows)

    # ---- ending ---------------------------------------------------------------------------

    def _finished(self) -> bool:
        return self._done is None or self._done.done()

    def _finish(self, *, backgrounded: bool) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(backgrounded)


async def watch_dir(directory: Path, stop: asyncio.Event) -> AsyncIterator[set[str]]:
    """The names of the files in ``directory`` that changed, batch by batch, until ``stop``.

    The kernel wakes the event loop (an inotify descriptor in ``add_reader``): nothing runs
    while the job is quiet, and a change is handed over as soon as it happens, as ``tail -f``
    has it. What queued up meanwhile is one batch. Not recursive: the read cursors below the
    job's directory are none of the streamer's business. Raises :class:`OSError`
    (:class:`~bgview.runtime.inotify.Unwatchable`) when the directory cannot be watched.
    """
    notify = Inotify()
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    try:
        notify.add(directory)
        loop.add_reader(notify.fd, wake.set)
        stopper = asyncio.ensure_future(_set_on(stop, wake))
        try:
            while True:
                await wake.wait()
                wake.clear()
                if stop.is_set():
                    return
                changes = list(notify.read())
                if any(change.overflow for change in changes):
                    yield set(EVERYTHING)
                elif changes:
                    yield {change.name for change in changes if change.name}
        finally:
            stopper.cancel()
            loop.remove_reader(notify.fd)
    finally:
        notify.close()


async def _set_on(stop: asyncio.Event, wake: asyncio.Event) -> None:
    """Wake the watch loop when ``stop`` is set."""
    await stop.wait()
    wake.set()
