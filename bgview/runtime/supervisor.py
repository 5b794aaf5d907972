"""The per-job supervisor: one small process per job, outliving whoever asked for the job.

It runs the command in its own pty and session, copies every byte it writes to ``output.log``
(:mod:`logwriter`), enforces the timeout, carries out kill requests, ends the job when its
owner session ends, and records what happened and how it ended (:mod:`record`). It holds
``supervisor.lock`` for as long as it lives, which is how everyone else tells a live
supervisor from a vanished one, and it works relative to its job's directory, held open.

A job is every process the command started, whatever group or session it moved to: the
supervisor is a child subreaper, so orphans re-parent to it and the job's processes are its
descendants (:mod:`jobprocs` finds and ends them). The pty is the supervisor's controlling
terminal and the command leads a process group in its foreground (:mod:`ptyexec`): the
command's exit hangs nothing up, so what it left running keeps writing to the log until the
drain is over. Its life is a state machine (:class:`~bgview.runtime.record.Phase`)::

    RUNNING --kill/timeout/owner--> STOPPING --grace--> ENDING --none left--> DONE
       \\--leader exits--> DRAINING --short grace--> ENDING
    ENDING --none left, and the restart policy wants another run--> WAITING
    WAITING --backoff over--> RUNNING (a new run)     WAITING --kill/timeout/owner--> DONE

A job given a restart policy is run again in a fresh pty within the same job — the same id
and directory, ``output.log`` appended — and its one result is written when the policy is
over (:mod:`restarts` says why the supervisor is the one to run it, and what it records).

Every wait is a ``poll`` on descriptors (:mod:`superloop`) with the next deadline as its
timeout: nothing is polled on a timer, except a look for new forks every :data:`ENDING_LOOK`
while the job is being ended, and the job's facts (its processes, ports, readiness, whether
it waits for input) while it runs, which :class:`~bgview.runtime.factkeeper.FactKeeper`
gathers and records.

Started as ``python -S -c ... JOB_DIR LOCK_FD``; stdlib only, so it starts fast and stays small.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
import time

from bgview.runtime import proc, rerun
from bgview.runtime.controlmsg import KillRequest
from bgview.runtime.factkeeper import FactKeeper
from bgview.runtime.fsio import FULL_DISK, DirFd
from bgview.runtime.jobprocs import JobProcesses, run_result
from bgview.runtime.journal import finalize
from bgview.runtime.logstate import DEFAULT_MAX_LOG, MIN_MAX_LOG
from bgview.runtime.logwriter import CHUNK, LogWriter
from bgview.runtime.ptyexec import PTY_COLS, PTY_ROWS, spawn
from bgview.runtime.record import (
    MAX_LEFT_BEHIND,
    FinalRecord,
    JobFiles,
    JobStatus,
    KillReason,
    Phase,
    Request,
    Result,
    RunState,
)
from bgview.runtime.superloop import log, main

__all__ = ["CHUNK", "EXIT_DRAIN", "Supervisor", "main"]

EXIT_DRAIN = 0.5
"""Seconds what the leader left running may go on (its output captured) after the leader
exited by itself; whatever is left then is ended."""
ENDING_LOOK = 0.25
"""While ending, how often to look for processes no pidfd told us about (new forks)."""
TIMEOUT_GRACE = 3.0
"""Seconds a job past its ``--timeout`` has between SIGTERM and SIGKILL."""
SHORT_READ = 2048
"""A pty read shorter than this, while the job runs, is handed over at once, without a
read to be told EAGAIN (a typed key's echo is a system call sooner; poll says when there is
more). Once it is ending the pty is read until EAGAIN: only that says the kernel has pushed
everything the job wrote into the pty's buffer."""


