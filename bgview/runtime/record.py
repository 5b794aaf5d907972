"""The job record on disk, typed: its files, its three parts and their writers, its terminal size.

A job's directory holds its record in three parts, each with one writer, so that no writer
ever reads, changes and rewrites a field another one owns (the old single ``meta.json`` was
written in four places and could tear)::

    meta.json     Request  what was asked        written once, by the starter
    state.json    RunState what happened         written by the supervisor while it runs
    result.json   Result   how it ended          written once, by the finalizer; it embeds
                                                 the request and the last state, frozen, so
                                                 an ended job is read from one file
    facts.json    Facts    what it is doing      rewritten by the supervisor when a fact
                                                 changes (:mod:`facts`); the final record
                                                 keeps the last of them

A job is running while ``result.json`` does not exist. Every name of the directory is spelled
once, in :class:`JobFiles`. The requests its supervisor takes on its ``control`` FIFO are
:mod:`~bgview.runtime.controlmsg`. Stdlib only: the supervisor imports this on its start path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum, StrEnum
from typing import Any, Final

from bgview.runtime.facts import MAX_PATTERN, Facts, ReadyCondition
from bgview.runtime.restarts import RestartPolicy, Run, runs_from


class JobFiles:
    """The names inside a job's directory (relative: the supervisor opens them from a held
    directory descriptor, readers join them to the directory's path)."""

    META: Final = "meta.json"
    STATE: Final = "state.json"
    RESULT: Final = "result.json"
    CLAIM: Final = "ended"
    """Created with ``O_EXCL`` by whoever records the end: exactly one finalizer."""
    RESERVE: Final = ".reserve"
    """Disk space set aside when the job starts, into which its final record is written (then
    renamed to ``result.json``), so a job ends on a full disk as it would on an empty one."""
    LOG: Final = "output.log"
    LOG_STATE: Final = "log.state"
    TIMES: Final = "output.times"
    """When output arrived (:mod:`~bgview.runtime.timeindex`): offsets and times."""
    LOCK: Final = "supervisor.lock"
    CONTROL: Final = "control"
    STDIN: Final = "stdin"
    CURSORS: Final = "cursors"
    SUPERVISOR_LOG: Final = "supervisor.log"
    FACTS: Final = "facts.json"
    """What the job is doing (:class:`~bgview.runtime.facts.Facts`): not part of
    :data:`RECORD`, it changes every second for a busy job."""

    RECORD: Final = frozenset({META, STATE, RESULT, CLAIM, LOG_STATE})
    """Files whose change means a watcher must read the job's record again."""


class JobStatus(StrEnum):
    """Where a job is in its life. Only ``RUNNING`` is not final."""

    RUNNING = "running"
    EXITED = "exited"
    """The command ended by itself; ``exit_code`` is its real code."""
    KILLED = "killed"
    """Ended by a signal; ``signal`` says which and ``killed_by`` who asked (if anyone)."""
    TIMEOUT = "timeout"
    """Killed by bgview because it ran past its ``timeout``."""
    FAILED = "failed"
    """Could not start; ``reason`` says why."""
    LOST = "lost"
    """Its supervisor vanished without recording a result; its processes were ended."""

    @property
    def ended(self) -> bool:
        """Whether the status is final."""
        return self is not JobStatus.RUNNING


class KillReason(StrEnum):
    """Who or what asked for a kill (``killed_by``)."""

    USER = "user"
    AGENT = "agent"
    OWNER_EXIT = "owner-exit"
    """The host session that owned the job ended."""
    TIMEOUT = "timeout"
    SIGNAL = "signal"
    """The supervisor itself was sent SIGTERM or SIGHUP."""
    RECORD = "record"
    """The supervisor could not write the job's record, and nothing may run unsupervised."""


class Phase(Enum):
    """The supervisor's state machine; it only moves forward."""

    RUNNING = "running"
    """The leader runs; output is copied; kills, input and deadlines are served."""
    STOPPING = "stopping"
    """A kill was asked for: SIGTERM went to every process of the job; SIGKILL at the grace."""
    DRAINING = "draining"
    """The leader ended by itself; the rest of the job gets a short grace to go."""
    ENDING = "ending"
    """SIGKILL went to whatever was left; waiting until no process of the job remains."""
    WAITING = "waiting"
    """A run ended and the job's restart policy starts the command again after its backoff
    (:mod:`~bgview.runtime.restarts`); nothing of the job runs meanwhile."""
    DONE = "done"


MAX_LEFT_BEHIND = 100
"""At most this many left-behind processes are listed (the count is always exact)."""


@dataclass(frozen=True, slots=True)
class LeftBehind:
    """A process that outlived the job's leader (or escaped its group) and had to be ended."""

    pid: int
    command: str


