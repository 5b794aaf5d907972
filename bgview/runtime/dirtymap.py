"""Which parts of a job's output need cleaning: ``output.dirty``, beside ``output.log``.

A cleaned read (:func:`bgview.runtime.output.scan`) must look at every byte to tell plain
text from what needs cleaning; over 100 MB that look costs more than the search itself. The
log's one writer (:class:`~bgview.runtime.logwriter.LogWriter`) already holds every byte, so it
notes which logical regions of :data:`REGION` bytes hold any byte but printable ASCII, tabs and
newlines; readers skip the look for a region the map says is plain.

Exact by construction: a region's record is appended (one ``write`` of :data:`RECORD`) *before*
its bytes go to the log, so a SIGKILL never leaves a flagged byte unrecorded; offsets are
logical (:mod:`logstate`), so the size cap's trims never touch the map. A map that cannot be
written (a full disk, a file in its way, a log replaced or grown by someone else) is given up:
unlinked before any unrecorded byte is written, so that readers, who load the map *after*
taking the log's size, either see a map that covers every byte they read or none, and then
classify as before. Older jobs have no map and take that path too. The file starts with
:data:`MAGIC`: an empty or foreign file is no map.

Not yet wired into :class:`~bgview.runtime.logwriter.LogWriter`: the look at each chunk
(one ``translate``, ~32 µs per 64 KiB) took capture from 0.82-0.89× to 0.68-0.80× of a bare
``os.read`` loop, under its 0.8× budget; it needs a cheaper look first. Until then no job has a
map and readers classify every byte, as before.

Like ``log.state``, the map is trusted as the job's private directory is (:mod:`pathcheck`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import struct
from pathlib import Path

from bgview.runtime.errors import BgviewError
from bgview.runtime.fsio import FILE_MODE, DirFd, open_private

NAME = "output.dirty"
REGION = 1 << 20
"""Bytes of logical output per region."""
MAGIC = b"bgvdirt1"
RECORD = struct.Struct("<Q")
"""One record: the index of a region that holds a byte needing cleaning."""
MAX_READ = 16 * 1024 * 1024
PLAIN = bytes(range(0x20, 0x7F)) + b"\t\n"
"""Bytes that need no cleaning and are ASCII (``clean.needs_cleaning`` and ``isascii`` both
pass them)."""


class DirtyMapWriter:
    """The log writer's half: :meth:`note` before each write of output."""

    def __init__(self, job: DirFd, log_size: int) -> None:
        self.job = job
        self.fd: int | None = None
        self.last = -1
        """The highest region recorded (regions only grow while the map is kept)."""
        if log_size:  # bytes written before this writer: nobody vouches for them
            self.give_up()
            return
        with contextlib.suppress(OSError):
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC
            fd = job.open_regular(NAME, flags, FILE_MODE)
            try:
                if os.write(fd, MAGIC) == len(MAGIC):
                    self.fd = fd
                    fd = -1
            finally:
                if fd >= 0:
                    os.close(fd)
        if self.fd is None:
            self.give_up()

    def note(self, offset: int, data: bytes) -> None:
        """``data`` is about to be written at logical ``offset``: record its regions first if
        it holds anything but plain ASCII."""
        if self.fd is None or not data:
            return
        first, last = offset // REGION, (offset + len(data) - 1) // REGION
        if first == last == self.last:
            return  # already recorded: nothing to look at
        if not data.translate(None, PLAIN):
            return
        for region in range(max(first, self.last + 1), last + 1):
            record = RECORD.pack(region)
            try:
                written = os.write(self.fd, record)
            except OSError:
                written = -1
            if written != len(record):
                self.give_up()
                return
            self.last = region

    def give_up(self) -> None:
        """No map from now on: readers classify every byte themselves."""
        try:
            self.job.unlink(NAME)
        except FileNotFoundError:
            pass
        except OSError:
            if self.fd is not None:  # cannot unlink: a map without its magic is no map
                with contextlib.suppress(OSError):
                    os.ftruncate(self.fd, 0)
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


class DirtyMap:
    """A reader's copy of the map: the regions that may need cleaning."""

    def __init__(self, regions: set[int]) -> None:
        self.regions = regions

    def plain(self, offset: int, length: int) -> bool:
        """Whether every byte of logical ``[offset, offset + length)`` is plain ASCII."""
        if length <= 0:
            return True
        first, last = offset // REGION, (offset + length - 1) // REGION
        return not any(r in self.regions for r in range(first, last + 1))


def load(job_dir: Path) -> DirtyMap | None:
    """The job's map, or ``None`` when there is none to trust (given up, an older job, torn
    or too large). Load it only after taking the log's size (see the module docstring)."""
    try:
        fd = open_private(job_dir / NAME, os.O_RDONLY | os.O_NONBLOCK)
    except BgviewError:
        return None
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENXIO, errno.EISDIR, errno.EACCES, errno.ELOOP):
            raise
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_READ:
            return None
        raw = os.pread(fd, st.st_size, 0)
    finally:
        os.close(fd)
    if raw[: len(MAGIC)] != MAGIC:
        return None
    body = raw[len(MAGIC) :]
    body = body[: len(body) - len(body) % RECORD.size]  # a torn record: its region is unwritten
    return DirtyMap({r for (r,) in RECORD.iter_unpack(body)})
