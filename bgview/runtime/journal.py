"""Recording a job's end exactly once, and the project's log of ended jobs.

Three parties may record an end: the job's supervisor (the usual case), its starter (a job
that cannot start), or whoever notices that the supervisor vanished (``lost``). The claim
marker, created with ``O_EXCL``, makes sure only the first of them appends the job to
``notices.log`` and writes ``result.json``, so a notice exists once per job and each consumer
is given it once.

Ending never needs free space. The result is written into the job's own reserve of disk
(``.reserve``), and its notice line into room past the end of ``notices.log`` that was
promised to that job when it started (:func:`promise_notice_room`). Room past the end of one
shared file cannot be given to one job by position, so it is counted: ``notices.room`` holds
how far past its end ``notices.log`` has disk promised to jobs that have not ended, every
start adds :data:`NOTICE_ROOM` bytes to it (and allocates them), every notice gives back what
its line did not use. Other jobs' output can never take that room, nor can other jobs'
notices: each used only its own share.

A running job's supervisor also appends events to ``notices.log`` (:func:`append_event`: the
job became ready, waits for input, matched a watched pattern), one line each holding the id
and the event as JSON. An event is never written into room promised to a job's end: its
own room is allocated first, past all that is promised, or the event is dropped.

Small numbers that are rewritten often (read cursors, the id counter, this room) are written
with :func:`write_number`: fixed width, in place, so that rewriting one needs no free disk.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from bgview.runtime.fsio import DirFd
from bgview.runtime.record import FinalRecord, JobFiles

META = JobFiles.META
ENDED = JobFiles.RESULT
"""The file whose appearance means the job has ended (watchers react to it)."""
NOTICES_LOG = "notices.log"
NOTICES_ROOM = "notices.room"
"""Up to which byte of ``notices.log`` disk is allocated and promised to jobs not yet ended."""
NOTICE_ROOM = 64
"""Bytes of ``notices.log`` promised to each starting job for its notice line (an id and its
newline take at most 15)."""
NUMBER_WIDTH = 20
"""Digits of a number written by :func:`write_number` (any offset a file can have)."""
_KEEP_SIZE = 1
"""``FALLOC_FL_KEEP_SIZE``: allocate disk past a file's end without making it longer."""
_NO_PREALLOCATION = frozenset({errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL})


