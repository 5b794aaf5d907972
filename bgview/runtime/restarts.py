"""Restart policies: whether a job's command runs again when it ends, and after how long.

``bgview run --restart on-failure|always [--max-restarts N] [--backoff S]`` gives a job a
:class:`RestartPolicy`, written once by the starter into its request (``meta.json``).

**Who runs it: the job's supervisor.** It is the one process that sees the command end (it
reaps it), it outlives whoever started the job, and it already owns everything a restart
touches. When a run ends and the policy wants another, the supervisor does not write
``result.json``: the job stays ``running``, waits out the backoff (a ``poll`` with the
restart's time as its timeout, so a kill is served at once), and runs the command again in a
fresh pty, within the same job: the same id, the same name, the same directory. So there is
one row in the viewer, ``bgview output ID`` and an agent's cursor read on across restarts, a
kill of that id stops the policy, and the record keeps one writer per field:

- the starter wrote the policy (``Request.restart``);
- the supervisor writes the runs so far (``RunState.runs``: each run's start, end, exit code
  or signal, and the byte of ``output.log`` where its output begins), the restart count and,
  while it waits, when the next run starts (``RunState.restart_at``);
- the finalizer writes the job's one result, once, when the policy is over: the last run's
  end (``exited 1`` when it gave up), or the kill that stopped it.

``output.log`` is every byte each run wrote, one run after the other, and nothing else: no
separator line is written into it (it would be a byte the command never wrote). Where each
run begins is in the record (``runs[i].log_offset``), and each restart is a notice:
``[bg:bash_3 restarted (2 of 5) after exit 1]``; giving up is the job's end notice,
``[bg:bash_3 gave up after 5 restarts: exited 1, …]``.

**When.** ``on-failure`` restarts a run that exited non-zero or died of a signal nobody asked
bgview for (a segfault, the OOM killer, someone's ``kill -9`` on the pid); ``always`` also
one that exited 0. Nothing asked through bgview is restarted: a kill (``bgview kill``, the
viewer's ``k``, ``kill_shell``), the job's timeout (which bounds the whole job, every run
included) or the end of its owner session ends the job and its policy. The ``k``-th restart
waits ``backoff × 2^(k-1)`` seconds, at most :data:`MAX_BACKOFF`; a run that ended within
:data:`QUICK` of its start counts as crashing at once and waits at least ``QUICK × 2^(k-1)``
even with ``--backoff 0``, so a command that cannot start is backed off, never restarted in a
tight loop. A run that stayed up :data:`HEALTHY` seconds starts the doubling again.

Stdlib only, and small: the supervisor and every ``bgview list`` import it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

DEFAULT_MAX_RESTARTS = 5
MAX_MAX_RESTARTS = 10_000
DEFAULT_BACKOFF = 1.0
"""Seconds before the first restart, unless told."""
MAX_BACKOFF = 60.0
"""The doubling stops here."""
QUICK = 1.0
"""A run that ended within this many seconds of its start crashed at once."""
HEALTHY = 60.0
"""A run that stayed up this long starts the doubling of the backoff again."""
MAX_RUNS = 50
"""Runs kept in the record (the newest; the restart count is always exact)."""


class RestartMode(StrEnum):
    """When a run that ended is started again."""

    ON_FAILURE = "on-failure"
    """After a non-zero exit, or a signal nobody asked bgview for."""
    ALWAYS = "always"
    """After any end of its own, an exit 0 included."""


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """A job's restart policy, as asked (``--restart``, ``--max-restarts``, ``--backoff``)."""

    mode: RestartMode
    max_restarts: int = DEFAULT_MAX_RESTARTS
    backoff: float = DEFAULT_BACKOFF

    def describe(self) -> str:
        """``on-failure, up to 5 restarts, 1s backoff``."""
        return f"{self.mode.value}, up to {self.max_restarts} restarts, {self.backoff:g}s backoff"

    def describe_short(self) -> str:
        """``on-failure, 1s backoff``."""
        return f"{self.mode.value}, {self.backoff:g}s backoff"

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "max_restarts": self.max_restarts, "backoff": self.backoff}

    @classmethod
    def from_dict(cls, data: object) -> RestartPolicy | None:
        """The policy in a record; ``None`` for none, ``ValueError`` for a damaged one."""
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ValueError("restart is not an object")
        return policy(data.get("mode"), data.get("max_restarts"), data.get("backoff"))


