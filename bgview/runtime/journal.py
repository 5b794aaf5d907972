"""Recording a job's end exactly once, and the project's log of ended jobs.

Three parties may record an end: the job's supervisor (the usual case), its starter (a job
that cannot start), or whoever notices that the supervisor vanished (``lost``). The claim
marker, created with ``O_EXCL``, makes sure only the first of them appends the job to
``notices.log`` and writes ``result.json``, so a notice exists once per job and each consumer
is given it once. The result is written into the job's own reserve of disk space, so ending
never needs free space.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from bgview.runtime.fsio import DirFd
from bgview.runtime.record import FinalRecord, JobFiles

META = JobFiles.META
ENDED = JobFiles.RESULT
"""The file whose appearance means the job has ended (watchers react to it)."""
NOTICES_LOG = "notices.log"
NOTICE_ROOM = 64
"""Bytes of ``notices.log`` a starting job allocates ahead for its own notice line."""


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
    try:
        append_notice(project, job.path.name)
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


def append_notice(project: DirFd, job_id: str) -> None:
    """Add a job to the project's ended-jobs log (one short line: an atomic append)."""
    fd = project.open_file(NOTICES_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(fd, f"{job_id}\n".encode())
    finally:
        os.close(fd)


def reserve_notice_room(project: DirFd) -> None:
    """Allocate room past the end of ``notices.log`` for one more line, without growing it
    (``fallocate`` with ``FALLOC_FL_KEEP_SIZE``), so the job's notice can be appended on a
    full disk. Best effort: a file system without it simply has no reserve."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        fd = project.open_file(NOTICES_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            size = os.fstat(fd).st_size
            libc = ctypes.CDLL(None, use_errno=True)
            keep_size = 1
            libc.fallocate(fd, keep_size, ctypes.c_long(size), ctypes.c_long(NOTICE_ROOM * 64))
        finally:
            os.close(fd)
