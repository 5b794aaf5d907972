"""Reading one job back from its directory: its record, its facts, and whether its
supervisor lives (a job whose supervisor vanished is recorded ``lost`` here).

Every face reads jobs through :func:`load_job`: an ended job is one file
(``result.json``), a running one its request, its state and its supervisor's lock.
:mod:`~bgview.runtime.store` lists a project's jobs with it; :mod:`~bgview.runtime.ended`
keeps the ended ones' snapshots so that a listing of thousands does not parse thousands of
records.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import os
import signal
import time
from pathlib import Path

from bgview.runtime import proc
from bgview.runtime.errors import BgviewError
from bgview.runtime.facts import NO_FACTS, Facts
from bgview.runtime.fsio import check_private_dir, open_private, read_json
from bgview.runtime.journal import finalize_path, publish
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.record import (
    MAX_LEFT_BEHIND,
    FinalRecord,
    JobFiles,
    LeftBehind,
    Request,
    Result,
    RunState,
)

LOG = JobFiles.LOG
LOCK = JobFiles.LOCK
META = JobFiles.META
LOST_REASON = "its supervisor vanished without recording a result"


def load_job(job_dir: Path, project: Path) -> Job | None:
    """Read a job's record; ``None`` if it is missing, not a job record at all, or in a
    directory that is not private (a symlink, another user's, writable by others).

    An ended job is one file (``result.json``); a running one is its request and its state,
    and its supervisor's lock. A running job whose supervisor is gone is recorded ``lost``
    here (and its processes ended): in memory if the disk has no room to write it.
    """
    try:
        check_private_dir(job_dir)
    except BgviewError:
        return None
    where = os.fspath(job_dir)  # strings, not Paths: a list of 10,000 jobs reads 10,000 of these
    try:
        final = read_json(f"{where}/{JobFiles.RESULT}")
        if final is None and os.path.lexists(f"{where}/{JobFiles.RESULT}"):
            # Renamed into place between the read and this look (a kill polling the record
            # met it), or there but unreadable: a symlink, garbage, not a file.
            final = read_json(f"{where}/{JobFiles.RESULT}")
            if final is None:
                return None
        if final is not None:
            return job_from_final(FinalRecord.from_dict(final), job_dir, project)
        meta = read_json(f"{where}/{META}")
        if meta is None:
            return None
        request = Request.from_dict(meta)
        if meta.get("status") not in (None, JobStatus.RUNNING.value):
            # A record of bgview 0.1, which kept everything in meta.json.
            legacy = FinalRecord(request, RunState.from_dict(meta), Result.from_dict(meta))
            return job_from_final(legacy, job_dir, project)
        state = RunState.from_dict(read_json(job_dir / JobFiles.STATE) or {})
    except (KeyError, TypeError, ValueError):
        return None
    if supervisor_alive(job_dir):
        stopped = state.supervisor_pid is not None and _is_stopped(state)
        facts = read_facts(where)
        return job_from_parts(request, state, None, job_dir, project, stopped=stopped, facts=facts)
    # Re-read: the supervisor may have written the final record just before it exited.
    final = read_json(job_dir / JobFiles.RESULT)
    try:
        record = FinalRecord.from_dict(final) if final is not None else None
    except (KeyError, TypeError, ValueError):
        return None
    if record is None:
        record = mark_lost(job_dir, request, state)
    return job_from_final(record, job_dir, project)


def _is_stopped(state: RunState) -> bool:
    assert state.supervisor_pid is not None
    return proc.process_state(state.supervisor_pid, state.supervisor_start) == "T"


def read_facts(where: str) -> Facts:
    """A running job's ``facts.json``; none yet, or a damaged one, is no facts (the job is
    listed all the same)."""
    data = read_json(f"{where}/{JobFiles.FACTS}")
    if data is None:
        return NO_FACTS
    try:
        return Facts.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return NO_FACTS


def job_from_final(record: FinalRecord, job_dir: Path, project: Path) -> Job:
    facts = record.facts or NO_FACTS
    return job_from_parts(
        record.request, record.state, record.result, job_dir, project, facts=facts
    )


def job_from_parts(
    request: Request,
    state: RunState,
    result: Result | None,
    job_dir: Path,
    project: Path,
    *,
    stopped: bool = False,
    facts: Facts = NO_FACTS,
) -> Job:
    """The flat snapshot every face reads."""
    dropped = state.dropped_bytes
    if result is not None and state.output_bytes is not None:
        output = state.output_bytes  # counted by the supervisor: no need to look at the log
    else:
        try:
            output = dropped + os.stat(f"{os.fspath(job_dir)}/{LOG}").st_size
        except OSError:
            output = dropped
    return Job(
        id=job_dir.name,
        project=request.project or str(project),
        command=request.command,
        argv=request.argv,
        cwd=request.cwd,
        status=result.status if result is not None else JobStatus.RUNNING,
        name=request.name,
        exit_code=result.exit_code if result else None,
        signal=result.signal if result else None,
        killed_by=result.killed_by if result else None,
        reason=result.reason if result else None,
        pid=state.pid,
        supervisor_pid=state.supervisor_pid,
        supervisor_start=state.supervisor_start,
        mark=request.mark,
        owner_pid=request.owner_pid,
        owner_start=request.owner_start,
        keep=request.keep,
        timeout=request.timeout,
        started_at=request.started_at,
        ended_at=result.ended_at if result else None,
        output_bytes=output,
        dropped_bytes=dropped,
        output_lost=state.output_lost,
        left_behind=state.left_behind,
        left_behind_count=state.left_behind_count,
        supervisor_stopped=stopped,
        facts=facts,
        ready_condition=request.ready,
        notify_on=request.notify_on,
        restart_policy=request.restart,
        restarts=state.restarts,
        runs=state.runs,
        restart_at=state.restart_at if result is None else None,
        restart_of=request.restart_of,
        dir=job_dir,
    )


def supervisor_alive(job_dir: Path) -> bool:
    """Whether the job's supervisor (or its starter) still lives: it holds
    ``supervisor.lock`` until it dies.

    A lock, unlike a PID, cannot be mistaken for an unrelated process that reused the number,
    and the kernel releases it however the supervisor ends (even on SIGKILL).
    """
    try:
        fd = open_private(job_dir / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except (OSError, BgviewError):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        raise
    finally:
        os.close(fd)
    return False


def mark_lost(job_dir: Path, request: Request, state: RunState) -> FinalRecord:
    """Record a job whose supervisor vanished as ``lost``, and end every process it left.

    Its processes are found by the mark they all inherited (``BGVIEW_JOB``), whatever group
    or session they moved to, and by its leader's process group. The record is written if
    the disk lets it; if not, the ``lost`` job is returned all the same and the next reader
    tries again (a reader never needs free space).
    """
    from bgview.runtime import tree  # only when a supervisor has vanished

    leader_alive = state.pid is not None and proc.is_same_process(state.pid, state.pid_start)
    ended = tree.signal_all(tree.marked(request.mark), signal.SIGKILL) if request.mark else []
    # As the supervisor counts them: what outlived the leader, or (while it lives) what left
    # its process group.
    left = sorted(
        (
            LeftBehind(p.pid, p.command)
            for p in ended
            if p.pid != state.pid and (not leader_alive or p.pgid != state.pid)
        ),
        key=lambda p: p.pid,
    )
    if left:
        state = dataclasses.replace(
            state,
            left_behind=(*state.left_behind, *left)[:MAX_LEFT_BEHIND],
            left_behind_count=state.left_behind_count + len(left),
        )
    pid = state.pid
    if pid is not None and proc.is_same_process(pid, state.pid_start):
        proc.signal_group(pid, signal.SIGKILL)
    elif pid is not None and proc.start_time(pid) is None:
        # The leader is gone; its group may live on, and a live group keeps its number
        # from being reused, so signalling it cannot hit a stranger.
        proc.signal_group(pid, signal.SIGKILL)
    record = FinalRecord(request, state, Result(JobStatus.LOST, time.time(), reason=LOST_REASON))
    try:
        if not finalize_path(job_dir, record) and not (job_dir / JobFiles.RESULT).exists():
            # Whoever claimed the end died half-way (the claim exists, the result was never
            # written): finish the record, or the job would show running forever.
            from bgview.runtime.fsio import DirFd

            job = DirFd.open(job_dir)
            try:
                publish(job, record)
            finally:
                job.close()
    except (OSError, BgviewError):
        pass  # no room (or the directory went away): the job is lost all the same
    final = read_json(job_dir / JobFiles.RESULT)
    if final is not None:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            return FinalRecord.from_dict(final)
    return record
