"""``bgview attach ID``: this terminal attached to a running job, as tmux attaches one to a
session — every key to the job, its output to the screen, until Ctrl+] detaches.

On start one line names the job and the detach key; then what the job's screen holds now is
drawn (a full-screen program on the alternate screen, as it draws itself), and from there the
job's output is copied to the terminal as it is logged, byte for byte, while the keys typed go
to the job's terminal raw (Ctrl+C is the job's, as in tmux). The job's terminal takes this
terminal's size, and follows it (SIGWINCH); on detaching it gets its own size back, and this
terminal its modes: input as it was, and whatever the job switched on that a shell prompt
must not keep (the alternate screen, mouse reporting, a hidden cursor). A job that ends ends
the attachment, saying how it ended.

The job's side is :class:`~bgview.runtime.attaching.Attachment`, shared with the viewer's
``a``; this module is the user's terminal's side.
"""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass

from bgview.host.terminal import TerminalModes, job_size, keys_raw, window_size, write_all
from bgview.runtime.attaching import DETACH_KEY, Attachment
from bgview.runtime.errors import InvalidRequest
from bgview.runtime.model import Job
from bgview.runtime.present import status_words
from bgview.runtime.store import Project
from bgview.runtime.text import visible

DETACH_SHOWN = "Ctrl+]"
RECORD_LOOK = 0.5
"""Seconds between looks at the job's record when nothing else happens (its end)."""


@dataclass(frozen=True)
class Detached:
    """How an attachment ended."""

    job: Job
    ended: bool
    """The job ended (else the user detached, or the terminal went away)."""


def attach(project: Project, job_id: str, *, stdin_fd: int = 0, stdout_fd: int = 1) -> Detached:
    """Attach the terminal on ``stdin_fd``/``stdout_fd`` to the job until Ctrl+] or its end.

    :class:`InvalidRequest` if the job has ended, or if there is no terminal to attach.
    """
    with Attachment(project, job_id) as attachment:
        if not (os.isatty(stdin_fd) and os.isatty(stdout_fd)):
            raise InvalidRequest("bgview attach needs a terminal: run it in one (stdin and stdout)")
        job = attachment.job
        banner = f"[attached to {job.id}: {visible(job.command)} · detach with {DETACH_SHOWN}]"
        write_all(stdout_fd, banner.encode() + b"\r\n")
        return _Session(attachment, stdin_fd, stdout_fd).run()


class _Session:
    """The copying loop: keys in, output out, the size followed."""

    def __init__(self, attachment: Attachment, stdin_fd: int, stdout_fd: int) -> None:
        self.attachment = attachment
        self.stdin_fd = stdin_fd
        self.stdout_fd = stdout_fd
        self.modes = TerminalModes()

    def run(self) -> Detached:
        self._show_current(self.attachment.seed())
        wake_r, wake_w = os.pipe()
        for fd in (wake_r, wake_w):
            os.set_blocking(fd, False)
        old_wakeup = signal.set_wakeup_fd(wake_w)
        old_handler = signal.signal(signal.SIGWINCH, lambda *_: None)
        try:
            with keys_raw(self.stdin_fd):
                self._resize()
                ended = self._loop(wake_r)
        finally:
            signal.signal(signal.SIGWINCH, old_handler)
            signal.set_wakeup_fd(old_wakeup)
            os.close(wake_r)
            os.close(wake_w)
            restore = self.modes.restore()
            if restore:
                write_all(self.stdout_fd, restore)
        # Before the words that say it is over: whoever reads them may close this terminal
        # at once, and the job must not be left at this terminal's size.
        self.attachment.give_size_back()
        job = self.attachment.job
        if ended:
            end = f"\r\n[{job.id} {status_words(job)}]\r\n"
        else:
            end = f"\r\n[detached from {job.id}: it runs on]\r\n"
        write_all(self.stdout_fd, end.encode())
        return Detached(job, ended)

    def _show_current(self, seed: bytes) -> None:
        """What the job's screen holds now, drawn on this terminal."""
        from bgview.runtime.livescreen import LiveScreen

        screen = LiveScreen(*self.attachment.size_before)
        screen.feed(seed)
        columns, rows = window_size(self.stdout_fd)
        screen.resize(rows, columns)
        if screen.alternate:  # a full-screen program: its screen as it is, redrawn on resize
            self.modes.feed(b"\x1b[?1049h")
            write_all(self.stdout_fd, screen.paint())
            return
        write_all(self.stdout_fd, screen.paint_lines())

    def _resize(self) -> None:
        self.attachment.resize(*job_size(self.stdout_fd))

    def _loop(self, wake_r: int) -> bool:
        """Copy both ways until Ctrl+] (``False``), end of file on the keys (``False``) or
        the job's end (``True``)."""
        attachment = self.attachment
        while True:
            ready, record = attachment.wait(RECORD_LOOK, [self.stdin_fd, wake_r])
            if wake_r in ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_r, 512)
                self._resize()
            if self.stdin_fd in ready and not self._keys():
                return False
            self._output()
            if record and attachment.ended() is not None:
                self._output()  # every byte it wrote is logged before its end is recorded
                return True

    def _keys(self) -> bool:
        """Keys typed, to the job; ``False`` on Ctrl+] or once the terminal is gone."""
        try:
            data = os.read(self.stdin_fd, 4096)
        except BlockingIOError:
            return True
        except OSError:  # EIO: the terminal was hung up
            data = b""
        if not data:
            return False
        cut = data.find(DETACH_KEY)
        keys = data if cut < 0 else data[:cut]
        if keys:
            # It ended as the keys went: its end is told next.
            with contextlib.suppress(InvalidRequest):
                self.attachment.keys(keys)
        return cut < 0

    def _output(self) -> None:
        while data := self.attachment.output():
            write_all(self.stdout_fd, data)
            self.modes.feed(data)
