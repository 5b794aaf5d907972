"""Writing a job's output to ``output.log``: byte for byte, under a size cap, on any disk.

Kept apart from the process lifecycle (:mod:`supervisor`): this knows files, not processes.
Everything is relative to the job's directory held open (:class:`DirFd`), so a directory
swapped under a running job cannot redirect its output.

- Past the cap (``max_log``) the newest half is kept and the front dropped; ``log.state`` says
  how much (:mod:`logstate`), in a way that survives a SIGKILL at any step of the trim.
- When output arrived is noted in ``output.times`` (:mod:`timeindex`), by logical offset.
- A full disk loses output, never the job: the writer counts what it could not write and says
  from which byte output was lost.
- ``output.log`` deleted, replaced by hand, or replaced by a FIFO, a directory or a device:
  new output goes to a fresh regular file; nothing ever blocks on what sits in its place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import os
import time

from bgview.runtime.fsio import FILE_MODE, FULL_DISK, DirFd
from bgview.runtime.logstate import LogState, write_state
from bgview.runtime.record import JobFiles
from bgview.runtime.timeindex import TimeIndexWriter

CHUNK = 65536
TRIM_TMP = ".output.log.trim"
_WRITE_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_NOCTTY
"""Read as well as write: a trim copies from the descriptor held, never from a file opened
by name (which might be anything by then). ``DirFd.open_file`` adds ``O_NOFOLLOW``."""
_LOST_ERRNOS = FULL_DISK | {errno.EFBIG, errno.EIO}


class LogWriter:
    """The one writer of a job's ``output.log`` and ``log.state``."""

    def __init__(self, job: DirFd, max_log: int) -> None:
        self.job = job
        self.max_log = max_log
        self.state = LogState()
        self.fd = self._open_fresh()
        self.size = os.fstat(self.fd).st_size
        self.written = 0
        """Every byte the command wrote, whether or not it could be kept."""
        self.lost_at: int | None = None
        """The logical offset from which output could not be written (a full disk)."""
        self.lost_reason: str | None = None
        self.next_check = 0.0
        self.times = TimeIndexWriter(job)
        """When output arrived (``output.times``), by logical offset: trims never touch it."""

    @property
    def dropped(self) -> int:
        return self.state.dropped

    def _open_fresh(self) -> int:
        """Open ``output.log`` for appending, creating it if missing; whatever sits there
        that is not a regular file is moved aside unopened (:meth:`DirFd.open_regular`)."""
        return self.job.open_regular(JobFiles.LOG, _WRITE_FLAGS, FILE_MODE)

    def _move_aside(self) -> None:
        self.job.move_aside(JobFiles.LOG)

    def check(self) -> None:
        """Twice a second, make sure ``output.log`` is still the file we write: if someone
        deleted or replaced it, new output goes to a fresh ``output.log`` rather than to an
        unlinked inode (or a FIFO) where no reader will ever find it."""
        now = time.monotonic()
        if now < self.next_check:
            return
        self.next_check = now + 0.5
        st = os.fstat(self.fd)
        try:
            named = os.stat(JobFiles.LOG, dir_fd=self.job.fd, follow_symlinks=False)
        except FileNotFoundError:
            named = None
        if st.st_nlink > 0 and named is not None and named.st_ino == st.st_ino:
            self.size = st.st_size  # also notices a truncation by hand
            return
        with contextlib.suppress(OSError):
            fd = self._open_fresh()
            os.close(self.fd)
            self.fd = fd
            self.size = os.fstat(fd).st_size
            if self.state.ino is not None:  # readers must know the new file's offset
                ino = os.fstat(fd).st_ino
                self.state = dataclasses.replace(self.state, gen=self.state.gen + 1, ino=ino)
                write_state(self.job, self.state)

    def write(self, data: bytes) -> None:
        """Append ``data``; count it even when the disk refuses it."""
        self.written += len(data)
        if self.lost_at is not None:
            return  # the disk was full: the job runs on, its output is dropped
        self.times.note(self.state.dropped + self.size)
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except OSError as exc:
                if exc.errno not in _LOST_ERRNOS:
                    raise
                self.lost_at = self.state.dropped + self.size
                self.lost_reason = (
                    f"output from byte {self.lost_at} on could not be written: {exc.strerror}"
                )
                return
            view = view[n:]
            self.size += n
        if self.size > self.max_log:
            self.trim()

    def trim(self) -> None:
        """Keep the newest half of the cap, drop the rest (see :mod:`logstate`).

        Copy the kept part to a new file, announce it in ``log.state``, rename it into place.
        A SIGKILL at any point leaves either the old file and a state that still describes it,
        or the new one and a state that describes it.
        """
        keep = self.max_log // 2
        cut = self.size - keep
        # Not O_APPEND yet: copy_file_range refuses an append-mode destination (EBADF).
        new_fd = self.job.open_file(TRIM_TMP, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
        try:
            old_ino = os.fstat(self.fd).st_ino
            try:
                named = os.stat(JobFiles.LOG, dir_fd=self.job.fd, follow_symlinks=False)
            except FileNotFoundError:
                named = None
            if named is None or named.st_ino != old_ino:
                # Deleted or replaced by hand: the next check() moves to a fresh file; a
                # trim now would rename over what was put there.
                raise OSError(errno.ESTALE, "output.log was replaced")
            # Cut at a line start when one is near, so readers never begin mid-line.
            newline = os.pread(self.fd, min(CHUNK, keep), cut).find(b"\n")
            if newline >= 0:
                cut += newline + 1
            offset = cut
            while offset < self.size:
                n = os.copy_file_range(self.fd, new_fd, self.size - offset, offset)
                if n == 0:
                    break
                offset += n
            new_ino = os.fstat(new_fd).st_ino
            state = LogState(
                gen=self.state.gen + 1,
                dropped=self.state.dropped + cut,
                ino=new_ino,
                prev_dropped=self.state.dropped,
                prev_ino=old_ino,
            )
            write_state(self.job, state)
            try:
                self.job.replace(TRIM_TMP, JobFiles.LOG)
            except OSError:
                # A directory put there since the look above (a file cannot replace one):
                # moved aside, the new file takes its name. Readers are right either way:
                # log.state names both files.
                self._move_aside()
                self.job.replace(TRIM_TMP, JobFiles.LOG)
        except OSError as exc:
            # No room for the copy (or the log was swapped by hand): keep writing the file we
            # have; the cap is passed until there is room, the output is kept.
            os.close(new_fd)
            with contextlib.suppress(OSError):
                self.job.unlink(TRIM_TMP)
            if exc.errno in FULL_DISK or exc.errno == errno.ESTALE:
                return
            raise
        fcntl.fcntl(new_fd, fcntl.F_SETFL, fcntl.fcntl(new_fd, fcntl.F_GETFL) | os.O_APPEND)
        os.close(self.fd)
        self.fd = new_fd
        self.state = state
        self.size -= cut
