"""A job's whole log, or the part written since a time, moving no cursor: ``bgview output
--all``, ``--raw`` and ``--since``, and the agents' ``bash_output(since=...)``.

The cleaned form is what a cursor read gives (:func:`bgview.runtime.output.scan`: colours
gone, ``\\r`` overwrites applied, output that moves the cursor through a terminal of the job's
size), read a megabyte at a time; the raw form is the bytes as written. Since when a line was
written comes from the time index (:mod:`bgview.runtime.timeindex`): output from the first
entry at or after that time, from the start of the line it falls in (that line was finished
then), to within the index's pacing (15 s under a firehose).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from bgview.runtime import timeindex
from bgview.runtime.emulation import Saved, job_size
from bgview.runtime.errors import InvalidRequest
from bgview.runtime.logstate import consistent_read
from bgview.runtime.output import scan
from bgview.runtime.patterns import UserPattern
from bgview.runtime.store import Project

CHUNK_CHARS = 1 << 20
"""Characters cleaned per step of an export (each step one consistent read of the log)."""
RAW_CHUNK = 1 << 20
LINE_BACK = 64 * 1024
"""How far back from an offset the start of its line is looked for."""

_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)([smhd]))+")
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str, now: float | None = None) -> float:
    """``5m``, ``90s``, ``1h30m`` (that long ago) or ``14:00``, ``14:00:30`` (the last time the
    clock said so, today or yesterday) as a UNIX time."""
    now = time.time() if now is None else now
    word = text.strip().lower()
    if _DURATION.fullmatch(word):
        return now - sum(float(n) * _UNITS[u] for n, u in _PART.findall(word))
    clock = _CLOCK.fullmatch(word)
    if clock:
        hour, minute, second = (int(g) if g else 0 for g in clock.groups())
        today = time.localtime(now)
        when = time.mktime(
            (today.tm_year, today.tm_mon, today.tm_mday, hour, minute, second, 0, 0, -1)
        )
        return when if when <= now else when - 86400
    raise InvalidRequest(
        f"since takes a duration (5m, 90s, 1h30m) or a clock time (14:00): {text[:40]!r}"
    )


def since_offset(project: Project, job_id: str, when: float) -> int | None:
    """The logical offset of the first line written at ``when`` or later (``None``: none was)."""
    job_dir = project.job_dir(job_id)
    offset = timeindex.load(job_dir).offset_since(when)
    if offset is None:
        return None

    def line_start(fd: int, dropped: int) -> int:
        lo = max(dropped, offset - LINE_BACK)
        if fd < 0 or offset <= lo:
            return max(offset, dropped)
        before = os.pread(fd, offset - lo, lo - dropped)
        return lo + before.rfind(b"\n") + 1 if b"\n" in before else lo

    return consistent_read(job_dir, line_start)


@dataclass
class Export:
    """The cleaned lines of a log from ``start``, a chunk at a time (:meth:`chunks`)."""

    project: Project
    job_id: str
    start: int = 0
    keep: UserPattern | None = None
    drop: UserPattern | None = None
    skipped: int = 0
    """Bytes before ``start`` the size cap had dropped (said once the export ran)."""
    end: int = 0
    """The logical offset the export got to."""

    def chunks(self) -> Iterator[str]:
        job = self.project.load(self.job_id)  # the status first: if ended, every byte is there
        final = job.status.ended
        offset, screen = self.start, None
        first = True
        while True:
            saved: Saved | None = screen
            result = consistent_read(
                job.dir,
                partial(
                    scan,
                    offset=offset,
                    final=final,
                    keep=self.keep,
                    drop=self.drop,
                    max_chars=CHUNK_CHARS,
                    screen=saved,
                    winsize=partial(job_size, job.dir),
                ),
            )
            if first:
                self.skipped, first = result.skipped, False
            self.end = result.next_offset
            if result.text:
                yield result.text
            if not result.more or (result.next_offset == offset and not result.text):
                return
            offset, screen = result.next_offset, result.screen


def raw_chunks(project: Project, job_id: str, start: int = 0) -> Iterator[bytes]:
    """The log's bytes as written from logical ``start`` (or its first kept byte) to its end
    as it was when the read began; a trim under the read moves on to the first byte kept."""
    job_dir = project.job_dir(job_id)
    project.load(job_id)  # a clear error for a job that does not exist
    end: int | None = None
    offset = start
    while end is None or offset < end:
        size, lo, data = consistent_read(job_dir, partial(_raw_step, at=offset, end=end))
        end = size if end is None else end
        if not data:
            return
        yield data
        offset = lo + len(data)


def _raw_step(fd: int, dropped: int, at: int, end: int | None) -> tuple[int, int, bytes]:
    """``(log size, where the bytes start, up to RAW_CHUNK bytes from at)``."""
    size = dropped + (os.fstat(fd).st_size if fd >= 0 else 0)
    lo = max(at, dropped)
    stop = min(size if end is None else min(end, size), lo + RAW_CHUNK)
    data = os.pread(fd, stop - lo, lo - dropped) if fd >= 0 and stop > lo else b""
    return size, lo, data


def newest(chunks: Iterator[str], max_chars: int) -> tuple[str, int]:
    """The last ``max_chars`` characters of ``chunks`` from a line's start, and how many
    characters before them were left out (memory stays bounded whatever the log's size)."""
    kept = ""
    left_out = 0
    for chunk in chunks:
        kept += chunk
        if len(kept) > 2 * max_chars:
            left_out += len(kept) - max_chars
            kept = kept[-max_chars:]
    if len(kept) > max_chars:
        left_out += len(kept) - max_chars
        kept = kept[-max_chars:]
    if left_out:
        newline = kept.find("\n") + 1
        left_out += newline
        kept = kept[newline:]
    return kept, left_out
