"""A consumer's read cursor: its offset in a job's log, moved under a lock, on any disk."""

from __future__ import annotations

import fcntl
import os

from bgview.runtime.fsio import FULL_DISK, open_private
from bgview.runtime.journal import read_number, write_number
from bgview.runtime.store import CURSORS, Project, validate_consumer


class CursorLock:
    """Holds a consumer's cursor file locked for a read-modify-write.

    The offset is rewritten in place at a fixed width, never truncated first, so moving a
    cursor needs no free disk (:func:`~bgview.runtime.journal.write_number`). A cursor the
    disk has no room for at all (a consumer's first read on a full disk) does not fail the
    read: its output is returned, and the next read starts from the last offset recorded,
    so it may repeat lines but never skips one.
    """

    def __init__(self, project: Project, job_id: str, consumer: str) -> None:
        self.path = project.job_dir(job_id) / CURSORS / validate_consumer(consumer)
        self.fd = -1

    def __enter__(self) -> CursorLock:
        try:
            try:
                self.fd = open_private(self.path, os.O_RDWR | os.O_CREAT)
            except FileNotFoundError:  # a job from before cursors had their own directory
                os.makedirs(self.path.parent, 0o700, exist_ok=True)
                self.fd = open_private(self.path, os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            if exc.errno not in FULL_DISK:
                raise
            return self  # no cursor file: read from the start, record nothing
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def get(self) -> int:
        return (read_number(self.fd) or 0) if self.fd >= 0 else 0

    def set(self, offset: int) -> None:
        if self.fd < 0:
            return
        try:
            write_number(self.fd, offset)
        except OSError as exc:
            if exc.errno not in FULL_DISK:
                raise

    def __exit__(self, *_: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)
