"""The runtime as one typed Python API: what the viewer, the REPL and the agent tools use.

>>> rt = Runtime()                      # the current directory's project
>>> job = rt.start("npm run dev", name="dev")
>>> rt.read(job.id).text                # new complete lines since the agent's last read
>>> rt.kill(job.id)                     # the whole process group; returns once it is gone

A :class:`Session` is a runtime whose jobs belong to the calling process: they end when the
session closes — or when the process dies, even by SIGKILL — unless started with ``keep``.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from bgview.runtime import control
from bgview.runtime.errors import InvalidRequest
from bgview.runtime.jobpty import TtyMode, tty_mode
from bgview.runtime.limits import DEFAULT_TAIL, MAX_CHARS
from bgview.runtime.logstate import DEFAULT_MAX_LOG, parse_size
from bgview.runtime.model import Job
from bgview.runtime.restarts import RestartPolicy, policy
from bgview.runtime.store import Project, all_projects, iter_jobs

if TYPE_CHECKING:
    from bgview.runtime.notices import Notice
    from bgview.runtime.readresult import Output, Peek


def default_max_log() -> int:
    """``$BGVIEW_MAX_LOG`` (``512M``, ``1G``…) or, unset or empty, 512 MiB.

    A value that is not a size the runtime takes (``lots``, ``-1``, ``inf``, ``nan``, ``1e400``,
    ``1k``: below the smallest cap) raises :class:`InvalidRequest` naming the variable: a typo
    must not quietly mean the default, and ``bgview run`` refuses it with exit status 2.
    """
    from bgview.runtime.logstate import MIN_MAX_LOG

    raw = os.environ.get("BGVIEW_MAX_LOG")
    if not raw:
        return DEFAULT_MAX_LOG
    try:
        value = parse_size(raw)
    except (ValueError, OverflowError):  # OverflowError: inf and 1e400 as an int
        raise InvalidRequest(
            f"BGVIEW_MAX_LOG={raw!r} is not a size (a finite number of bytes: 512M, 1G)"
        ) from None
    if value < MIN_MAX_LOG:
        raise InvalidRequest(
            f"BGVIEW_MAX_LOG={raw!r} is too small (at least {MIN_MAX_LOG // 1024}K)"
        )
    return value


def restart_policy(
    mode: str | None, max_restarts: int | None = None, backoff: float | None = None
) -> RestartPolicy | None:
    """The policy of ``restart=``/``--restart``, or ``None`` without one; a bad value, or
    ``max_restarts`` or ``backoff`` without ``restart``, is :class:`InvalidRequest`."""
    if mode is None:
        if max_restarts is not None or backoff is not None:
            raise InvalidRequest("max restarts and backoff go with a restart policy (--restart)")
        return None
    try:
        return policy(mode, max_restarts, backoff)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


class Runtime:
    """One project's jobs. Cheap to create; holds no state but where the project lives."""

    owner_pid: int | None = None

    def __init__(self, project: str | os.PathLike[str] | None = None, *, home: Path | None = None):
        self.project = Project.open(project, root=home)

    @property
    def path(self) -> Path:
        """The project directory."""
        return self.project.path

    def start(
        self,
        command: str | Sequence[str],
        *,
        name: str | None = None,
        timeout: float | None = None,
        cwd: str | os.PathLike[str] | None = None,
        keep: bool = False,
        max_log: int | None = None,
        size: tuple[int, int] | None = None,
        ready: str | None = None,
        ready_port: int | None = None,
        notify_on: str | None = None,
        notify_cooldown: float | None = None,
        restart: str | None = None,
        max_restarts: int | None = None,
        backoff: float | None = None,
    ) -> Job:
        """Start ``command`` in the background and return at once.

        A string runs through the shell; a sequence is executed as is. A job that cannot
        start comes back ``failed`` with the reason (it is not an exception). ``size`` is the
        pty's ``(columns, rows)`` (default: the size of the terminal this process was started
        from, else 120×40).

        ``ready`` (a regex its output must match, or ``"auto"``: it listens on a port or
        prints a URL of this machine) or ``ready_port`` gives the job a readiness condition:
        ``job.ready`` is ``False`` until it is met (:meth:`wait` with ``ready=True`` waits for
        it). Each line matching ``notify_on`` is a notice; matches within ``notify_cooldown``
        seconds (default 2) of one are counted and told as one; at most 20 are told.

        ``restart`` (``"on-failure"`` or ``"always"``) runs the command again when it ends —
        after a failure, or after any end of its own — up to ``max_restarts`` times (default
        5), waiting ``backoff`` seconds (default 1) doubled at each restart, at most 60; a
        kill ends the job and its policy (see :mod:`bgview.runtime.restarts`).
        """
        request = control.StartRequest(
            command,
            name=name,
            timeout=timeout,
            cwd=cwd,
            keep=keep,
            owner_pid=None if keep else self.owner_pid,
            max_log=max_log if max_log is not None else default_max_log(),
            size=size,
            ready=ready,
            ready_port=ready_port,
            notify_on=notify_on,
            notify_cooldown=notify_cooldown,
            restart=restart_policy(restart, max_restarts, backoff),
        )
        return control.start(self.project, request)

    def restart(self, job_id: str, *, grace: float = 3.0) -> Job:
        """Start the job again as a new job (a new id; a running one is killed first), with
        its command, cwd, name, size, options and owner (:func:`control.restart`)."""
        return control.restart(self.project, job_id, grace=grace)

    def jobs(self, *, all_projects_: bool = False) -> list[Job]:
        """Every job of the project (or of every project), oldest first."""
        if all_projects_:
            return list(iter_jobs(all_projects(self.project.dir.parent.parent)))
        return self.project.jobs()

    def job(self, job_id: str) -> Job:
        """A fresh snapshot of one job."""
        return self.project.load(job_id)

    def read(
        self,
        job_id: str,
        *,
        consumer: str = "agent",
        filter: str | None = None,
        exclude: str | None = None,
        wait: float | None = None,
        max_chars: int = MAX_CHARS,
    ) -> Output:
        """The consumer's new complete lines since its last read (see :mod:`output`)."""
        from bgview.runtime import output  # the reading code loads on first read, not on start

        return output.read(
            self.project,
            job_id,
            consumer=consumer,
            filter=filter,
            exclude=exclude,
            wait=wait,
            max_chars=max_chars,
        )

    def skip_to(self, job_id: str, offset: int, *, consumer: str = "agent") -> int:
        """Move the consumer's read cursor to logical ``offset`` (at most the output's end):
        its next :meth:`read` gives only what follows. Returns the cursor's new offset."""
        from bgview.runtime import output

        return output.skip_to(self.project, job_id, offset, consumer=consumer)

    def peek(self, job_id: str, *, tail: int = DEFAULT_TAIL, offset: int | None = None) -> Peek:
        """Raw bytes from the log's tail (or from ``offset``); moves no cursor."""
        from bgview.runtime import output

        return output.peek(self.project, job_id, tail=tail, offset=offset)

    def kill(self, job_id: str, *, grace: float = 3.0, by: str = "user") -> Job:
        """SIGTERM the whole group, SIGKILL after ``grace``; returns once it is all gone."""
        return control.kill(self.project, job_id, grace=grace, by=by)

    def wait(
        self,
        job_id: str,
        *,
        timeout: float | None = None,
        pattern: str | None = None,
        ready: bool = False,
    ) -> tuple[Job, bool]:
        """Wait for the job's end (or for ``pattern`` in its output, or with ``ready`` for it
        to be ready: that wait also ends when the job ends, waits for input, or can never be
        ready; ``job.ready`` and ``job.facts`` say which).

        Returns the job and whether what was waited for happened before the timeout.
        """
        if timeout is not None and not (0 <= timeout <= 7 * 24 * 3600):
            raise InvalidRequest(f"timeout {timeout:g}s is out of range")
        if ready:
            if pattern is not None:
                raise InvalidRequest("wait for a pattern or for readiness, not both")
            from bgview.runtime.readiness import wait_ready

            job = wait_ready(self.project, job_id, timeout)
            return job, job.ready is True
        if pattern is not None:
            from bgview.runtime import output

            return output.wait_for_pattern(self.project, job_id, pattern, timeout)
        job = control.wait_meta(self.project, job_id, timeout)
        return job, job.status.ended

    def write_stdin(self, job_id: str, data: str | bytes) -> None:
        """Type into the job's terminal (``"\\x03"`` is Ctrl+C)."""
        raw = data.encode() if isinstance(data, str) else data
        control.write_stdin(self.project, job_id, raw)

    def send(self, job_id: str, text: str | bytes, *, enter: bool = True) -> None:
        """Type ``text`` into the job's terminal, then Enter unless ``enter=False`` (what
        ``bgview send`` does)."""
        control.send(self.project, job_id, text, enter=enter)

    def tty_mode(self, job_id: str) -> TtyMode | None:
        """How the job's terminal is set now (echo, canonical, size); ``None`` once ended."""
        return tty_mode(self.project.load(job_id))

    def resize(self, job_id: str, columns: int, rows: int) -> None:
        """Set the job's terminal size, as a terminal window being resized would."""
        control.resize(self.project, job_id, columns, rows)

    def notices(self, consumer: str = "agent", *, from_now: bool = False) -> list[Notice]:
        """Notices of ended jobs not yet given to ``consumer``; each is given once."""
        from bgview.runtime import notices

        return notices.drain(self.project, consumer, from_now=from_now)


class Session(Runtime):
    """A runtime whose jobs end with this process (unless started with ``keep``).

    The supervisors watch this process through a pidfd, so the guarantee holds even when it
    is killed outright; :meth:`close` (also run at exit) ends them promptly on a normal exit.
    """

    def __init__(self, project: str | os.PathLike[str] | None = None, *, home: Path | None = None):
        super().__init__(project, home=home)
        self.owner_pid = os.getpid()
        self._closed = False
        atexit.register(self.close)

    def owned(self) -> list[Job]:
        """This session's jobs that are still running (and not kept)."""
        mine = self.owner_pid
        return [j for j in self.project.jobs() if j.running and j.owner_pid == mine and not j.keep]

    def close(self, grace: float = 1.0) -> list[Job]:
        """End the session's running jobs (each as a whole group); returns them as ended."""
        if self._closed or os.getpid() != self.owner_pid:
            return []
        self._closed = True
        atexit.unregister(self.close)
        owned = [j.id for j in self.owned()]
        return control.kill_all(self.project, owned, grace=grace, by="owner-exit")

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
