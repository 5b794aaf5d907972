"""The processes of a job as its supervisor sees them: found, signalled, ended, waited for.

A job is every process its command started, whatever group or session it moved to: the
supervisor is a child subreaper, so they are its descendants (less any other job started
from inside this one). Ending a job signals the leader's group, the pty's foreground group
and every descendant one by one; what outlived the leader or left its group is noted as left
behind; each is waited for through a pidfd. How a run ended is worked out here from the
leader's wait status and the kill that was asked for (:func:`run_result`). Stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

from bgview.runtime import proc, tree
from bgview.runtime.record import JobStatus, KillReason, LeftBehind, Result


class JobProcesses:
    """One job's processes, across its runs (a restart policy runs the command again)."""

    def __init__(self) -> None:
        self.leader = 0
        """The current run's leader (its process group's number)."""
        self.master = -1
        """The current run's pty master while it is open (its foreground group is signalled)."""
        self.leader_ended = False
        """The leader has exited, or was found already on its way out by a kill."""
        self.sigkill_sent = False
        self.pidfds: dict[int, int] = {}
        """pid -> pidfd of each process being waited for while the job is being ended."""
        self.watched: set[int] = set()
        """Every pid a pidfd was opened for (once it fired, the process is not live)."""
        self.left: dict[int, LeftBehind] = {}
        """What had to be ended that outlived the leader or left its group, by pid (kept
        across runs: each was a process of the job)."""

    def new_run(self, leader: int, master: int) -> None:
        """A new run of the command started: its leader and pty."""
        self.leader, self.master = leader, master
        self.leader_ended = False
        self.sigkill_sent = False
        self.watched.clear()

    def all(self) -> list[tree.Proc]:
        """Every process of the job now (zombies included): our descendants, less any other
        job started from inside this one (its supervisor and what is below it)."""
        return tree.descendants(os.getpid(), skip=tree.is_supervisor)

    def live(self) -> list[tree.Proc]:
        """The job's processes that are not zombies."""
        return tree.live(self.all())

    def signal(self, *sigs: int, procs: list[tree.Proc] | None = None) -> None:
        """Each of ``sigs`` to the leader's group, the pty's foreground group, and every live
        descendant (``procs``, or a fresh look); those that outlived the leader or left its
        group are noted as left behind: they had to be ended with the job."""
        if procs is None:
            procs = self.live()
        for item in procs:
            if item.pid != self.leader and (self.leader_ended or item.pgid != self.leader):
                self.left.setdefault(item.pid, LeftBehind(item.pid, item.command))
        groups = {self.leader}
        if self.master >= 0:
            with contextlib.suppress(OSError):
                fg = os.tcgetpgrp(self.master)
                if fg > 0 and fg != os.getpgrp():
                    groups.add(fg)
        for sig in sigs:
            for pgid in groups:
                proc.signal_group(pgid, sig)
            tree.signal_all(procs, sig)

    def hard_end_all(self, procs: list[tree.Proc] | None = None) -> None:
        self.sigkill_sent = True
        self.signal(signal.SIGKILL, procs=procs)

    def end_what_is_left(self) -> None:
        """SIGKILL every process of the job still there; wait for each through a pidfd."""
        procs = self.live()
        for item in procs:
            if item.pid in self.watched:
                continue
            self.watched.add(item.pid)
            with contextlib.suppress(OSError):
                self.pidfds[item.pid] = os.pidfd_open(item.pid)
        self.hard_end_all(procs)

    def forget_pidfd(self, fd: int) -> None:
        """A pidfd fired: its process is gone."""
        os.close(fd)
        self.pidfds = {p: f for p, f in self.pidfds.items() if f != fd}


def run_result(
    status: int,
    by: KillReason | None,
    *,
    handles_term: bool,
    sigkill_sent: bool,
    owner_pid: int | None,
) -> Result:
    """How a run ended, from its leader's wait ``status`` and the kill asked for (``by``)."""
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    if by is not None and code is not None and not handles_term:
        # SIGTERM would have ended it by the signal: it exited by itself as the kill came.
        by = None
    if by is KillReason.TIMEOUT:
        kind, reason = JobStatus.TIMEOUT, None
    elif by is not None:
        kind = JobStatus.KILLED
        reason = None
        if by is KillReason.OWNER_EXIT:
            reason = f"its session (pid {owner_pid}) ended"
    else:
        kind, reason = (JobStatus.KILLED if sig is not None else JobStatus.EXITED), None
    name = proc.signal_name(sig) if sig is not None else None
    if sig is None and by is not None:
        # It handled our signal and exited by itself: record the signal we sent.
        name = "SIGKILL" if sigkill_sent else "SIGTERM"
    return Result(
        kind,
        time.time(),
        exit_code=code,
        signal=name,
        killed_by=by.value if by is not None else None,
        reason=reason,
    )
