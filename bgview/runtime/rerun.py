"""The supervisor's side of a restart policy: recording a run's end, waiting, running again.

The policy itself — when a run is restarted and after how long, and why the supervisor is the
one to run it — is :mod:`restarts`. This is what the supervisor does with it: when the last
process of a run is gone it records the run's end in ``state.json`` (``runs``), and if the
policy wants another run it lets go of the run's pty and waits (``Phase.WAITING``, with
``restart_at`` in the record) instead of writing the job's result; when the backoff is over
it runs the command again in a fresh pty and tells it
(``[bg:bash_3 restarted (2 of 5) after exit 1]``). A kill while it waits ends the job at
once (:func:`stopped_waiting`). Stdlib only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import termios
import time
from typing import TYPE_CHECKING

from bgview.runtime import restarts
from bgview.runtime.facts import FactEvent, FactKind
from bgview.runtime.journal import append_event
from bgview.runtime.record import JobStatus, KillReason, Phase, Request, Result

if TYPE_CHECKING:
    from bgview.runtime.supervisor import Supervisor


def begin_run(sup: Supervisor) -> None:
    """A run started: a job with a policy records it (its start, where its output begins)."""
    if sup.request.restart is None:
        return
    run = restarts.Run(time.time(), log_offset=sup.log.written)
    runs = (*sup.state.runs, run)[-restarts.MAX_RUNS :]
    sup.state = dataclasses.replace(sup.state, runs=runs, restart_at=None)


def run_request(sup: Supervisor) -> Request:
    """The request as the current run's facts see it: a restarted run's readiness is timed
    from its own start."""
    if not sup.state.runs:
        return sup.request
    return dataclasses.replace(sup.request, started_at=sup.state.runs[-1].started_at)


def wait_to_restart(sup: Supervisor, result: Result) -> bool:
    """Record how the run ended; if the policy wants another run, wait for it (``WAITING``)
    and say ``True``."""
    rule = sup.request.restart
    if rule is None or not sup.state.runs:
        return False
    ended = dataclasses.replace(
        sup.state.runs[-1],
        ended_at=result.ended_at,
        exit_code=result.exit_code,
        signal=result.signal,
    )
    runs = (*sup.state.runs[:-1], ended)
    sup.state = dataclasses.replace(sup.state, runs=runs)
    asked = sup.asked_to_end or result.killed_by is not None
    if sup.state.restarts >= rule.max_restarts:
        return False
    if not restarts.wants_restart(rule, ended, asked=asked):
        return False
    # Nothing runs, listens or waits until the next run: the facts say so before the record
    # says it waits, so whoever finds it waiting finds no process of the ended run either.
    if sup.facts is not None:
        try:
            sup.facts.facts = sup.facts.facts.ended()
            sup.facts.write(time.monotonic())
        except Exception as exc:  # as the supervisor's own facts_failed
            sup.facts_failed(exc)
    delay = restarts.backoff(rule, runs)
    sup.state = dataclasses.replace(sup.state, restart_at=time.time() + delay)
    sup.save_state()
    close_pty(sup)
    sup.phase, sup.deadline = Phase.WAITING, time.monotonic() + delay
    return True


def run_again(sup: Supervisor) -> None:
    """The backoff is over: start the command again (a failure to start ends the job
    ``failed``, as a first start would)."""
    rule = sup.request.restart
    assert rule is not None
    how = sup.state.runs[-1].how()
    sup.state = dataclasses.replace(sup.state, restarts=sup.state.restarts + 1)
    sup.leader_status, sup.kill_by, sup.leader_handles_term = None, None, True
    sup.deadline, sup.phase = None, Phase.RUNNING
    if not sup.start():
        return
    event = FactEvent(FactKind.RESTARTED, how, count=sup.state.restarts, limit=rule.max_restarts)
    with contextlib.suppress(OSError, ValueError):
        append_event(sup.project, sup.job.path.name, event.to_dict())


def close_pty(sup: Supervisor) -> None:
    """Let go of the ended run's pty. The supervisor gives up its controlling terminal first
    (``TIOCNOTTY``): closing the master of a session's terminal hangs it up, and the kernel
    would send the session's leader — the supervisor — SIGHUP, which it takes for a kill.
    The next run's pty becomes its terminal in its place."""
    if sup.master < 0:
        return
    with contextlib.suppress(OSError):
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
        try:
            import fcntl

            fcntl.ioctl(tty, termios.TIOCNOTTY)
        finally:
            os.close(tty)
    with contextlib.suppress(OSError):
        os.close(sup.master)
    sup.master, sup.pty_open, sup.procs.master = -1, False, -1
    if sup.facts is not None:
        sup.facts.master = -1


def stopped_waiting(sup: Supervisor, by: KillReason) -> Result:
    """The job's end when a kill (or the timeout, or the owner's end) comes between runs:
    nothing ran to be signalled, and the reason says what the last run did."""
    how = sup.state.runs[-1].how() if sup.state.runs else "its last run"
    status = JobStatus.TIMEOUT if by is KillReason.TIMEOUT else JobStatus.KILLED
    return Result(
        status, time.time(), killed_by=by.value, reason=f"while waiting to restart after {how}"
    )
