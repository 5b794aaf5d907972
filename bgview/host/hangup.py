"""Knowing that the terminal went away, so that a face leaves (and its jobs end) with it.

A terminal goes away when its window is closed, an ssh connection drops or ``tmux
kill-session`` runs: the pty's other end is closed. The kernel tells only the session's leader,
with SIGHUP. A face started through a wrapper is often not that leader, or never hears it:
``make demo`` (make leads the session and does not pass SIGHUP on), ``nohup`` (SIGHUP
ignored), a script. What is left is the terminal itself: ``poll`` reports POLLHUP on it, a read
returns end of file, a write fails with EIO. Textual's input thread and prompt_toolkit's reader
take a hung-up descriptor for one that is always readable and spin on it at 100 % of a core.

:class:`TerminalGuard` watches for both signs: a thread blocked in ``poll`` on the terminal
asking for no event at all (only POLLHUP and POLLERR wake it: it costs nothing and takes no
key from the face), and a SIGHUP handler (unless SIGHUP is ignored: that choice stands while
the terminal stays). When the terminal is gone, stdout and stderr are pointed at /dev/null,
so that whatever the face still writes on its way out succeeds instead of raising EIO
somewhere unforeseen, and ``on_hangup`` is called once, from the guard's thread (or the SIGHUP
handler). Should the process still be there ``deadline`` seconds later (a thread stuck on the
dead terminal), ``last_resort`` runs, by default ``os._exit(129)``: the jobs a session owns end
anyway, their supervisors watch it through a pidfd. Stdlib only: the viewer imports it too.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import stat
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

EXIT_HANGUP = 128 + signal.SIGHUP
"""The exit status of a face whose terminal went away (as a shell's: 129)."""
DEADLINE = 1.5
"""Seconds a face has to leave after its terminal went away (the promise is 2 s)."""
_GONE = select.POLLHUP | select.POLLERR


def _exit_now() -> None:
    os._exit(EXIT_HANGUP)


class TerminalGuard:
    """Calls ``on_hangup`` once when the terminal on ``fd`` goes away or SIGHUP arrives.

    Use it as a context manager around the face's run (or :meth:`start` and :meth:`stop`).
    Nothing is watched when ``fd`` is no terminal. A helper run inside someone else's REPL
    sets no deadline (``deadline=None``: it must not end that process) and leaves SIGHUP to
    its host (``sighup=False``).
    """

    def __init__(
        self,
        on_hangup: Callable[[], None],
        *,
        fd: int = 0,
        deadline: float | None = DEADLINE,
        last_resort: Callable[[], None] = _exit_now,
        sighup: bool = True,
    ) -> None:
        self.on_hangup = on_hangup
        self.sighup = sighup
        self.fd = fd
        self.deadline = deadline
        self.last_resort = last_resort
        self.hung_up = threading.Event()
        """Set once the hangup was seen (and ``on_hangup`` called)."""
        self._firing = threading.Lock()
        self._wake_r = self._wake_w = -1
        self._thread: threading.Thread | None = None
        self._previous: Callable[[int, FrameType | None], Any] | int | None = None
        self._outputs: list[int] = []

    def start(self) -> TerminalGuard:
        terminal = _device(self.fd)
        if terminal is None:
            return self
        # stdout and stderr are silenced at hangup only if they are this same terminal: a face
        # whose stderr goes to a file keeps writing there.
        self._outputs = [fd for fd in (1, 2) if fd != self.fd and _device(fd) == terminal]
        if self.fd in (1, 2):
            self._outputs.append(self.fd)
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._watch, name="bgview-hangup", daemon=True)
        self._thread.start()
        main = threading.current_thread() is threading.main_thread()
        if self.sighup and main and signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
            self._previous = signal.signal(signal.SIGHUP, self._on_sighup)
        return self

    def stop(self) -> None:
        """Stop watching (the face is leaving by itself); the deadline, if running, stays."""
        if self._previous is not None:
            with contextlib.suppress(ValueError):  # not the main thread: leave it be
                signal.signal(signal.SIGHUP, self._previous)
            self._previous = None
        if self._thread is not None:
            os.write(self._wake_w, b"x")
            if self._thread is not threading.current_thread():
                self._thread.join(1.0)
            self._thread = None
            os.close(self._wake_r)
            os.close(self._wake_w)

    def __enter__(self) -> TerminalGuard:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def check(self) -> bool:
        """Look now, without waiting: ``True`` (and the hangup handled) if the terminal is
        gone. For a face that just read end of file and must tell a closed terminal from
        Ctrl+D."""
        if self.hung_up.is_set():
            return True
        if _gone(self.fd):
            self._fire(silence=True)
            return True
        return False

    # ---- the watch ----------------------------------------------------------------------------

    def _watch(self) -> None:
        poller = select.poll()
        poller.register(self.fd, 0)  # no events asked for: only POLLHUP and POLLERR come
        poller.register(self._wake_r, select.POLLIN)
        while True:
            for fd, mask in poller.poll():
                if fd == self._wake_r:
                    return
                if mask & select.POLLNVAL:  # the face closed the descriptor: nothing to watch
                    return
                if mask & _GONE:
                    self._fire(silence=True)
                    return

    def _on_sighup(self, signum: int, frame: FrameType | None) -> None:
        # The kernel hangs the terminal up before it signals, so a real hangup shows here; a
        # `kill -HUP` with the terminal alive leaves it to the face to restore on its way out.
        self._fire(silence=_gone(self.fd))

    def _fire(self, *, silence: bool) -> None:
        # Not blocking: the SIGHUP handler may run in the middle of check() on the same thread.
        if not self._firing.acquire(blocking=False):
            return
        if self.hung_up.is_set():
            return
        self.hung_up.set()
        if silence:
            self._silence()
        if self.deadline is not None:
            timer = threading.Timer(self.deadline, self.last_resort)
            timer.daemon = True
            timer.start()
        self.on_hangup()

    def _silence(self) -> None:
        """Point the dead terminal's outputs at /dev/null: writes succeed from now on."""
        if not self._outputs:
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            for fd in self._outputs:
                os.dup2(null, fd)
        finally:
            os.close(null)


def _device(fd: int) -> int | None:
    """The terminal device behind ``fd``, or ``None`` if it is none. ``fstat``, not ``isatty``:
    a hung-up terminal fails every terminal ioctl, but is still the same device."""
    try:
        info = os.fstat(fd)
    except OSError:
        return None
    if not stat.S_ISCHR(info.st_mode) or not os.isatty(fd):
        return None
    return info.st_rdev


def _gone(fd: int) -> bool:
    """Whether the terminal on ``fd`` was hung up (its other end closed)."""
    poller = select.poll()
    poller.register(fd, 0)
    try:
        ready = poller.poll(0)
    except OSError:
        return False
    return any(mask & _GONE for _, mask in ready)