class Supervisor:
    """One job's event loop: pty output, signals, control requests, deadlines, restarts."""

    def __init__(self, job: DirFd, project: DirFd, request: Request) -> None:
        self.job = job
        self.project = project
        self.request = request
        self.log = LogWriter(job, max(request.max_log or DEFAULT_MAX_LOG, MIN_MAX_LOG))
        me = os.getpid()
        self.state = RunState(supervisor_pid=me, supervisor_start=proc.start_time(me))
        self.phase = Phase.RUNNING
        self.pid = 0
        self.master = -1
        self.pty_open = False
        self.winsize = request.winsize or (PTY_COLS, PTY_ROWS)
        """The pty's size: as asked, then as last resized (a restart keeps it)."""
        self.procs = JobProcesses()
        self.leader_status: int | None = None
        self.kill_by: KillReason | None = None
        self.leader_handles_term = True
        """Whether the leader caught, ignored or blocked SIGTERM when the kill sent it: if not,
        a plain exit afterwards is one it made by itself, not an answer to the kill."""
        self.asked_to_end = False
        """A kill, the timeout or the owner's end was asked for: no restart follows."""
        self.deadline: float | None = None
        """When the current phase's wait runs out (STOPPING's grace, DRAINING's drain,
        WAITING's backoff)."""
        self.timeout_at: float | None = None
        """When ``--timeout`` runs out: counted from ``started_at``, when ``bgview run`` was
        asked, not from this process's start (seconds later on a loaded machine)."""
        if request.timeout:
            late = max(0.0, time.time() - request.started_at)
            self.timeout_at = time.monotonic() + max(0.0, request.timeout - late)
        self.pending_input = b""
        self.facts: FactKeeper | None = None
        """What the job is doing; ``None`` before it starts, or once gathering failed."""

    # ---- start -------------------------------------------------------------------------------

    def start(self) -> bool:
        """Fork and exec the command; ``False`` (and a ``failed`` record) if it cannot start."""
        columns, rows = self.winsize
        argv, cwd = list(self.request.argv), self.request.cwd or os.getcwd()
        pid, master, reason = spawn(argv, cwd, self.request.mark, columns, rows)
        if not pid:
            self.finish(Result(JobStatus.FAILED, time.time(), reason=reason))
            return False
        self.pid, self.master, self.pty_open = pid, master, True
        self.procs.new_run(pid, master)
        os.set_blocking(master, False)
        self.state = dataclasses.replace(self.state, pid=pid, pid_start=proc.start_time(pid))
        rerun.begin_run(self)
        try:
            self.job.write_json_atomic(JobFiles.STATE, self.state.to_dict())
        except OSError as exc:
            # Nothing may run unsupervised, nor with a record that does not name it.
            self.procs.hard_end_all()
            self.finish(
                Result(
                    JobStatus.FAILED,
                    time.time(),
                    reason=f"could not write its record: {exc.strerror}",
                    killed_by=KillReason.RECORD.value,
                )
            )
            return False
        self.facts = FactKeeper(
            self.job, self.project, rerun.run_request(self), os.getpid(), master
        )
        return True

    def facts_failed(self, exc: Exception) -> None:
        """Gathering facts is no reason to end a job: a failure there (a ``/proc`` this code
        does not know) is logged and the facts are no longer gathered."""
        log(f"stopped gathering facts: {exc!r}")
        self.facts = None

    def save_state(self) -> None:
        """Write what happened so far; on a full disk it stays in memory until the end."""
        try:
            self.job.write_json_atomic(JobFiles.STATE, self.state.to_dict())
        except OSError as exc:
            if exc.errno not in FULL_DISK:
                raise

    # ---- output ------------------------------------------------------------------------------

    def pump(self) -> None:
        """Copy what the pty has to the log; stop at EAGAIN (or after a bounded burst, so
        control requests are still seen under a firehose).

        A pty read gives at most 4 KiB (the line discipline's buffer), so reads are gathered
        and written in batches of up to :data:`CHUNK`: one ``write`` per sixteen reads.
        """
        if not self.pty_open:
            return
        self.log.check()
        batch: list[bytes] = []
        size = 0
        lost, dropped = self.log.lost_at, self.log.dropped
        try:
            for _ in range(256):
                try:
                    data = os.read(self.master, CHUNK - size)
                except BlockingIOError:
                    return
                except OSError as exc:
                    if exc.errno == 5:  # EIO: every holder of the pty's other end is gone
                        self.pty_open = False
                        return
                    raise
                if not data:
                    self.pty_open = False
                    return
                batch.append(data)
                size += len(data)
                if len(data) < SHORT_READ and self.phase is Phase.RUNNING:
                    return  # see SHORT_READ
                if size >= CHUNK:
                    self.write_output(b"".join(batch))
                    batch.clear()
                    size = 0
        finally:
            if batch:
                self.write_output(b"".join(batch))
            if not self.pty_open:
                self.procs.master = -1
                if self.facts is not None:
                    self.facts.master = -1
            if (self.log.lost_at, self.log.dropped) != (lost, dropped):
                self.state = dataclasses.replace(
                    self.state, output_lost=self.log.lost_reason, dropped_bytes=self.log.dropped
                )
                self.save_state()

    def write_output(self, data: bytes) -> None:
        """To the log, and to the facts (URLs, patterns, the prompt)."""
        self.log.write(data)
        if self.facts is not None:
            try:
                self.facts.output(data)
            except Exception as exc:  # see facts_failed
                self.facts_failed(exc)

    def feed_input(self) -> None:
        while self.pending_input:
            if not self.pty_open:
                self.pending_input = b""  # between runs: nothing reads it
                return
            try:
                n = os.write(self.master, self.pending_input)
            except BlockingIOError:
                return
            except OSError:
                self.pending_input = b""
                return
            self.pending_input = self.pending_input[n:]

    # ---- the job's processes -----------------------------------------------------------------

    def reap(self) -> None:
        """Collect every finished child (we are a subreaper); remember the leader's status.

        A child suspended by SIGTSTP (Ctrl+Z typed to the job, or a program suspending
        itself) is resumed with its group: a job has no shell to bring it back, and the
        command, no session leader, is not in an orphaned group whose SIGTSTP the kernel
        would drop.
        """
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG | os.WUNTRACED)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if os.WIFSTOPPED(status):
                if os.WSTOPSIG(status) == signal.SIGTSTP:
                    with contextlib.suppress(OSError):
                        proc.signal_group(os.getpgid(pid), signal.SIGCONT)
                continue
            if pid == self.pid and self.leader_status is None:
                self.leader_status = status
                self.procs.leader_ended = True
                if self.phase is Phase.RUNNING:
                    self.enter(Phase.DRAINING)

    def all_gone(self) -> bool:
        """The leader is reaped and no process of the job remains, not even a zombie."""
        if self.leader_status is None:
            return False
        self.reap()
        return not self.procs.all()

    # ---- the phases --------------------------------------------------------------------------

    def enter(self, phase: Phase) -> None:
        """Move the state machine forward, doing what the new phase starts with."""
        self.phase = phase
        now = time.monotonic()
        if phase is Phase.DRAINING:
            self.deadline = now + EXIT_DRAIN
        elif phase is Phase.ENDING:
            self.deadline = None
            self.procs.end_what_is_left()

    def request_kill(self, request: KillRequest) -> None:
        """SIGTERM to every process of the job now, SIGKILL when the grace runs out; any
        kill also ends the restart policy (one asked while it waits ends the job at once).

        A kill that arrives after the leader ended by itself does not change how it ended
        (``exited 0`` stays ``exited 0``): it only ends what is left at once. The leader may
        have exited with its SIGCHLD not yet seen: it is reaped first, so that such a kill
        is not taken for the cause of the exit; and one already in the kernel's exit path
        (its files closed, its SIGCHLD still to come) has exited by itself just the same.
        """
        self.asked_to_end = True
        if self.phase is Phase.WAITING:
            self.finish(rerun.stopped_waiting(self, request.by))
            return
        self.reap()
        if self.phase is Phase.RUNNING and proc.is_exiting(self.pid, self.state.pid_start):
            self.procs.leader_ended = True
            self.phase = Phase.DRAINING
        if self.phase is Phase.DRAINING:
            self.enter(Phase.ENDING)
            return
        if self.phase is not Phase.RUNNING and self.phase is not Phase.STOPPING:
            return
        deadline = time.monotonic() + request.grace
        live = self.procs.live()
        if self.phase is Phase.RUNNING:
            self.kill_by = request.by
            self.phase = Phase.STOPPING
            self.deadline = deadline
            self.leader_handles_term = proc.handles_signal(
                self.pid, self.state.pid_start, signal.SIGTERM
            )
        elif self.deadline is None or deadline < self.deadline:
            self.deadline = deadline  # a second, more urgent kill shortens the grace
        # SIGCONT after it: a stopped job must wake to die.
        self.procs.signal(signal.SIGTERM, signal.SIGCONT, procs=live)
        if request.grace <= 0:
            self.enter(Phase.ENDING)

    def next_wait(self) -> float | None:
        now = time.monotonic()
        waits = [d - now for d in (self.deadline, self.timeout_at) if d is not None]
        if self.phase is Phase.ENDING:
            waits.append(ENDING_LOOK)
        if self.phase is Phase.RUNNING and self.facts is not None:
            waits.append(self.facts.due() - now)
        return max(0.0, min(waits)) if waits else None

    def step(self) -> bool:
        """Act on what is due; ``True`` once the job is over and recorded."""
        now = time.monotonic()
        phase = self.phase
        timed_out = self.timeout_at is not None and now >= self.timeout_at
        if phase in (Phase.RUNNING, Phase.WAITING) and timed_out:
            self.request_kill(KillRequest(KillReason.TIMEOUT, TIMEOUT_GRACE))
        elif phase in (Phase.STOPPING, Phase.DRAINING) and self.deadline and now >= self.deadline:
            self.enter(Phase.ENDING)
        elif phase is Phase.ENDING:
            self.procs.end_what_is_left()  # anything forked since the last look
        elif phase is Phase.WAITING and self.deadline is not None and now >= self.deadline:
            rerun.run_again(self)
        if self.phase is Phase.DONE:
            return True
        if self.phase is Phase.RUNNING and self.facts is not None and now >= self.facts.due():
            try:
                self.facts.tick()
            except Exception as exc:  # see facts_failed
                self.facts_failed(exc)
        if self.phase in (Phase.RUNNING, Phase.WAITING) or not self.all_gone():
            return False
        self.pump()  # what the last processes wrote just before they went
        result = self.result()
        if rerun.wait_to_restart(self, result):
            return False
        self.finish(result)
        return True

    def result(self) -> Result:
        return run_result(
            self.leader_status or 0,
            self.kill_by,
            handles_term=self.leader_handles_term,
            sigkill_sent=self.procs.sigkill_sent,
            owner_pid=self.request.owner_pid,
        )

    # ---- the end -----------------------------------------------------------------------------

    def finish(self, result: Result) -> None:
        """Record the end: the last state (left-behind processes, bytes) and the result."""
        left = sorted(self.procs.left.values(), key=lambda p: p.pid)
        self.state = dataclasses.replace(
            self.state,
            dropped_bytes=self.log.dropped,
            output_lost=self.log.lost_reason,
            left_behind=tuple(left[:MAX_LEFT_BEHIND]),
            left_behind_count=len(left),
            output_bytes=self.log.written,
            restart_at=None,
        )
        self.phase = Phase.DONE
        facts = self.facts.final() if self.facts is not None else None
        finalize(self.job, self.project, FinalRecord(self.request, self.state, result, facts))

    def crashed(self, exc: BaseException) -> None:
        """A bug or an unexpected error in this loop: take the job down with us (nothing may
        run unsupervised) and record it ``lost`` with the reason."""
        with contextlib.suppress(OSError):
            self.procs.hard_end_all()
        with contextlib.suppress(OSError):
            reason = f"its supervisor failed: {exc!r}"[:500]
            self.finish(Result(JobStatus.LOST, time.time(), reason=reason))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
