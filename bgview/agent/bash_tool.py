"""The ``bash`` tool: start a command, in the background or waited for, or until it is ready.

A foreground command is waited for up to its ``timeout`` and then left running in the
background (never killed for being slow), unless background jobs are disabled
(``BGVIEW_DISABLE_BACKGROUND_TASKS=1``), where the timeout kills it. A command with
``ready`` is answered once it is ready, ended, waiting for input, or the timeout passed,
with its last lines.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from bgview.agent.reply import Reply
from bgview.agent.results import Data, job_data, read_data
from bgview.agent.tools import DEFAULT_READY_TIMEOUT, DEFAULT_TIMEOUT
from bgview.runtime import Job, Output, Runtime, notice_text
from bgview.runtime.facts import FactKind
from bgview.runtime.jobpty import DEFAULT_SIZE, parse_size
from bgview.runtime.notices import readiness_text
from bgview.runtime.present import format_duration
from bgview.runtime.readiness import ready_settled
from bgview.runtime.text import visible

WAIT_SLICE = 0.25
"""A foreground wait runs in slices this long, so a cancelled call stops within one slice."""
TIMEOUT_GRACE = 15.0
"""With background jobs disabled the runtime kills a command at its timeout; how much longer
we wait for that kill to be recorded before saying it is still running."""
LAST_LINES = 10
"""Lines of output shown with a readiness answer (read with a peek: no cursor moves)."""


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


class BashTool:
    """``bash`` for one runtime and one consumer (whose cursor a foreground read moves)."""

    def __init__(
        self, runtime: Runtime, consumer: str, stopped: Callable[[threading.Event], bool]
    ) -> None:
        self.runtime = runtime
        self.consumer = consumer
        self._stopped = stopped
        """Whether a waiting call should give up: cancelled, or the host is closing."""

    def __call__(self, args: dict[str, Any], cancel: threading.Event) -> Reply:
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
            return Reply(note + stated_end(job), bash_data(job), (job.id,), is_error=True)
        if background and job.ready_condition is not None:
            limit = float(args.get("timeout", DEFAULT_READY_TIMEOUT))
            return self._answer_ready(job, limit, args.get("description"), cancel)
        if background:
            what = f" ({visible(args['description'])})" if args.get("description") else ""
            kept = "; kept: it outlives this session" if job.keep else ""
            return Reply(
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
            return Reply(body + stated_end(job) + "\n", data, (job.id,))
        if job.facts.waiting_for_input and not disabled:
            prompt = f': "{visible(job.facts.prompt)}"' if job.facts.prompt else ""
            return Reply(
                body + f"[{job.id} is waiting for input{prompt}. It runs on in the background: "
                f'answer with write_stdin("{job.id}", ...) (end with \\n for Enter), read on '
                f'with bash_output("{job.id}"), stop it with kill_shell("{job.id}")]\n',
                data,
                told=((job.id, FactKind.INPUT),),
            )
        return Reply(
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
    ) -> Reply:
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
            return Reply(f"{said}{what}\n{lines}", bash_data(job), (job.id,))
        told: tuple[tuple[str, FactKind], ...] = ()
        if job.ready:
            told = ((job.id, FactKind.READY),)
        elif job.facts.waiting_for_input:
            told = ((job.id, FactKind.INPUT),)
            hint = f'answer it with write_stdin("{job.id}", ...) (end with \\n for Enter); ' + hint
        kept = "; kept: it outlives this session" if job.keep else ""
        return Reply(
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
