"""Carrying out agent tool calls on the runtime, and the notices every result ends with.

>>> handler = ToolHandler(Session())
>>> handler.call("bash", {"command": "npm run dev", "run_in_background": True}).text
'started bash_1 …'

A :class:`ToolHandler` is what a harness (or the MCP server) calls with a tool's name and its
arguments. It gives back text for the model, or a tool error whose text says what to change.
Every result, errors included, ends with the notices given since the previous call: jobs that
ended, and what running jobs did (became ready, began waiting for input, matched a watched
pattern). A job's end (or readiness, or wait) that the result itself states (``kill_shell``, a
foreground ``bash``, ``bash`` with ``ready``, a read of an ended job) is not told twice.

Calls may run concurrently (the MCP server runs each in its own thread).

What came from a job or its command (name, command, project path, a reason, an error's words)
is put in a result :func:`~bgview.runtime.text.visible`: a client may print results on a
terminal, and a job's name must not be able to write escape sequences to it. A job's output is
cleaned by the runtime and passed as it is.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bgview.agent.arguments import ToolCallError, check_arguments
from bgview.agent.listing import listing
from bgview.agent.results import Data, job_data, notice_data, read_data
from bgview.agent.tools import BY_NAME, DEFAULT_READY_TIMEOUT, DEFAULT_TIMEOUT, TOOLS
from bgview.agent.waiting import job_state, wait_for_change
from bgview.runtime import (
    BgviewError,
    Job,
    NoSuchJob,
    Output,
    Runtime,
    notice_text,
)
from bgview.runtime.facts import FactKind
from bgview.runtime.jobpty import DEFAULT_SIZE, parse_size
from bgview.runtime.notices import Notice, readiness_text
from bgview.runtime.present import format_duration, restart_line
from bgview.runtime.readiness import ready_settled
from bgview.runtime.text import visible

WAIT_SLICE = 0.25
"""A foreground wait runs in slices this long, so a cancelled call stops within one slice."""
TIMEOUT_GRACE = 15.0
"""With background jobs disabled the runtime kills a command at its timeout; how much longer
we wait for that kill to be recorded before saying it is still running."""
LAST_LINES = 10
"""Lines of output shown with a readiness answer (read with a peek: no cursor moves)."""


@dataclass(frozen=True)
class ToolResult:
    """What a tool call gives back to the model."""

    text: str
    is_error: bool = False
    data: Data | None = None
    """The same answer as JSON data (MCP ``structuredContent``), in the shape of the tool's
    :data:`~bgview.agent.outputs.BY_TOOL` schema; ``None`` for an error about the call itself
    (a bad argument, an unknown job), which has nothing but its text."""


@dataclass(frozen=True)
class _Reply:
    """A tool's own answer, before the notices are added."""

    text: str
    data: Data | None = None
    stated: tuple[str, ...] = ()
    """Jobs whose end this answer states (with their notice line): not told again."""
    is_error: bool = False
    told: tuple[tuple[str, FactKind], ...] = ()
    """Events this answer states (a job became ready, waits for input): not told again."""


def _policy(args: dict[str, Any]) -> dict[str, Any]:
    """``bash``'s restart arguments as :meth:`Runtime.start` takes them (none without
    ``restart``: max_restarts and backoff alone change nothing)."""
    if args.get("restart") is None:
        return {}
    return {
        "restart": args["restart"],
        "max_restarts": args.get("max_restarts"),
        "backoff": args.get("backoff"),
    }


def stated_end(job: Job) -> str:
    """A job's end as told in the result of the call that saw it end.

    The notice line without its ``bg:`` marker: it is the same wording agents get in notices,
    but this command was not in the background as far as the agent is concerned.
    """
    return notice_text(job).replace("[bg:", "[", 1)


def bash_data(job: Job, output: Output | None = None) -> Data:
    """``bash``'s data: the job, whether it runs on after the answer, what a foreground
    command's read gave."""
    read = read_data(output) if output is not None else {"lines": []}
    return {**job_data(job), "background": job.running, **read}


def background_disabled() -> bool:
    """``BGVIEW_DISABLE_BACKGROUND_TASKS=1``: every command runs in the foreground."""
    return os.environ.get("BGVIEW_DISABLE_BACKGROUND_TASKS") == "1"