def policy(mode: object, max_restarts: object = None, backoff: object = None) -> RestartPolicy:
    """A policy from what a user or a record gave; ``ValueError`` saying what is wrong."""
    modes = " or ".join(m.value for m in RestartMode)
    if not isinstance(mode, str) or mode not in {m.value for m in RestartMode}:
        raise ValueError(f"a restart policy is {modes}, not {str(mode)[:40]!r}")
    count = DEFAULT_MAX_RESTARTS if max_restarts is None else max_restarts
    if type(count) is not int or not 0 <= count <= MAX_MAX_RESTARTS:
        raise ValueError(f"max restarts {count!r} is out of range (0 to {MAX_MAX_RESTARTS})")
    wait = DEFAULT_BACKOFF if backoff is None else backoff
    if isinstance(wait, bool) or not isinstance(wait, int | float):
        raise ValueError(f"backoff {wait!r} is not a number of seconds")
    if not (math.isfinite(wait) and 0 <= wait <= MAX_BACKOFF):
        raise ValueError(f"backoff {wait:g}s is out of range (0 to {MAX_BACKOFF:g})")
    return RestartPolicy(RestartMode(mode), count, float(wait))


@dataclass(frozen=True, slots=True)
class Run:
    """One run of a job's command (a job with a policy has one per start)."""

    started_at: float
    ended_at: float | None = None
    exit_code: int | None = None
    signal: str | None = None
    log_offset: int = 0
    """The logical byte of ``output.log`` where this run's output begins."""

    def how(self) -> str:
        """How it ended, as a notice says it: ``exit 1``, ``SIGSEGV``."""
        if self.signal is not None:
            return self.signal
        return f"exit {self.exit_code}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "exit_code": self.exit_code,
            "signal": self.signal,
            "log_offset": self.log_offset,
        }

    @classmethod
    def from_dict(cls, data: object) -> Run:
        if not isinstance(data, dict):
            raise ValueError("a run is not an object")
        started: object = data.get("started_at")
        ended: object = data.get("ended_at")
        code, sig, offset = data.get("exit_code"), data.get("signal"), data.get("log_offset") or 0
        if not _number(started) or (ended is not None and not _number(ended)):
            raise ValueError("a run's times are not numbers")
        if (code is not None and type(code) is not int) or type(offset) is not int:
            raise ValueError("a run's exit code or offset is not an integer")
        if sig is not None and type(sig) is not str:
            raise ValueError("a run's signal is not a string")
        assert isinstance(started, int | float)
        end = float(ended) if isinstance(ended, int | float) else None
        return cls(float(started), end, code, sig, offset)


def _number(value: object) -> bool:
    return type(value) is int or type(value) is float


def runs_from(data: object) -> tuple[Run, ...]:
    """The runs of a record (``ValueError`` for a damaged list)."""
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ValueError("runs is not a list")
    return tuple(Run.from_dict(item) for item in data[-MAX_RUNS:])


def wants_restart(rule: RestartPolicy, run: Run, *, asked: bool) -> bool:
    """Whether ``run``'s end is one the policy restarts; ``asked``: bgview was asked to end
    it (a kill, the timeout, the owner's end), which nothing restarts."""
    if asked:
        return False
    if rule.mode is RestartMode.ALWAYS:
        return True
    return run.signal is not None or run.exit_code != 0


def backoff(rule: RestartPolicy, runs: tuple[Run, ...]) -> float:
    """Seconds to wait before the next run, given the runs so far (the last one just ended).

    Doubling with each restart since the last run that stayed up :data:`HEALTHY` seconds, at
    least ``QUICK`` doubling for a run that crashed within :data:`QUICK`, capped at
    :data:`MAX_BACKOFF`.
    """
    streak = 0
    for run in reversed(runs):
        if _lasted(run) >= HEALTHY:
            break
        streak += 1
    base = max(rule.backoff, QUICK) if _lasted(runs[-1]) < QUICK else rule.backoff
    return min(MAX_BACKOFF, base * 2.0 ** min(max(streak - 1, 0), 32))


def _lasted(run: Run) -> float:
    return (run.ended_at or run.started_at) - run.started_at


__all__ = [
    "DEFAULT_BACKOFF",
    "DEFAULT_MAX_RESTARTS",
    "MAX_BACKOFF",
    "RestartMode",
    "RestartPolicy",
    "Run",
    "backoff",
    "policy",
    "runs_from",
    "wants_restart",
]