def read_number(fd: int) -> int | None:
    """The number a file written by :func:`write_number` holds (also one written the old way,
    unpadded); ``None`` if it holds none (a file just created, or garbage)."""
    raw = os.pread(fd, 32, 0).strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def write_number(fd: int, value: int) -> None:
    """Write ``value`` at the start of ``fd``, zero-padded to :data:`NUMBER_WIDTH` digits.

    The file is never truncated first: once it has held a number, its block is its own and
    rewriting it needs no free disk (truncating would free the block, and on a full disk
    another writer may take it before the new value is written, leaving the file empty).
    ``OSError`` (ENOSPC) only for a file that has never held one, on a full disk; a number
    written the old way (shorter) is simply overwritten by the longer one.
    """
    payload = b"%0*d" % (NUMBER_WIDTH, value)
    if os.pwrite(fd, payload, 0) != len(payload):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def finalize(job: DirFd, project: DirFd, record: FinalRecord) -> bool:
    """Write the job's final record, once. ``False`` if its end was already claimed.

    ``OSError`` if the disk refused it; the claim is then released so that a later attempt
    (a reader that finds the job lost, once there is room) can make it.
    """
    try:
        os.close(job.open_file(JobFiles.CLAIM, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    # The notice goes first: whoever sees the final status (``bgview wait``) and then asks
    # for notices must find it. A reader meeting the id before the status waits for it.
    # A job started by bgview still has its reserve here: it was promised notice room.
    try:
        append_notice(project, job.path.name, promised=job.exists(JobFiles.RESERVE))
    except OSError:
        with contextlib.suppress(OSError):
            job.unlink(JobFiles.CLAIM)
        raise
    publish(job, record)
    return True


def publish(job: DirFd, record: FinalRecord) -> None:
    """Write ``result.json`` (through the job's reserve on a full disk)."""
    job.write_json(JobFiles.RESULT, record.to_dict(), reserve=JobFiles.RESERVE)
    with contextlib.suppress(FileNotFoundError):
        job.unlink(JobFiles.RESERVE)  # not needed any more


def finalize_path(job_dir: Path, record: FinalRecord) -> bool:
    """:func:`finalize` for a caller that has paths, not held directories."""
    job = DirFd.open(job_dir)
    try:
        project = DirFd.open(job_dir.parent.parent)
        try:
            return finalize(job, project, record)
        finally:
            project.close()
    finally:
        job.close()


class _Room:
    """``notices.log`` open for appending, and ``notices.room`` held locked: appending a
    notice and promising or giving back room are done one at a time across processes."""

    def __init__(self, project: DirFd, *, strict: bool) -> None:
        # A FIFO or a directory put in its place must not lose the job's end: a fresh
        # notices.log takes its place (the ids it held are in the one moved aside).
        self.log = project.open_regular(NOTICES_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self.fd = -1
        try:
            self.fd = project.open_file(NOTICES_ROOM, os.O_RDWR | os.O_CREAT)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError:
            # No room file (a disk too full even for an empty one): appends go on unlocked,
            # and atomically (O_APPEND); only promising room needs it.
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1
            if strict:
                os.close(self.log)
                raise

    def __enter__(self) -> _Room:
        return self

    def __exit__(self, *_: Any) -> None:
        os.close(self.log)
        if self.fd >= 0:
            os.close(self.fd)

    def size(self) -> int:
        return os.fstat(self.log).st_size

    def promised(self) -> int:
        """The byte up to which room is promised (never less than the log's end)."""
        value = read_number(self.fd) if self.fd >= 0 else None
        return max(value or 0, self.size())

    def allocate(self, end: int) -> None:
        """Make sure disk is allocated to ``notices.log`` up to byte ``end``, past its end."""
        size = self.size()
        if end > size:
            _preallocate(self.log, size, end - size)

    def set_promised(self, end: int) -> None:
        write_number(self.fd, max(end, self.size()))


def promise_notice_room(project: DirFd) -> None:
    """Set aside room in ``notices.log`` for one more job's notice line: :data:`NOTICE_ROOM`
    bytes of disk past what is promised already, allocated now (``fallocate`` with
    ``FALLOC_FL_KEEP_SIZE``: the file does not grow), so the job's notice can be written on a
    full disk, whatever other jobs wrote or ended meanwhile.

    ``OSError`` (ENOSPC) if the disk has not got the room: a job that could not tell of its
    end must not start. A file system that cannot preallocate simply has no such room.
    """
    with _Room(project, strict=True) as room:
        end = room.promised() + NOTICE_ROOM
        room.allocate(end)
        room.set_promised(end)


def release_notice_room(project: DirFd) -> None:
    """Give back the room promised to a job that was then not started after all."""
    with contextlib.suppress(OSError), _Room(project, strict=True) as room:
        room.set_promised(room.promised() - NOTICE_ROOM)


def append_notice(project: DirFd, job_id: str, *, promised: bool = False) -> None:
    """Add a job to the project's ended-jobs log (one short line: an atomic append).

    With ``promised`` (the job was given notice room when it started) the line lands in that
    room, and what it did not use of it is given back.
    """
    line = f"{job_id}\n".encode()
    with _Room(project, strict=False) as room:
        before = room.size()
        if os.write(room.log, line) != len(line):
            # Part of the line fitted: take it back (appends are ours alone while the room
            # is locked), or it would run into the next job's line and hide its notice.
            if room.fd >= 0:
                os.ftruncate(room.log, before)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if promised and room.fd >= 0:
            with contextlib.suppress(OSError):
                room.set_promised(room.promised() - NOTICE_ROOM + len(line))


MAX_EVENT_LINE = 4096
"""The longest event line appended (an event's texts are cut well below it)."""


def append_event(project: DirFd, job_id: str, event: dict[str, Any]) -> None:
    """Append a running job's event to ``notices.log``: ``bash_3 {"kind": "ready", ...}``.

    The room promised to jobs' ends is kept as it was: the event's bytes are allocated past
    all of it first, and the promise moved on by as much, so the ends still find their room.
    ``OSError`` (ENOSPC) when the disk has not got it: the event is dropped, the log is as it
    was. Without ``notices.room`` (what was promised is not known) nothing is appended.
    """
    payload = json.dumps(event, separators=(",", ":"), ensure_ascii=True)
    line = f"{job_id} {payload}\n".encode()
    if len(line) > MAX_EVENT_LINE:
        raise ValueError("an event line is too long")
    with _Room(project, strict=True) as room:
        end = room.promised() + len(line)
        room.allocate(end)
        before = room.size()
        if os.write(room.log, line) != len(line):
            os.ftruncate(room.log, before)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        room.set_promised(end)


def reserve_notice_room(project: DirFd) -> None:
    """Make sure the room promised in ``notices.log`` is allocated, and at least one notice
    line's worth past its end. Best effort, for a supervisor: the starter promised its job's
    room already (:func:`promise_notice_room`); this only matters for a job started by an
    older bgview."""
    with contextlib.suppress(OSError), _Room(project, strict=False) as room:
        room.allocate(max(room.promised(), room.size() + NOTICE_ROOM))


_libc: Any = None


def _preallocate(fd: int, offset: int, length: int) -> None:
    """``fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, length)``: disk for those bytes of the
    file, which keeps its size. ``OSError`` when the disk has not got it; nothing at all
    where the file system (or the C library) cannot do it."""
    global _libc
    try:
        if _libc is None:
            import ctypes  # only when a job starts or ends: it costs a few milliseconds

            libc = ctypes.CDLL(None, use_errno=True)
            libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
            libc.fallocate.restype = ctypes.c_int
            _libc = (libc, ctypes)
    except (OSError, AttributeError):
        return
    libc, ctypes = _libc
    if libc.fallocate(fd, _KEEP_SIZE, offset, length) != 0:
        err = ctypes.get_errno()
        if err not in _NO_PREALLOCATION:
            raise OSError(err, os.strerror(err))