def _require(
    data: dict[str, Any],
    ints: tuple[str, ...] = (),
    numbers: tuple[str, ...] = (),
    strings: tuple[str, ...] = (),
) -> None:
    """``ValueError`` unless each key named is absent, ``None``, or of its type (one pass: a
    list of ten thousand jobs validates ten thousand records)."""
    get = data.get
    for key in ints:
        value = get(key)
        if value is not None and type(value) is not int:
            raise ValueError(f"{key} is not an integer")
    for key in numbers:
        value = get(key)
        if value is not None and type(value) is not int and type(value) is not float:
            raise ValueError(f"{key} is not a number")
    for key in strings:
        value = get(key)
        if value is not None and type(value) is not str:
            raise ValueError(f"{key} is not a string")


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Request:
    """What was asked for; written once by the starter (``meta.json``)."""

    id: str
    project: str
    command: str
    """The command as the user gave it, for display."""
    argv: tuple[str, ...]
    """What is executed (a shell string runs as ``bash -c``)."""
    cwd: str
    started_at: float
    mark: str
    """The value of ``BGVIEW_JOB`` every process of the job inherits: how its processes are
    found even after they left its process group and its supervisor is gone."""
    name: str | None = None
    timeout: float | None = None
    keep: bool = False
    owner_pid: int | None = None
    owner_start: int | None = None
    max_log: int | None = None
    winsize: tuple[int, int] | None = None
    ready: ReadyCondition | None = None
    """When the job counts as ready (``--ready``); ``None``: it has no such condition."""
    notify_on: str | None = None
    """A regex whose matching lines are told as notices (``--notify-on``)."""
    notify_cooldown: float | None = None
    """Seconds after a told match during which further matches are only counted (default
    2)."""
    restart: RestartPolicy | None = None
    """When its command runs again after it ends (``--restart``); ``None``: never."""
    restart_of: str | None = None
    """The id of the job this one restarts (``bgview restart``, the viewer's ``r``)."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["argv"] = list(self.argv)
        data["winsize"] = list(self.winsize) if self.winsize else None
        data["ready"] = self.ready.to_dict() if self.ready is not None else None
        data["restart"] = self.restart.to_dict() if self.restart is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Request:
        """Validate and build; ``ValueError`` (or ``KeyError``) for a damaged record."""
        argv = data.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise ValueError("argv is not a list of strings")
        size = data.get("winsize")
        winsize = None
        if isinstance(size, list) and len(size) == 2 and all(type(n) is int for n in size):
            winsize = (size[0], size[1])
        command, job_id = data["command"], data["id"]
        if type(command) is not str or type(job_id) is not str:
            raise ValueError("command and id must be strings")
        _require(
            data,
            ("owner_pid", "owner_start", "max_log"),
            ("started_at", "timeout", "notify_cooldown"),
            ("cwd", "name", "project", "mark", "notify_on", "restart_of"),
        )
        get = data.get
        notify_on = get("notify_on")
        if notify_on is not None and not 0 < len(notify_on) <= MAX_PATTERN:
            raise ValueError("notify_on is not a pattern")
        return cls(
            id=job_id,
            project=get("project") or "",
            command=command,
            argv=tuple(argv),
            cwd=get("cwd") or "",
            started_at=float(get("started_at") or 0.0),
            mark=get("mark") or "",
            name=get("name"),
            timeout=_float(get("timeout")),
            keep=bool(get("keep")),
            owner_pid=get("owner_pid"),
            owner_start=get("owner_start"),
            max_log=get("max_log"),
            winsize=winsize,
            ready=ReadyCondition.from_dict(get("ready")),
            notify_on=notify_on,
            notify_cooldown=_float(get("notify_cooldown")),
            restart=RestartPolicy.from_dict(get("restart")),
            restart_of=get("restart_of"),
        )


_STATE_INTS = (
    "pid",
    "pid_start",
    "supervisor_pid",
    "supervisor_start",
    "dropped_bytes",
    "left_behind_count",
    "output_bytes",
    "restarts",
)


@dataclass(frozen=True, slots=True)
class RunState:
    """What happened while the job ran; written only by its supervisor (``state.json``)."""

    pid: int | None = None
    """The command's own process, leader of its process group."""
    pid_start: int | None = None
    """The leader's start time (clock ticks since boot): a reused PID is never signalled."""
    supervisor_pid: int | None = None
    supervisor_start: int | None = None
    dropped_bytes: int = 0
    """Bytes dropped from the front of the log by its size cap."""
    output_lost: str | None = None
    """Set when output could not be written (a full disk): what and from which byte."""
    left_behind: tuple[LeftBehind, ...] = ()
    left_behind_count: int = 0
    """How many processes had to be ended (``left_behind`` lists at most 100 of them)."""
    output_bytes: int | None = None
    """Every byte the command wrote, counted by the supervisor (set when it ends)."""
    restarts: int = 0
    """How many times its restart policy started the command again."""
    runs: tuple[Run, ...] = ()
    """A job with a restart policy: each run so far (the newest 50), with where its output
    begins in ``output.log``; empty for a job without one."""
    restart_at: float | None = None
    """While the policy waits to start the command again: when (``time.time()``)."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["left_behind"] = [asdict(p) for p in self.left_behind]
        data["runs"] = [run.to_dict() for run in self.runs]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunState:
        left = data.get("left_behind") or []
        if not isinstance(left, list):
            raise ValueError("left_behind is not a list")
        procs = tuple(
            LeftBehind(int(p["pid"]), str(p.get("command") or "")) for p in left[:MAX_LEFT_BEHIND]
        )
        _require(data, _STATE_INTS, ("restart_at",), ("output_lost",))
        get = data.get
        return cls(
            pid=get("pid"),
            pid_start=get("pid_start"),
            supervisor_pid=get("supervisor_pid"),
            supervisor_start=get("supervisor_start"),
            dropped_bytes=get("dropped_bytes") or 0,
            output_lost=get("output_lost"),
            left_behind=procs,
            left_behind_count=max(get("left_behind_count") or 0, len(procs)),
            output_bytes=get("output_bytes"),
            restarts=get("restarts") or 0,
            runs=runs_from(get("runs")),
            restart_at=_float(get("restart_at")),
        )


@dataclass(frozen=True, slots=True)
class Result:
    """How the job ended; written once by its finalizer (``result.json``)."""

    status: JobStatus
    ended_at: float
    exit_code: int | None = None
    signal: str | None = None
    """Signal name (``SIGTERM``) when the command was ended by a signal."""
    killed_by: str | None = None
    """A :class:`KillReason` value: who asked for the kill."""
    reason: str | None = None
    """Why a job failed or was lost, in words."""

    def __post_init__(self) -> None:
        if not self.status.ended:
            raise ValueError("a result must be final")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        _require(data, ("exit_code",), ("ended_at",), ("signal", "killed_by", "reason"))
        get = data.get
        return cls(
            status=JobStatus(data["status"]),
            ended_at=float(get("ended_at") or 0.0),
            exit_code=get("exit_code"),
            signal=get("signal"),
            killed_by=get("killed_by"),
            reason=get("reason"),
        )


@dataclass(frozen=True, slots=True)
class FinalRecord:
    """``result.json``: the result, with the request, the last state and the last facts as
    they were."""

    request: Request
    state: RunState
    result: Result
    facts: Facts | None = None
    """``None`` for a job that never ran (or a record of an older bgview)."""

    def to_dict(self) -> dict[str, Any]:
        data = {
            "request": self.request.to_dict(),
            "state": self.state.to_dict(),
            "result": self.result.to_dict(),
        }
        if self.facts is not None:
            data["facts"] = self.facts.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FinalRecord:
        facts = data.get("facts")
        try:
            kept = Facts.from_dict(facts) if isinstance(facts, dict) else None
        except (KeyError, TypeError, ValueError):
            kept = None  # damaged facts hide nothing of how the job ended
        return cls(
            Request.from_dict(data["request"]),
            RunState.from_dict(data.get("state") or {}),
            Result.from_dict(data["result"]),
            kept,
        )


MIN_SIDE = 2
MAX_COLUMNS = 1000
MAX_ROWS = 1000
"""A job's terminal is 2×2 to 1000×1000: a window a person reads, and a screen the emulation
of cleaned reads (:mod:`bgview.runtime.emulation`) keeps in memory."""


def check_winsize(columns: object, rows: object) -> tuple[int, int]:
    """A terminal size a job's terminal may have; ``ValueError`` in one line if not."""
    if type(columns) is not int or type(rows) is not int:
        raise ValueError("a terminal size is two whole numbers")
    if not (MIN_SIDE <= columns <= MAX_COLUMNS and MIN_SIDE <= rows <= MAX_ROWS):
        raise ValueError(
            f"a terminal size of {columns}x{rows} is out of range "
            f"({MIN_SIDE}x{MIN_SIDE} to {MAX_COLUMNS}x{MAX_ROWS})"
        )
    return columns, rows


__all__ = [
    "FinalRecord",
    "JobFiles",
    "JobStatus",
    "KillReason",
    "LeftBehind",
    "Phase",
    "Request",
    "Result",
    "RunState",
]