class ToolHandler:
    """Dispatches tool calls (name + arguments) to one project's runtime.

    ``consumer`` names this agent's read cursors and its place in the notices: two agents
    with different consumers each get every line and every notice.
    """

    def __init__(self, runtime: Runtime | None = None, *, consumer: str = "agent") -> None:
        self.runtime = runtime if runtime is not None else Runtime()
        self.consumer = consumer
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._stated: set[str] = set()
        self._told: set[tuple[str, FactKind]] = set()
        self._tools: dict[str, Callable[[dict[str, Any], threading.Event], _Reply]] = {
            "bash": self._bash,
            "bash_output": self._bash_output,
            "kill_shell": self._kill_shell,
            "list_shells": self._list_shells,
            "write_stdin": self._write_stdin,
        }
        assert set(self._tools) == set(BY_NAME), "every tool has a handler"

    def call(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> ToolResult:
        """Carry out one tool call; never raises for a problem the agent can fix.

        ``cancel``, when set, makes a waiting call give up (a foreground command it started is
        killed: the caller no longer wants it).
        """
        stop = cancel if cancel is not None else threading.Event()
        try:
            tool = self._tools.get(name)
            if tool is None:
                names = ", ".join(t.name for t in TOOLS)
                raise ToolCallError(f"unknown tool {name!r} (the tools are: {names})")
            reply = tool(check_arguments(BY_NAME[name], arguments), stop)
        except NoSuchJob:
            job_id = arguments.get("shell_id") if isinstance(arguments, Mapping) else None
            reply = _Reply(
                f"{name}: no job {job_id} in this project (list_shells shows the jobs)",
                is_error=True,
            )
        except BgviewError as exc:
            text = visible(str(exc))
            # Say which tool failed, once (an unknown tool has no name worth repeating).
            if name in self._tools and not text.startswith(f"{name}:"):
                text = f"{name}: {text}"
            reply = _Reply(text, is_error=True)
        except OSError as exc:  # the store itself failed (a full disk, permissions): say so
            reply = _Reply(f"{name}: {visible(str(exc.strerror or exc))}", is_error=True)
        notices = self._notices(reply.stated, reply.told)
        text = reply.text
        if notices:
            text = text.rstrip("\n") + "\n\n" + "\n".join(n.text for n in notices) + "\n"
        data = None
        if reply.data is not None:
            data = {**reply.data, "notices": [notice_data(n) for n in notices]}
        return ToolResult(text, reply.is_error, data)

    def close(self) -> None:
        """Make calls in flight stop waiting (the host is shutting down)."""
        self._closing.set()

    # ---- notices -----------------------------------------------------------------------------

    def _notices(
        self, stated: Iterable[str], told: Iterable[tuple[str, FactKind]] = ()
    ) -> list[Notice]:
        """The notices to end this result with: those not stated by the answer itself."""
        with self._lock:
            self._stated.update(stated)
            self._told.update(told)
            shown = []
            for notice in self.runtime.notices(self.consumer):
                if notice.event is not None:
                    key = (notice.job.id, notice.event.kind)
                    if key in self._told:
                        self._told.discard(key)  # told in the answer: spent
                        continue
                elif notice.job.id in self._stated:
                    self._stated.discard(notice.job.id)  # its notice is spent: forget it
                    continue
                shown.append(notice)
        return shown

    def _stopped(self, cancel: threading.Event) -> bool:
        return cancel.is_set() or self._closing.is_set()

    # ---- the tools ---------------------------------------------------------------------------

    def _bash(self, args: dict[str, Any], cancel: threading.Event) -> _Reply:
        ready: str | None = args.get("ready")
        restart: str | None = args.get("restart")
        background = (
            bool(args.get("run_in_background", False)) or ready is not None or restart is not None
        )
        timeout = float(args.get("timeout", DEFAULT_TIMEOUT))
        disabled = background_disabled()
        note = ""
        if disabled and background:
            background = False
            note = (
                "[run_in_background was ignored: BGVIEW_DISABLE_BACKGROUND_TASKS=1 runs every "
                "command in the foreground]\n"
            )
        port = int(ready.strip()) if ready is not None and ready.strip().isdigit() else None
        job = self.runtime.start(
            args["command"],
            name=args.get("name"),
            keep=bool(args.get("keep", False)),
            # With background jobs disabled nothing may outlive the call: the timeout kills.
            timeout=timeout if disabled else None,
            ready=ready if port is None and not disabled else None,
            ready_port=port if not disabled else None,
            notify_on=args.get("notify_on"),
            # An agent reads at a fixed width: its own size, or 120x40 (not the size of
            # whatever terminal the harness happens to run in).
            size=parse_size(args["size"]) if "size" in args else DEFAULT_SIZE,
            # A foreground command has nothing to restart: the call waits for its one end.
            **_policy(args if not disabled else {}),
        )
        if job.status.ended:  # could not start: the reason is in the notice
            return _Reply(note + stated_end(job), bash_data(job), (job.id,), is_error=True)
        if background and job.ready_condition is not None:
            limit = float(args.get("timeout", DEFAULT_READY_TIMEOUT))
            return self._answer_ready(job, limit, args.get("description"), cancel)
        if background:
            what = f" ({visible(args['description'])})" if args.get("description") else ""
            kept = "; kept: it outlives this session" if job.keep else ""
            return _Reply(
                f"started {job.id}{what}{kept}\nlog: {visible(str(job.log_path))}\n"
                f'read its output with bash_output("{job.id}"), stop it with '
                f'kill_shell("{job.id}")\n',
                bash_data(job),
            )
        limit = timeout + TIMEOUT_GRACE if disabled else timeout
        job = self._wait_end(job.id, limit, cancel)
        if not job.status.ended and cancel.is_set():
            job = self.runtime.kill(job.id, by="agent")  # the caller gave up on it: stop it
        output = self.runtime.read(job.id, consumer=self.consumer)
        body = note + (output.render() or "(no output)\n")
        job = output.job
        data = bash_data(job, output)
        if job.status.ended:
            return _Reply(body + stated_end(job) + "\n", data, (job.id,))
        if job.facts.waiting_for_input and not disabled:
            prompt = f': "{visible(job.facts.prompt)}"' if job.facts.prompt else ""
            return _Reply(
                body + f"[{job.id} is waiting for input{prompt}. It runs on in the background: "
                f'answer with write_stdin("{job.id}", ...) (end with \\n for Enter), read on '
                f'with bash_output("{job.id}"), stop it with kill_shell("{job.id}")]\n',
                data,
                told=((job.id, FactKind.INPUT),),
            )
        return _Reply(
            body + f"[still running as {job.id} after {format_duration(timeout)}: moved to the "
            f'background, not killed. bash_output("{job.id}") reads on, kill_shell("{job.id}") '
            f"stops it. log: {visible(str(job.log_path))}]\n",
            data,
        )

    def _wait_end(self, job_id: str, seconds: float, cancel: threading.Event) -> Job:
        """Wait for the job's end, up to ``seconds``, giving up early if cancelled or when it
        waits for input (nobody would answer it while the call waits)."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            job, ended = self.runtime.wait(job_id, timeout=max(0.0, min(remaining, WAIT_SLICE)))
            if ended or remaining <= WAIT_SLICE or self._stopped(cancel):
                return job
            if job.facts.waiting_for_input and not background_disabled():
                return job

    def _answer_ready(
        self, job: Job, seconds: float, description: str | None, cancel: threading.Event
    ) -> _Reply:
        """``bash`` with ``ready``: wait until the job is ready (or ended, or waits for input,
        or cannot be ready), up to ``seconds``; say which, with its last lines."""
        started = time.monotonic()
        deadline = started + seconds
        while not ready_settled(job):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stopped(cancel):
                break
            job, _ = self.runtime.wait(job.id, timeout=min(remaining, WAIT_SLICE), ready=True)
        said = readiness_text(job, time.monotonic() - started).replace("[bg:", "[", 1)
        what = f" ({visible(description)})" if description else ""
        lines = "".join(f"  {line}\n" for line in self._last_lines(job.id))
        hint = f'read its output with bash_output("{job.id}"), stop it with kill_shell("{job.id}")'
        if job.status.ended:
            return _Reply(f"{said}{what}\n{lines}", bash_data(job), (job.id,))
        told: tuple[tuple[str, FactKind], ...] = ()
        if job.ready:
            told = ((job.id, FactKind.READY),)
        elif job.facts.waiting_for_input:
            told = ((job.id, FactKind.INPUT),)
            hint = f'answer it with write_stdin("{job.id}", ...) (end with \\n for Enter); ' + hint
        kept = "; kept: it outlives this session" if job.keep else ""
        return _Reply(
            f"{said}{what}{kept}\n{lines}log: {visible(str(job.log_path))}\n{hint}\n",
            bash_data(job),
            told=told,
        )

    def _last_lines(self, job_id: str) -> list[str]:
        """The job's last few lines of output, cleaned (a peek: nobody's cursor moves)."""
        from bgview.runtime.clean import clean_bytes

        peek = self.runtime.peek(job_id, tail=16384)
        lines = clean_bytes(peek.data).splitlines()
        if peek.truncated and lines:
            lines = lines[1:]  # the first may be the end of a longer line
        return [line[:300] for line in lines if line.strip()][-LAST_LINES:]

    def _bash_output(self, args: dict[str, Any], cancel: threading.Event) -> _Reply:
        job_id: str = args["shell_id"]
        if "since" in args:
            return self._since(job_id, args)
        filtered = "filter" in args or "exclude" in args
        output = self._read(
            job_id, args.get("filter"), args.get("exclude"), args.get("wait_seconds"), cancel
        )
        body = output.render()
        if not body:
            body = "(no new output matching the filter)\n" if filtered else "(no new output)\n"
        job = output.job
        data = {**job_data(job), **read_data(output)}
        if job.status.ended:
            return _Reply(body + stated_end(job) + "\n", data, (job.id,))
        waiting = ""
        if job.facts.waiting_for_input:
            prompt = f': "{visible(job.facts.prompt)}"' if job.facts.prompt else ""
            waiting = f"; waiting for input{prompt}: answer with write_stdin"
        if job.waiting_to_restart:
            # Nothing runs between runs: say so, and when the next one starts.
            waiting = f"; its restart policy runs it again: {restart_line(job, time.time())}"
        return _Reply(
            body
            + f"[{job.id} still running after {format_duration(job.wall_seconds())}{waiting}]\n",
            data,
        )

    def _since(self, job_id: str, args: dict[str, Any]) -> _Reply:
        """``bash_output(since=...)``: the lines written since then (the newest
        ``MAX_CHARS``), moving no cursor (:mod:`bgview.runtime.export`)."""
        from bgview.runtime import export
        from bgview.runtime.limits import MAX_CHARS
        from bgview.runtime.patterns import compile_pattern

        since: str = args["since"]
        when = export.parse_since(since)
        keep = compile_pattern(args.get("filter"), "filter")
        drop = compile_pattern(args.get("exclude"), "exclude")
        project = self.runtime.project
        job = self.runtime.job(job_id)
        start = export.since_offset(project, job_id, when)
        text, left_out, end = "", 0, job.output_bytes or 0
        if start is not None:
            reading = export.Export(project, job_id, start, keep=keep, drop=drop)
            text, left_out = export.newest(reading.chunks(), MAX_CHARS)
            end = reading.end
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        body = text if not text or text.endswith("\n") else text + "\n"
        if left_out:
            body = f"[{left_out:,} earlier characters left out: a later since shows less]\n" + body
        if not text:
            body = f"(nothing written since {visible(since)})\n"
        data = {**job_data(job), "lines": lines if text else [], "dropped": 0, "next": end}
        data.update(more=False, unread=0)
        state = stated_end(job) if job.status.ended else f"{job.id} still running"
        return _Reply(body + f"[{state}]\n", data, (job.id,) if job.status.ended else ())

    def _read(
        self,
        job_id: str,
        keep: str | None,
        drop: str | None,
        wait: float | None,
        cancel: threading.Event,
    ) -> Output:
        """The consumer's cursor read; with ``wait``, as soon as something new arrives.

        Waits without reading (:mod:`bgview.agent.waiting`): a cancelled call moves no cursor.
        """
        deadline = time.monotonic() + (wait or 0.0)
        job = self.runtime.job(job_id)
        while True:
            before = job_state(job)  # taken before the read: a change during it is not missed
            output = self.runtime.read(job_id, consumer=self.consumer, filter=keep, exclude=drop)
            job = output.job
            if output.lines or output.skipped or job.status.ended or not wait:
                return output
            if not wait_for_change(job, before, deadline, lambda: self._stopped(cancel)):
                return output

    def _kill_shell(self, args: dict[str, Any], cancel: threading.Event) -> _Reply:
        job_id: str = args["shell_id"]
        before = self.runtime.job(job_id)
        if before.status.ended:
            return _Reply(
                f"{job_id} had already ended: {notice_text(before)}\n",
                {**job_data(before), "already_ended": True},
                (job_id,),
            )
        job = self.runtime.kill(job_id, by="agent")
        return _Reply(notice_text(job) + "\n", {**job_data(job), "already_ended": False}, (job_id,))

    def _list_shells(self, args: dict[str, Any], cancel: threading.Event) -> _Reply:
        text, data = listing(self.runtime.jobs())
        return _Reply(text, data)

    def _write_stdin(self, args: dict[str, Any], cancel: threading.Event) -> _Reply:
        job_id: str = args["shell_id"]
        text: str = args["text"]
        if not text:
            raise ToolCallError("write_stdin: text is empty: give what to type (\\n is Enter)")
        self.runtime.write_stdin(job_id, text)
        status = self.runtime.job(job_id).status.value
        return _Reply(
            f"sent {len(text)} character{'s' if len(text) != 1 else ''} to {job_id}; "
            f'read its response with bash_output("{job_id}", wait_seconds=...)\n',
            {"id": job_id, "status": status, "sent": len(text)},
        )
