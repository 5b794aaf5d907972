"""The ended jobs of a project, kept as snapshots in one file (``ended.cache``).

Listing ten thousand ended jobs used to read and validate ten thousand ``result.json``
files: seconds, when ``bgview list`` has half a second. An ended job never changes (its
``result.json`` is written once, by its finalizer) and its id is never handed out again, so
its snapshot can be kept: a listing reads this one file, and only the jobs it does not hold
(running ones, and ones that ended since) from their directories.

It is a cache, never a record:

* Anything wrong with it — missing, damaged, written by another version of bgview, not a
  private regular file of ours — and it is ignored: every job is read from its directory.
* A snapshot counts only for the directory it was taken from: its name and its inode, as
  ``scandir`` gives them without a system call; ``prune`` drops the snapshots of the jobs it
  removes (an id can come back if the project's counter is reset by hand). A directory
  removed by hand and made again under the same id may get the same inode back: that one
  is not noticed until the cache is rewritten.
* Writing it is best effort (a reader never needs free space): on a full disk it is not
  written, and the next listing tries again.

Its format is :mod:`pickle`, read only from a file that only this user could have written
(the store's private chain, ``O_NOFOLLOW``, owned by us and writable by nobody else): the
user who could plant one could run anything as themselves already.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import stat
from pathlib import Path
from typing import Any

from bgview.runtime.errors import BgviewError
from bgview.runtime.facts import NO_FACTS
from bgview.runtime.fsio import DirFd, open_private
from bgview.runtime.model import Job, JobStatus

CACHE = "ended.cache"
FORMAT = 2
REWRITE_EVERY = 100
"""The cache is written again once the ended jobs it lacks are a hundredth of those it would
hold: reading a few of them from their directories costs less than writing ten thousand
snapshots at each listing (an agent starting a job between two listings would pay that every
time)."""
"""The layout of :data:`Snapshot`: a cache of another layout is ignored."""


def _fingerprint() -> tuple[Any, ...]:
    """What the snapshots' shape depends on: a cache written by a bgview whose job snapshot
    had other fields is ignored, not unpickled into objects that lack some."""
    from bgview.runtime import facts, model, record

    shapes = []
    for module in (model, facts, record):
        for name, value in sorted(vars(module).items()):
            if isinstance(value, type) and dataclasses.is_dataclass(value):
                fields = tuple(f.name for f in dataclasses.fields(value))
                shapes.append((module.__name__, name, fields))
    return (FORMAT, tuple(shapes))


_FIELDS = tuple(f.name for f in dataclasses.fields(Job))
_STATUS, _FACTS, _DIR = (_FIELDS.index(name) for name in ("status", "facts", "dir"))

Snapshot = tuple[Any, ...]
"""An ended job's fields in :class:`Job`'s order, as plain values where they can be: its
status by name, no facts when it has :data:`NO_FACTS`, and no directory (each listing knows
where it found it). Ten thousand of these unpickle in tens of milliseconds, where as many
:class:`Job` objects take half a second."""

Snapshots = dict[str, tuple[int, Snapshot]]
"""Job id → (the inode of its directory, its snapshot)."""


def snapshot(job: Job) -> Snapshot:
    """What is kept of an ended job."""
    values = [getattr(job, name) for name in _FIELDS]
    values[_STATUS] = job.status.value
    values[_FACTS] = None if job.facts == NO_FACTS else job.facts
    values[_DIR] = None
    return tuple(values)


def restore(kept: Snapshot, job_dir: Path) -> Job:
    """The job a snapshot was taken of, found in ``job_dir``.

    Built without :class:`Job`'s ``__init__`` (it only stores its arguments, one
    ``object.__setattr__`` at a time, which is most of the cost of ten thousand): its
    fields are set at once, from values that were a job's fields when they were kept.
    """
    fields = dict(zip(_FIELDS, kept, strict=True))
    fields["status"] = _STATUSES[kept[_STATUS]]
    fields["facts"] = kept[_FACTS] or NO_FACTS
    fields["dir"] = job_dir
    job = object.__new__(Job)
    job.__dict__.update(fields)
    return job


_STATUSES = {status.value: status for status in JobStatus}


def load(project_dir: str) -> Snapshots:
    """The snapshots kept for the project whose store directory is ``project_dir``; empty if
    there are none, or none that can be trusted."""
    try:
        fd = open_private(f"{project_dir}/{CACHE}", os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, BgviewError):
        return {}
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
            return {}
        with os.fdopen(os.dup(fd), "rb") as file:
            kept = pickle.load(file)
        if not (isinstance(kept, tuple) and len(kept) == 2 and kept[0] == _fingerprint()):
            return {}
        snapshots = kept[1]
        width = len(_FIELDS)
        if isinstance(snapshots, dict) and all(
            type(held) is tuple and type(held[1]) is tuple and len(held[1]) == width
            for held in snapshots.values()
        ):
            return snapshots
        return {}
    except Exception:  # a cache that cannot be read is no cache, whatever broke in it
        return {}
    finally:
        os.close(fd)


def save(project_dir: str, snapshots: Snapshots) -> None:
    """Replace the kept snapshots (atomically: a reader sees the old file or the new one).
    Nothing is said when the disk has no room or the directory went away."""
    payload = pickle.dumps((_fingerprint(), snapshots), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        directory = DirFd.open(Path(project_dir))
        try:
            directory.write_bytes_atomic(CACHE, payload)
        finally:
            directory.close()
    except (OSError, BgviewError):
        pass


def forget(project_dir: str, ids: set[str]) -> None:
    """Drop the snapshots of jobs whose directories were removed (``prune``)."""
    kept = load(project_dir)
    if ids & kept.keys():
        save(project_dir, {job_id: held for job_id, held in kept.items() if job_id not in ids})
