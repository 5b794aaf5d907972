"""The map of regions that need cleaning (``output.dirty``): a read that trusts it gives
exactly what a read that looks at every byte gives, and a map given up is not trusted."""

from __future__ import annotations

import sys
from pathlib import Path

from bgview.runtime import JobStatus, Runtime, dirtymap
from bgview.runtime.fsio import DirFd
from bgview.runtime.logstate import consistent_read
from bgview.runtime.output import scan
from bgview.runtime.patterns import compile_pattern

# 3 MiB of plain lines, then a region with colours inside words and a progress bar, then plain.
WRITER = r"""
import os
plain = b"".join(b"line %06d status=200 ok\n" % i for i in range(40000))
dirty = b"".join(b"st\x1b[31mat\x1b[0mus=500 %d\nx\r\x1b[Kdone %d\n" % (i, i) for i in range(2000))
for part in (plain * 3, dirty, plain):
    view = memoryview(part)
    while view:
        view = view[os.write(1, view):]
"""


def _read(job_dir: Path, use_map: bool) -> str:
    keep = compile_pattern(r"status=5\d\d|done 1999|line 000007", "filter")
    result = consistent_read(
        job_dir,
        lambda fd, dropped: scan(
            fd, dropped, 0, True, keep=keep, max_chars=10**9, job_dir=job_dir if use_map else None
        ),
    )
    return result.text


def test_a_read_through_the_map_is_the_read_that_looks_at_every_byte(tmp_path: Path) -> None:
    rt = Runtime(tmp_path / "p", home=tmp_path / "h")
    (tmp_path / "p").mkdir(exist_ok=True)
    job = rt.start([sys.executable, "-c", WRITER])
    job, done = rt.wait(job.id, timeout=60)
    assert done and job.status is JobStatus.EXITED
    # The map as a writer notes it, chunk by chunk, before each chunk is written.
    data = job.log_path.read_bytes()
    writer = dirtymap.DirtyMapWriter(DirFd.open(job.dir), 0)
    for at in range(0, len(data), 65536):
        writer.note(at, data[at : at + 65536])
    regions = dirtymap.load(job.dir)
    assert regions is not None
    assert 0 < len(regions.regions) < job.output_bytes // dirtymap.REGION  # some, not all
    fast, slow = _read(job.dir, True), _read(job.dir, False)
    assert fast == slow
    assert "status=500" in fast and "\x1b" not in fast and "\r" not in fast


def test_a_map_given_up_is_not_trusted(tmp_path: Path) -> None:
    job_dir = tmp_path
    (job_dir / dirtymap.NAME).write_bytes(b"")  # no magic: what a given-up map may leave
    assert dirtymap.load(job_dir) is None
    (job_dir / dirtymap.NAME).unlink()
    assert dirtymap.load(job_dir) is None
