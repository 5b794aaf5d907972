"""When a job's output arrived: a small index of ``(logical offset, time)`` beside ``output.log``.

``output.log`` stays byte-exact; this file (``output.times``) says, every so often, "the byte
at this logical offset arrived at this time". Offsets are logical (bytes since the job
started, :mod:`logstate`), so the size cap's trims never touch the index and never make it
wrong: entries before the first kept byte are simply of no more use.

Each entry is one fixed-size record (:data:`RECORD`: offset, then UNIX time as a double),
appended with one ``write`` to an ``O_APPEND`` file, so a SIGKILLed supervisor leaves every
entry it wrote whole; a record torn by a full disk is cut off again when the file is next
opened for writing, and readers ignore a trailing fragment.

How often (:class:`TimeIndexWriter`): an entry for output that comes at least
:data:`MIN_GAP` after the last entry, out of a bucket of :data:`BURST` entries refilled one
every :data:`REFILL` seconds. A job that prints now and then has each burst of output timed
to the second; a firehose costs at most ``3600 / REFILL`` entries an hour (240: under 4 KB),
its lines timed to within :data:`REFILL` seconds.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import struct
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bgview.runtime.errors import BgviewError
from bgview.runtime.fsio import FILE_MODE, FULL_DISK, DirFd, open_private
from bgview.runtime.record import JobFiles

RECORD = struct.Struct("<Qd")
"""One entry: the logical offset of a byte, the time it arrived (seconds since the epoch)."""
MIN_GAP = 1.0
BURST = 60
REFILL = 15.0
MAX_READ = 16 * 1024 * 1024
"""The most of the index a reader loads (a million entries: years of a busy job)."""


class TimeIndexWriter:
    """The supervisor's writer of ``output.times`` (through its held job directory).

    Never a reason for the job to fail: an index that cannot be written (a full disk, a file
    put in its way) is given up, and the log goes on being written.
    """

    def __init__(self, job: DirFd, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.tokens = float(BURST)
        self.last: float | None = None
        """When the last entry was written (``None``: none yet)."""
        self.refilled = clock()
        self.fd: int | None = None
        with contextlib.suppress(OSError):
            fd = job.open_regular(JobFiles.TIMES, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
            size = os.fstat(fd).st_size
            if size % RECORD.size:  # a record torn by a full disk: cut it off
                os.ftruncate(fd, size - size % RECORD.size)
            self.fd = fd

    def note(self, offset: int) -> None:
        """Output starting at logical ``offset`` arrives now: write an entry if it is due."""
        if self.fd is None:
            return
        now = self.clock()
        if self.last is not None and now - self.last < MIN_GAP:
            return
        self.tokens = min(float(BURST), self.tokens + max(0.0, now - self.refilled) / REFILL)
        self.refilled = now
        if self.tokens < 1:
            return
        record = RECORD.pack(offset, now)
        try:
            written = os.write(self.fd, record)
        except OSError as exc:
            if exc.errno not in FULL_DISK:
                self.close()  # whatever it is, the job is not to suffer for it
            return
        if written != len(record):  # short on a full disk: take the fragment back
            with contextlib.suppress(OSError):
                size = os.fstat(self.fd).st_size
                os.ftruncate(self.fd, size - size % RECORD.size)
            return
        self.tokens -= 1
        self.last = now

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


@dataclass(frozen=True)
class TimeIndex:
    """What a reader knows of when output arrived: offsets and times, both in order."""

    offsets: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.offsets)

    def time_at(self, offset: int) -> float | None:
        """When the byte at logical ``offset`` arrived, as near as the index says (the time of
        the last entry at or before it: the byte came then or a little later); ``None`` for a
        byte before the first entry."""
        i = bisect_right(self.offsets, offset) - 1
        return self.times[i] if i >= 0 else None

    def offset_since(self, when: float) -> int | None:
        """The logical offset from which output arrived at ``when`` or later (the first entry
        at or after it); ``None`` if nothing came since."""
        i = bisect_left(self.times, when)
        return self.offsets[i] if i < len(self.offsets) else None

    @property
    def last_time(self) -> float | None:
        return self.times[-1] if self.times else None


def parse(raw: bytes) -> TimeIndex:
    """Entries in ``raw``, a trailing fragment ignored; an entry that would go back in offset
    or time (a clock set back, a file written by hand) is left out, so both stay in order."""
    offsets: list[int] = []
    times: list[float] = []
    usable = len(raw) - len(raw) % RECORD.size
    for offset, when in RECORD.iter_unpack(raw[:usable]):
        if offsets and (offset < offsets[-1] or when < times[-1]):
            continue
        offsets.append(offset)
        times.append(when)
    return TimeIndex(offsets, times)


def load(job_dir: Path) -> TimeIndex:
    """The job's time index (empty when it has none yet, or it cannot be read)."""
    try:
        fd = open_private(job_dir / JobFiles.TIMES, os.O_RDONLY)
    except BgviewError:  # a symbolic link planted there: no index to trust
        return TimeIndex()
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENXIO, errno.EISDIR, errno.EACCES):
            raise
        return TimeIndex()
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # a FIFO or a device put in its place
            return TimeIndex()
        size = st.st_size
        start = max(0, size - MAX_READ)
        start -= start % RECORD.size
        return parse(os.pread(fd, size - start, start))
    finally:
        os.close(fd)
