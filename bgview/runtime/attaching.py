"""A terminal attached to a running job, as tmux attaches one to a session: the job's output
as it grows, the keys typed going to it, and its terminal taking the attached one's size.

Both faces that attach use this: ``bgview attach`` (the user's own terminal, raw) and the
viewer's ``a`` (an emulated screen in the viewer's pane). Output comes from ``output.log``,
read by logical offset as the supervisor appends to it; the job's directory is watched with
inotify (:mod:`bgview.runtime.inotify`), so a keystroke's echo is read microseconds after the
supervisor wrote it, and looked at every :data:`POLL` seconds where it cannot be watched.
While watched, the log stays open and is read only when inotify says it grew (one ``pread``
per change: a key's echo is a handful of system calls end to end, each of which counts on a
slow machine); it is opened afresh only when it is replaced (a trim, a log deleted by hand:
``output.log`` or ``log.state`` created, moved or deleted), or when events were lost. Keys
go through the one write path into a job (:class:`~bgview.runtime.control.JobInput`), held
open for the whole attachment. The size the job's terminal had when the attachment began is
given back when it ends.
"""

from __future__ import annotations

import contextlib
import os
import select
from collections.abc import Sequence

from bgview.runtime import control
from bgview.runtime.emulation import job_size
from bgview.runtime.errors import BgviewError, InvalidRequest
from bgview.runtime.inotify import IN_MODIFY, Change, Inotify, Unwatchable
from bgview.runtime.jobpty import clamp_size, tty_mode
from bgview.runtime.logstate import consistent_read
from bgview.runtime.model import Job
from bgview.runtime.record import JobFiles
from bgview.runtime.store import Project

DETACH_KEY = b"\x1d"
"""Ctrl+] (as telnet's escape): ends the attachment, never sent to the job."""
DETACH_NAME = "ctrl+]"
SEED_BYTES = 256 * 1024
"""How much of the log's end is replayed to show what the job's screen holds now."""
READ_BYTES = 1 << 20
"""The most one look at the log returns (a burst is handed over in slices of this)."""
POLL = 0.01
"""Seconds between looks at the log where the job's directory cannot be watched."""
_RECORD = frozenset({JobFiles.RESULT, JobFiles.STATE, JobFiles.CLAIM, JobFiles.META})
_LOG, _LOG_STATE = str(JobFiles.LOG), str(JobFiles.LOG_STATE)


