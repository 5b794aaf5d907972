"""What a job is doing: the typed record of its facts, and the conditions it was given.

A job's supervisor gathers its facts while it runs, whoever watches or not
(:mod:`bgview.runtime.factkeeper`), and is their one writer: ``facts.json`` beside the rest of
the record, rewritten only when a fact changed; the final record keeps the last of them
(processes and ports cleared: nothing runs any more). Readers (:func:`jobread.load_job`) turn
it into :attr:`Job.facts <bgview.runtime.model.Job.facts>`.

The conditions come from the starter, in the request (``meta.json``): a readiness condition
(:class:`ReadyCondition`: a pattern in the output, a port that starts listening, or ``auto``)
and a pattern to watch (``notify_on``). What the supervisor has to tell as it happens — the
job became ready, it waits for input, a watched pattern matched — is a :class:`FactEvent`,
which becomes a notice (:mod:`bgview.runtime.notices`).

Whatever the job printed that is kept here (a URL, the prompt, a matched line) is cut to
:data:`MAX_TEXT` characters and made :func:`~bgview.runtime.text.visible` by whoever puts it
on a screen. Stdlib only, and small: the supervisor and every ``bgview list`` import it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

MAX_PROCESSES = 100
"""At most this many processes are listed (``process_count`` is always exact)."""
MAX_PORTS = 50
MAX_URLS = 10
MAX_TEXT = 200
"""Characters kept of anything the job printed that becomes a fact or a notice."""
MAX_PATTERN = 1000
"""Characters a readiness or watch pattern may have."""


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters, with ``…`` where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_pattern(pattern: str) -> str:
    """A pattern as notices and tables write it: ``/ERROR/``, cut to 60 characters."""
    return f"/{cut(pattern, 60)}/"


# ---- the conditions (written by the starter) -------------------------------------------------


class ReadyKind(StrEnum):
    """What makes a job ready."""

    PATTERN = "pattern"
    """A line of its output matches a regex."""
    PORT = "port"
    """One of its processes listens on this TCP port."""
    AUTO = "auto"
    """It listens on any TCP port, or prints a URL of this machine."""


@dataclass(frozen=True, slots=True)
class ReadyCondition:
    """When a job counts as ready (``--ready``, ``--ready-port``, ``ready=``)."""

    kind: ReadyKind
    pattern: str | None = None
    port: int | None = None

    def describe(self) -> str:
        """``auto``, ``port 8000``, ``/ready in/``."""
        if self.kind is ReadyKind.PORT:
            return f"port {self.port}"
        if self.kind is ReadyKind.PATTERN:
            return shown_pattern(self.pattern or "")
        return "auto"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "pattern": self.pattern, "port": self.port}

    @classmethod
    def from_dict(cls, data: object) -> ReadyCondition | None:
        """The condition in a record; ``None`` for none, ``ValueError`` for a damaged one."""
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ValueError("ready is not an object")
        kind = ReadyKind(str(data.get("kind")))
        pattern, port = data.get("pattern"), data.get("port")
        if kind is ReadyKind.PATTERN and type(pattern) is not str:
            raise ValueError("a ready pattern is not a string")
        if kind is ReadyKind.PORT and (type(port) is not int or not 0 < port < 65536):
            raise ValueError("a ready port is not a port number")
        return cls(kind, pattern if kind is ReadyKind.PATTERN else None, port)


# ---- the facts (written by the supervisor) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcessFact:
    """One process of the job, as last sampled."""

    pid: int
    command: str
    cpu_percent: float
    """Of one core, over the last sample's interval (more than 100 for several threads)."""
    rss_bytes: int
    """Resident memory (shared pages count in every process that maps them)."""


