"""``ended.cache``: a listing of ended jobs from one file, never different from reading every
job's directory (real jobs, real records; the cache is deleted to compare)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bgview.runtime import Runtime
from bgview.runtime.ended import CACHE
from bgview.runtime.jobread import supervisor_alive
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.prune import prune
from tests.bench.bench_store import fill
from tests.conftest import RunCli


def _cache(rt: Runtime) -> Path:
    return rt.project.dir / CACHE


def _uncached(rt: Runtime) -> list[Job]:
    """Every job as read from its own directory (the cache set aside, then put back)."""
    path = _cache(rt)
    aside = path.with_name("aside")
    if path.exists():
        path.rename(aside)
    try:
        return rt.project.jobs()
    finally:
        if path.exists():
            path.unlink()
        if aside.exists():
            aside.rename(path)


def _some_jobs(rt: Runtime) -> list[str]:
    done = rt.start("echo done; exit 3")
    named = rt.start(["printf", "a\\nb\\n"], name="two-lines")
    killed = rt.start(["sleep", "30"])
    for job in (done, named):
        rt.wait(job.id, timeout=30)
    rt.kill(killed.id, grace=0)
    rt.wait(killed.id, timeout=30)
    return [done.id, named.id, killed.id]


def test_a_cached_listing_is_the_listing(rt: Runtime) -> None:
    """The first listing writes the cache; the next reads ended jobs from it and gives the
    very same jobs, field for field, as reading each directory does."""
    ids = _some_jobs(rt)
    running = rt.start(["sleep", "30"])
    first = rt.project.jobs()
    assert _cache(rt).is_file()
    assert _cache(rt).stat().st_mode & 0o777 == 0o600
    second = rt.project.jobs()
    assert second == first == _uncached(rt)
    assert [j.id for j in second] == [*ids, running.id]
    assert {j.id: j.status for j in second}[ids[0]] == JobStatus.EXITED
    assert {j.id: j.exit_code for j in second}[ids[0]] == 3
    assert all(j.dir == rt.project.jobs_dir / j.id for j in second)
    rt.kill(running.id, grace=0)


def test_a_job_that_ends_after_the_cache_was_written_is_shown_ended(rt: Runtime) -> None:
    """Running jobs are never cached: the one running at the first listing shows ended at
    the next, with its exit; a new job is there too."""
    rt.wait(rt.start("true").id, timeout=30)
    running = rt.start("read line; exit 7")
    assert {j.id: j.status for j in rt.project.jobs()}[running.id] == JobStatus.RUNNING
    rt.write_stdin(running.id, "go\n")
    rt.wait(running.id, timeout=30)
    later = rt.start("true")
    rt.wait(later.id, timeout=30)
    listed = {j.id: j for j in rt.project.jobs()}
    assert listed[running.id].status == JobStatus.EXITED
    assert listed[running.id].exit_code == 7
    assert later.id in listed
    assert list(listed.values()) == _uncached(rt)


def test_a_damaged_or_foreign_cache_is_ignored(rt: Runtime) -> None:
    """Garbage, a cache writable by others, one owned by another user, one that is a
    symlink: each is ignored (the jobs are read from their directories), and nothing
    breaks."""
    _some_jobs(rt)
    expected = _uncached(rt)
    path = _cache(rt)
    for spoil in ("garbage", "writable", "foreign", "symlink"):
        if path.exists() or path.is_symlink():
            path.unlink()
        rt.project.jobs()  # a good cache
        if spoil == "garbage":
            path.write_bytes(b"\x80\x05not a pickle at all")
        elif spoil == "writable":
            os.chmod(path, 0o622)
        elif spoil == "foreign":
            os.chown(path, 65534, 65534)  # nobody (the tests run as root)
        else:
            path.rename(path.with_name("real"))
            path.symlink_to(path.with_name("real"))
        assert rt.project.jobs() == expected, spoil
    path.with_name("real").unlink()


def _prune(rt: Runtime) -> list[Job]:
    """Prune, once the ended jobs' supervisors have let go of their locks (a supervisor
    lives a moment past the job's end; a lock's release has no event to wait for)."""
    deadline = time.monotonic() + 10
    while any(supervisor_alive(j.dir) for j in rt.project.jobs()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return prune(rt.project)


def test_an_id_that_comes_back_after_a_prune_is_read_afresh(rt: Runtime) -> None:
    """Prune drops the snapshots of the jobs it removes: with the project's counter reset by
    hand, a new job given a pruned job's id is listed as itself, not as the pruned one."""
    first = rt.start("echo first")
    rt.wait(first.id, timeout=30)
    rt.project.jobs()  # its snapshot is kept
    assert [j.id for j in _prune(rt)] == [first.id]
    (rt.project.dir / "counter").unlink()
    again = rt.start("echo again; exit 4")
    assert again.id == first.id
    rt.wait(again.id, timeout=30)
    (listed,) = rt.project.jobs()
    assert (listed.command, listed.exit_code) == ("echo again; exit 4", 4)


def test_a_pruned_job_leaves_the_listing_and_the_cache(rt: Runtime, cli: RunCli) -> None:
    """``bgview prune`` removes ended jobs: they are gone from the next listing (the real
    command's), and the cache is rewritten without them."""
    ids = _some_jobs(rt)
    kept = rt.start(["sleep", "30"])
    assert ids[0] in cli("list").stdout  # the cache is written with them
    assert cli("prune").returncode == 0
    listed = cli("list").stdout
    assert [i for i in ids if i in listed] == []
    assert kept.id in listed
    assert rt.project.jobs() == _uncached(rt)
    rt.kill(kept.id, grace=0)


def test_a_big_cache_is_not_rewritten_for_each_job_that_ends(rt: Runtime) -> None:
    """With 150 ended jobs kept, one more that ends is listed at once (read from its
    directory) while the cache stays as it was: rewriting every snapshot at each listing
    would cost an agent that starts a job between two listings more than it saves."""
    fill(rt, 150)
    rt.project.jobs()
    written = _cache(rt).stat().st_mtime_ns
    late = rt.start("echo late; exit 5")
    rt.wait(late.id, timeout=30)
    listed = rt.project.jobs()
    assert (listed[-1].id, listed[-1].exit_code) == (late.id, 5)
    assert _cache(rt).stat().st_mtime_ns == written
    assert listed == _uncached(rt)
