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

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bgview.agent.arguments import ToolCallError, check_arguments
from bgview.agent.bash_tool import BashTool, stated_end
from bgview.agent.listing import listing
from bgview.agent.reply import Reply
from bgview.agent.results import Data, job_data, notice_data, read_data
from bgview.agent.tools import BY_NAME, TOOLS
from bgview.agent.waiting import job_state, wait_for_change
from bgview.runtime import (
    BgviewError,
    NoSuchJob,
    Output,
    Runtime,
    notice_text,
)
from bgview.runtime.facts import FactKind
from bgview.runtime.notices import Notice
from bgview.runtime.present import format_duration, restart_line
from bgview.runtime.text import visible


@dataclass(frozen=True)
class ToolResult:
    """What a tool call gives back to the model."""

    text: str
    is_error: bool = False
    data: Data | None = None
    """The same answer as JSON data (MCP ``structuredContent``), in the shape of the tool's
    :data:`~bgview.agent.outputs.BY_TOOL` schema; ``None`` for an error about the call itself
    (a bad argument, an unknown job), which has nothing but its text."""


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
        self._tools: dict[str, Callable[[dict[str, Any], threading.Event], Reply]] = {
            "bash": BashTool(self.runtime, consumer, self._stopped),
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
            reply = Reply(
                f"{name}: no job {job_id} in this project (list_shells shows the jobs)",
                is_error=True,
            )
        except BgviewError as exc:
            text = visible(str(exc))
            # Say which tool failed, once (an unknown tool has no name worth repeating).
            if name in self._tools and not text.startswith(f"{name}:"):
                text = f"{name}: {text}"
            reply = Reply(text, is_error=True)
        except OSError as exc:  # the store itself failed (a full disk, permissions): say so
            reply = Reply(f"{name}: {visible(str(exc.strerror or exc))}", is_error=True)
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

    def _bash_output(self, args: dict[str, Any], cancel: threading.Event) -> Reply:
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
            return Reply(body + stated_end(job) + "\n", data, (job.id,))
        waiting = ""
        if job.facts.waiting_for_input:
            prompt = f': "{visible(job.facts.prompt)}"' if job.facts.prompt else ""
            waiting = f"; waiting for input{prompt}: answer with write_stdin"
        if job.waiting_to_restart:
            # Nothing runs between runs: say so, and when the next one starts.
            waiting = f"; its restart policy runs it again: {restart_line(job, time.time())}"
        return Reply(
            body
            + f"[{job.id} still running after {format_duration(job.wall_seconds())}{waiting}]\n",
            data,
        )

    def _since(self, job_id: str, args: dict[str, Any]) -> Reply:
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
        return Reply(body + f"[{state}]\n", data, (job.id,) if job.status.ended else ())

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

    def _kill_shell(self, args: dict[str, Any], cancel: threading.Event) -> Reply:
        job_id: str = args["shell_id"]
        before = self.runtime.job(job_id)
        if before.status.ended:
            return Reply(
                f"{job_id} had already ended: {notice_text(before)}\n",
                {**job_data(before), "already_ended": True},
                (job_id,),
            )
        job = self.runtime.kill(job_id, by="agent")
        return Reply(notice_text(job) + "\n", {**job_data(job), "already_ended": False}, (job_id,))

    def _list_shells(self, args: dict[str, Any], cancel: threading.Event) -> Reply:
        text, data = listing(self.runtime.jobs())
        return Reply(text, data)

    def _write_stdin(self, args: dict[str, Any], cancel: threading.Event) -> Reply:
        job_id: str = args["shell_id"]
        text: str = args["text"]
        if not text:
            raise ToolCallError("write_stdin: text is empty: give what to type (\\n is Enter)")
        self.runtime.write_stdin(job_id, text)
        status = self.runtime.job(job_id).status.value
        return Reply(
            f"sent {len(text)} character{'s' if len(text) != 1 else ''} to {job_id}; "
            f'read its response with bash_output("{job_id}", wait_seconds=...)\n',
            {"id": job_id, "status": status, "sent": len(text)},
        )