@dataclass(frozen=True, slots=True)
class PortFact:
    """A TCP port a process of the job listens on."""

    port: int
    address: str
    """The local address it is bound to: ``0.0.0.0``, ``127.0.0.1``, ``::``…"""
    pid: int | None
    """The first process of the job (parents first) holding the socket."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What a job is doing, as its supervisor last saw it (``facts.json``)."""

    updated_at: float = 0.0
    """When the supervisor wrote this (``time.time()``); 0 if it never did."""
    cpu_percent: float = 0.0
    """Every process of the job together."""
    rss_bytes: int = 0
    process_count: int = 0
    processes: tuple[ProcessFact, ...] = ()
    """Parents before their children, at most :data:`MAX_PROCESSES`."""
    ports: tuple[PortFact, ...] = ()
    urls: tuple[str, ...] = ()
    """URLs of this machine or a private network the job printed, newest first."""
    ready: bool | None = None
    """``None`` without a readiness condition; ``False`` while starting; ``True`` once ready."""
    ready_after: float | None = None
    """Seconds from the start to readiness."""
    ready_detail: str | None = None
    """What made it ready: a URL, ``port 8000``, or the line that matched."""
    waiting_for_input: bool = False
    """Its foreground process is blocked reading the terminal and it printed nothing for a
    while (see :mod:`bgview.runtime.procfacts`)."""
    prompt: str | None = None
    """While waiting for input: its last partial line (or last line), cleaned."""
    matches: int = 0
    """Matches of the watched pattern (``notify_on``) so far."""
    watch_stopped: str | None = None
    """Why the watch of ``notify_on`` stopped, once it has."""

    def significant(self) -> tuple[object, ...]:
        """What must differ for ``facts.json`` to be rewritten: CPU to the whole percent and
        memory to the MiB, so an idle job's record is not rewritten for noise."""
        return (
            round(self.cpu_percent),
            self.rss_bytes >> 20,
            self.process_count,
            tuple(
                (p.pid, p.command, round(p.cpu_percent), p.rss_bytes >> 20) for p in self.processes
            ),
            self.ports,
            self.urls,
            self.ready,
            self.ready_detail,
            self.waiting_for_input,
            self.prompt,
            self.matches,
            self.watch_stopped,
        )

    def ended(self) -> Facts:
        """The facts to keep in the final record: nothing runs, listens or waits any more."""
        return replace(
            self,
            cpu_percent=0.0,
            rss_bytes=0,
            process_count=0,
            processes=(),
            ports=(),
            waiting_for_input=False,
            prompt=None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "updated_at": self.updated_at,
            "cpu_percent": self.cpu_percent,
            "rss_bytes": self.rss_bytes,
            "process_count": self.process_count,
            "processes": [
                {
                    "pid": p.pid,
                    "command": p.command,
                    "cpu_percent": p.cpu_percent,
                    "rss_bytes": p.rss_bytes,
                }
                for p in self.processes
            ],
            "ports": [{"port": p.port, "address": p.address, "pid": p.pid} for p in self.ports],
            "urls": list(self.urls),
            "ready": self.ready,
            "ready_after": self.ready_after,
            "ready_detail": self.ready_detail,
            "waiting_for_input": self.waiting_for_input,
            "prompt": self.prompt,
            "matches": self.matches,
            "watch_stopped": self.watch_stopped,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Facts:
        """Build from a record; ``ValueError`` (``KeyError``, ``TypeError``) if damaged."""
        get = data.get
        processes = tuple(
            ProcessFact(
                _int(p["pid"]), str(p["command"]), _number(p["cpu_percent"]), _int(p["rss_bytes"])
            )
            for p in _list(get("processes"))[:MAX_PROCESSES]
        )
        ports = tuple(
            PortFact(_int(p["port"]), str(p["address"]), _opt_int(p.get("pid")))
            for p in _list(get("ports"))[:MAX_PORTS]
        )
        urls = tuple(str(u) for u in _list(get("urls"))[:MAX_URLS])
        ready = get("ready")
        if ready is not None and type(ready) is not bool:
            raise ValueError("ready is not a boolean")
        return cls(
            updated_at=_number(get("updated_at") or 0.0),
            cpu_percent=_number(get("cpu_percent") or 0.0),
            rss_bytes=_int(get("rss_bytes") or 0),
            process_count=max(_int(get("process_count") or 0), len(processes)),
            processes=processes,
            ports=ports,
            urls=urls,
            ready=ready,
            ready_after=_opt_number(get("ready_after")),
            ready_detail=_opt_str(get("ready_detail")),
            waiting_for_input=get("waiting_for_input") is True,
            prompt=_opt_str(get("prompt")),
            matches=_int(get("matches") or 0),
            watch_stopped=_opt_str(get("watch_stopped")),
        )


NO_FACTS = Facts()
"""A job whose supervisor has written no facts (yet, or ever: a record of an older bgview)."""


def _list(value: object) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def _int(value: object) -> int:
    if type(value) is not int:
        raise ValueError(f"{value!r} is not an integer")
    return value


def _opt_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _number(value: object) -> float:
    if type(value) is not int and type(value) is not float:
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _opt_number(value: object) -> float | None:
    return None if value is None else _number(value)


def _opt_str(value: object) -> str | None:
    if value is not None and type(value) is not str:
        raise ValueError(f"{value!r} is not a string")
    return value


# ---- events (told as notices) ----------------------------------------------------------------


class FactKind(StrEnum):
    """A change a person or an agent should hear of."""

    READY = "ready"
    """The job met its readiness condition (only jobs given one)."""
    INPUT = "input"
    """It began waiting for input (once per wait)."""
    MATCH = "match"
    """A line matched the watched pattern."""
    MATCHES = "matches"
    """More matches came during the cooldown after one was told: their count."""
    WATCH_STOPPED = "watch-stopped"
    """The watch ended: its cap was reached, or its pattern took too long."""
    RESTARTED = "restarted"
    """Its restart policy ran the command again (:mod:`~bgview.runtime.restarts`)."""


@dataclass(frozen=True, slots=True)
class FactEvent:
    """One fact event, as the supervisor appends it to the project's ``notices.log``."""

    kind: FactKind
    text: str = ""
    """The URL or line that made it ready, the prompt, the matched line, or why a watch
    stopped: printed by the job, cut to :data:`MAX_TEXT`."""
    pattern: str = ""
    """The watched pattern (match events)."""
    count: int = 0
    """How many matches (``MATCHES``, ``WATCH_STOPPED``)."""
    seconds: float = 0.0
    """Readiness: seconds since the start; ``MATCHES``: the cooldown they came in."""
    limit: int = 0
    """``RESTARTED``: how many restarts the policy allows (``count`` is this one's number,
    ``text`` how the run before ended: ``exit 1``, ``SIGSEGV``)."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value, "text": self.text}
        if self.pattern:
            data["pattern"] = self.pattern
        if self.count:
            data["count"] = self.count
        if self.seconds:
            data["seconds"] = round(self.seconds, 3)
        if self.limit:
            data["limit"] = self.limit
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FactEvent:
        """``ValueError`` for anything that is not an event of a known kind."""
        get = data.get
        return cls(
            FactKind(str(get("kind"))),
            cut(str(get("text") or "")),
            cut(str(get("pattern") or ""), MAX_PATTERN),
            _int(get("count") or 0),
            _number(get("seconds") or 0.0),
            _int(get("limit") or 0),
        )
