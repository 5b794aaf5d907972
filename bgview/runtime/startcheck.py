"""A start checked before anything is created: what runs, where, and whether it can.

:func:`check_request` refuses, in one line each (:class:`~bgview.runtime.errors.InvalidRequest`),
a request no job could be started with — an empty command, a NUL byte, a timeout, size, log
cap, name or notify cooldown out of range, a readiness condition or watched pattern that is
not a Python regex the supervisor could watch for — and gives back the command's argv, as it
is shown, and its working directory. :func:`cannot_start` gives the reasons a job fails at once
(no such working directory, command not found), recorded as the job's end.

Apart from :mod:`bgview.runtime.starter`, which creates the job's files and spawns its
supervisor, so each can be read alone; and apart from :mod:`bgview.runtime.readiness`, the wait
for readiness, which ``bgview run`` does not load unless it waits. Stdlib only: ``bgview run``
imports this on its start path.
"""

from __future__ import annotations

import os
import re
import shlex
from typing import TYPE_CHECKING

from bgview.runtime.errors import InvalidRequest
from bgview.runtime.facts import MAX_PATTERN, ReadyCondition, ReadyKind
from bgview.runtime.logstate import MIN_MAX_LOG
from bgview.runtime.record import check_winsize

if TYPE_CHECKING:
    from bgview.runtime.starter import StartRequest


def check_request(request: StartRequest) -> tuple[list[str], str, str, ReadyCondition | None]:
    """``(argv, display, cwd, condition)`` for ``request``: what is executed, the command as
    shown, the absolute working directory and the readiness condition; :class:`InvalidRequest`
    for a request no job could be started with."""
    if isinstance(request.command, str):
        if not request.command.strip():
            raise InvalidRequest("empty command: give a command to run")
        argv = shell_argv(request.command)
        display = request.command
    else:
        argv = [str(a) for a in request.command]
        if not argv or not argv[0]:
            raise InvalidRequest("empty command: give a command to run")
        display = shlex.join(argv)
    if any("\0" in part for part in argv):
        raise InvalidRequest("a command cannot contain a NUL byte")
    if request.timeout is not None and not (0 < request.timeout <= 7 * 24 * 3600):
        raise InvalidRequest(f"timeout {request.timeout:g}s is out of range (0 < timeout ≤ 604800)")
    if request.size is not None:
        check_size(*request.size)
    if request.max_log is not None and request.max_log < MIN_MAX_LOG:
        raise InvalidRequest(f"log cap {request.max_log} is too small (at least {MIN_MAX_LOG})")
    if request.name is not None and (not request.name.strip() or len(request.name) > 200):
        raise InvalidRequest("a job name must be 1 to 200 characters")
    if request.name is not None and "\0" in request.name:
        raise InvalidRequest("a job name cannot contain a NUL byte")
    cwd = os.path.abspath(os.fspath(request.cwd)) if request.cwd is not None else os.getcwd()
    condition = ready_condition(request.ready, request.ready_port)
    if request.notify_on is not None:
        check_pattern(request.notify_on, "notify-on")
    cooldown = request.notify_cooldown
    if cooldown is not None and not (0.1 <= cooldown <= 3600):  # also refuses NaN
        raise InvalidRequest(f"a notify cooldown of {cooldown:g}s is out of range (0.1 to 3600)")
    return argv, display, cwd, condition


def shell_argv(command: str) -> list[str]:
    """How a shell string runs: bash if there is one (agents write bash), else sh."""
    shell = which("bash") or "/bin/sh"
    return [shell, "-c", command]


def which(program: str) -> str | None:
    """The executable ``program`` on ``$PATH`` (``shutil.which`` without loading shutil and
    its compression modules on ``bgview run``'s path)."""
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(directory or ".", program)
        if os.access(path, os.X_OK) and os.path.isfile(path):
            return path
    return None


def check_size(columns: int, rows: int) -> None:
    """A pty size a terminal could have (1 to 10000 each way)."""
    try:
        check_winsize(columns, rows)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


def ready_condition(pattern: str | None, port: int | None) -> ReadyCondition | None:
    """The condition ``--ready PATTERN`` (or ``auto``) or ``--ready-port PORT`` asks for;
    :class:`InvalidRequest` for a bad pattern or port, or both at once."""
    if pattern is not None and port is not None:
        raise InvalidRequest("give --ready or --ready-port, not both")
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise InvalidRequest(f"ready port {port!r} is not a TCP port (1 to 65535)")
        return ReadyCondition(ReadyKind.PORT, port=port)
    if pattern is None:
        return None
    if pattern == "auto":
        return ReadyCondition(ReadyKind.AUTO)
    return ReadyCondition(ReadyKind.PATTERN, pattern=check_pattern(pattern, "ready"))


def check_pattern(pattern: str, what: str) -> str:
    """A pattern the supervisor can watch for (Python's regex syntax); else
    :class:`InvalidRequest` naming ``what`` and saying why.

    The supervisor runs it on Python's ``re`` (:mod:`bgview.runtime.outputfacts`), so it is
    compiled here with ``re``; one that matches an empty line would match every line."""
    shown = repr(pattern) if len(pattern) <= 60 else repr(pattern[:60]) + "…"
    if not pattern:
        raise InvalidRequest(f"{what}: the pattern is empty")
    if len(pattern) > MAX_PATTERN or "\0" in pattern:
        raise InvalidRequest(f"{what} {shown}: at most {MAX_PATTERN} characters, and no NUL")
    try:
        compiled = re.compile(pattern, re.MULTILINE)
    except (re.error, RecursionError, OverflowError) as exc:
        raise InvalidRequest(f"invalid {what} regex {shown}: {exc}") from None
    if compiled.search("") is not None:
        raise InvalidRequest(f"{what} {shown} matches an empty line: it would match every line")
    return pattern


def cannot_start(argv: list[str], cwd: str) -> str | None:
    """The reasons we can give at once, before any process exists (the supervisor catches
    the rest, such as a binary that fails to exec)."""
    if not os.path.isdir(cwd):
        what = "does not exist" if not os.path.exists(cwd) else "is not a directory"
        return f"cannot use working directory {cwd}: it {what}"
    program = argv[0]
    if "/" not in program:
        return f"command not found: {program}" if which(program) is None else None
    path = os.path.join(cwd, program)  # a relative path is relative to the job's cwd
    if not os.path.exists(path):
        return f"command not found: {program}"
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        return f"cannot run {program}: it is not an executable file"
    return None