class Attachment:
    """One attachment to a running job; :meth:`close` it (or use it as a context manager).

    :class:`InvalidRequest` if the job has ended: there is nothing to attach to.
    """

    def __init__(self, project: Project, job_id: str) -> None:
        job = project.load(job_id)
        if job.status.ended:
            raise InvalidRequest(
                f"{job_id} has ended ({job.status.value}); there is nothing to attach to"
            )
        self.project = project
        self.job = job
        self.offset = 0
        """Logical offset of the next byte of output to hand over."""
        mode = tty_mode(job)
        self.size_before: tuple[int, int] = (
            (mode.columns, mode.rows) if mode is not None else job_size(job.dir)
        )
        """The job's terminal size when the attachment began: given back at the end."""
        self.size = self.size_before
        self.input = control.JobInput.open(project, job_id)
        self._log: tuple[int, int] | None = None
        """The log held open while watched, and the logical offset of its first byte."""
        self._grown = True
        """The log may hold bytes not handed over yet (always, while unwatched)."""
        self._notify: Inotify | None = None
        try:
            self._notify = Inotify()
            self._notify.add(job.dir)
        except (Unwatchable, FileNotFoundError):
            if self._notify is not None:
                self._notify.close()
            self._notify = None

    @property
    def watched(self) -> bool:
        """The job's directory is watched (else it is looked at every :data:`POLL`)."""
        return self._notify is not None

    def seed(self) -> bytes:
        """The end of the output, from a line's start: what to replay to show the job's
        screen as it is now. Output is handed over from just after it."""

        def take(fd: int, dropped: int) -> tuple[bytes, int]:
            size = os.fstat(fd).st_size if fd >= 0 else 0
            start = max(0, size - SEED_BYTES)
            data = os.pread(fd, size - start, start) if fd >= 0 and size > start else b""
            if start > 0:
                data = data[data.find(b"\n") + 1 :]
            return data, dropped + size

        data, self.offset = consistent_read(self.job.dir, take)
        return data

    def output(self) -> bytes:
        """What the job wrote since the last call (at most :data:`READ_BYTES`); ``b""``
        without a look at the log while watched and nothing has changed it."""
        if not self._grown:
            return b""
        if self._notify is None:
            return self._output_afresh()
        if self._log is None:
            self._log = consistent_read(self.job.dir, self._hold)
        fd, dropped = self._log
        if fd < 0:  # no log yet: its creation is an event
            self._forget_log()
            self._grown = False
            return b""
        start = max(self.offset, dropped)
        data = os.pread(fd, READ_BYTES, start - dropped)
        self.offset = start + len(data)
        self._grown = len(data) == READ_BYTES
        return data

    def _hold(self, fd: int, dropped: int) -> tuple[int, int]:
        """The log (``consistent_read`` closes the descriptor it gives: this one is ours)."""
        return (os.dup(fd) if fd >= 0 else -1), dropped

    def _output_afresh(self) -> bytes:
        """The log opened and read for one look (unwatched: it may be replaced any time)."""

        def take(fd: int, dropped: int) -> tuple[bytes, int]:
            size = os.fstat(fd).st_size if fd >= 0 else 0
            start = min(max(self.offset, dropped), dropped + size)
            stop = min(start + READ_BYTES, dropped + size)
            data = os.pread(fd, stop - start, start - dropped) if stop > start else b""
            return data, start + len(data)

        data, self.offset = consistent_read(self.job.dir, take)
        return data

    def _forget_log(self) -> None:
        if self._log is not None:
            if self._log[0] >= 0:
                os.close(self._log[0])
            self._log = None

    def wait(self, timeout: float | None, fds: Sequence[int] = ()) -> tuple[list[int], bool]:
        """Wait until the job's directory changes, one of ``fds`` is readable, or ``timeout``
        passes; the ``fds`` that are readable, and whether the job's record changed (look
        at :meth:`ended`)."""
        watch = [self._notify.fd] if self._notify is not None else []
        wait = timeout if self._notify is not None else min(timeout or POLL, POLL)
        try:
            ready, _, _ = select.select([*fds, *watch], [], [], wait)
        except InterruptedError:  # a signal (SIGWINCH): the caller looks at its own fds
            return [], False
        record = self._notify is None or not ready
        if self._notify is not None and self._notify.fd in ready:
            for change in self._notify.read():
                record = self._note(change) or record
        return [fd for fd in ready if fd in fds], record

    def _note(self, change: Change) -> bool:
        """What an event says for the log (grown, or replaced); whether the record may have
        changed."""
        if change.overflow or not change.name:  # events lost, or the directory itself
            self._forget_log()
            self._grown = True
            return True
        if change.name == _LOG:
            if change.mask & ~IN_MODIFY:  # created, moved or deleted: another file now
                self._forget_log()
            self._grown = True
        elif change.name == _LOG_STATE:  # a trim: the log is another file, or is about to be
            self._forget_log()
            self._grown = True
        return change.name in _RECORD

    def ended(self) -> Job | None:
        """The job, if it has ended (every byte it wrote is in the log by then)."""
        job = self.project.load(self.job.id)
        self.job = job
        return job if job.status.ended else None

    def keys(self, data: bytes) -> None:
        """Typed keys, to the job's terminal; :class:`InvalidRequest` once it has ended."""
        self.input.write(data)

    def resize(self, columns: int, rows: int) -> None:
        """The attached terminal's size is now the job's (a window wider than the largest
        size a job's terminal may have gives it the largest)."""
        size = clamp_size(columns, rows)
        if size != self.size:
            self.size = size
            with contextlib.suppress(BgviewError):  # it ended meanwhile: nothing to resize
                control.resize(self.project, self.job.id, *size)

    def give_size_back(self) -> None:
        """The job's terminal gets the size it had before the attachment (once)."""
        if self.size != self.size_before:
            with contextlib.suppress(BgviewError, OSError):
                control.resize(self.project, self.job.id, *self.size_before)
            self.size = self.size_before

    def close(self) -> None:
        """End the attachment: the job's terminal gets its size back."""
        self.give_size_back()
        self.input.close()
        self._forget_log()
        if self._notify is not None:
            self._notify.close()
            self._notify = None

    def __enter__(self) -> Attachment:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
