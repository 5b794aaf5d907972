"""``bgview run``: start a command in the background and print its id.

Checked before anything is created: a NUL byte in what would be run, and a
``BGVIEW_OWNER_PID`` that names no live process. With ``BGVIEW_DISABLE_BACKGROUND_TASKS=1``
the job runs in the foreground: its output streams here and its exit code is ours.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, BinaryIO

from bgview.cli import args as types
from bgview.runtime import BgviewError, Job, JobStatus, Runtime, notice_text
from bgview.runtime.limits import MAX_TAIL

if TYPE_CHECKING:
    from bgview.cli.args import Subparsers


def add_parser(sub: Subparsers) -> None:
    run = sub.add_parser("run", help="start a command in the background, print its id")
    run.add_argument("--name", help="a name; refused while a job of that name runs")
    run.add_argument("--timeout", type=types.seconds, metavar="SECONDS", help="kill it after this")
    run.add_argument("--cwd", metavar="DIR", help="working directory (default: .)")
    run.add_argument("--keep", action="store_true", help="outlive the host session, if any")
    run.add_argument("--max-log", type=types.size, metavar="SIZE", help="log cap (default 512M)")
    run.add_argument(
        "--size",
        type=types.winsize,
        metavar="COLSxROWS",
        help="its terminal's size (default: this terminal's, else 120x40)",
    )
    run.add_argument(
        "--ready",
        metavar="PATTERN",
        help="wait until its output matches this regex, or with 'auto' until it listens "
        "on a port or prints a local URL; then print its id (exit 1 if it never is)",
    )
    run.add_argument(
        "--ready-port", type=types.port, metavar="PORT", help="wait until it listens on PORT"
    )
    run.add_argument(
        "--ready-timeout",
        type=types.seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for readiness (default 60; the job runs on)",
    )
    run.add_argument(
        "--notify-on", metavar="PATTERN", help="tell each new line matching this regex"
    )
    run.add_argument(
        "--notify-cooldown",
        type=types.seconds,
        metavar="SECONDS",
        help="after a told match, only count more for this long (default 2)",
    )
    run.add_argument(
        "--restart",
        choices=("on-failure", "always"),
        help="run it again when it ends: after a non-zero exit or a crash, or always (never "
        "after bgview kill)",
    )
    run.add_argument(
        "--max-restarts", type=int, metavar="N", help="with --restart: at most N times (default 5)"
    )
    run.add_argument(
        "--backoff",
        type=types.seconds,
        metavar="SECONDS",
        help="with --restart: wait before the first restart (default 1), doubled at each, "
        "at most 60",
    )
    run.add_argument("command", nargs="*", help="'a shell string', or -- PROGRAM [ARG...]")


def split_run_args(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """``bgview run [opts] -- PROGRAM ARGS``: what follows ``--`` is an argv, kept verbatim."""
    if "run" not in argv:
        return argv, None
    at = argv.index("run")
    if "--" in argv[at:]:
        cut = argv.index("--", at)
        return argv[:cut], argv[cut + 1 :]
    return argv, None


def run(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    rt = Runtime(args.project)
    if argv_cmd is not None:
        if args.command:
            raise BgviewError("give the command either as one shell string or after --, not both")
        if not argv_cmd:
            raise BgviewError("nothing to run after --")
        command: str | list[str] = argv_cmd
    elif len(args.command) == 1:
        command = args.command[0]
    elif not args.command:
        raise BgviewError("nothing to run: bgview run 'a shell string' or bgview run -- PROGRAM")
    else:
        raise BgviewError(
            "several words given: quote them as one shell string, or put them after --"
        )
    refuse_nul(command, args.name, args.cwd)
    foreground = os.environ.get("BGVIEW_DISABLE_BACKGROUND_TASKS") == "1"
    if not args.keep:
        rt.owner_pid = owner_pid()  # started from inside a host session: it ends with it
    job = rt.start(
        command,
        name=args.name,
        timeout=args.timeout,
        cwd=args.cwd,
        keep=args.keep,
        max_log=args.max_log,
        size=args.size,
        ready=args.ready,
        ready_port=args.ready_port,
        notify_on=args.notify_on,
        notify_cooldown=args.notify_cooldown,
        restart=args.restart,
        max_restarts=args.max_restarts,
        backoff=args.backoff,
    )
    if job.status is JobStatus.FAILED:
        print(job.id, flush=True)
        print(notice_text(job), file=sys.stderr)
        return 1
    if foreground:
        print(job.id, flush=True)
        return _follow(rt, job)
    if job.ready_condition is not None:
        return wait_ready(rt, job.id, args.ready_timeout, print_id=True)
    print(job.id, flush=True)
    return 0


def wait_ready(rt: Runtime, job_id: str, timeout: float | None, *, print_id: bool) -> int:
    """Wait for readiness; 0 once ready, 1 if not (it ended, waits for input, can never be,
    or the timeout came). ``run`` prints the id on stdout once the wait is over and how it
    went on stderr (stdout holds only the id); ``wait`` prints readiness on stdout."""
    from bgview.runtime.notices import readiness_text

    started = time.monotonic()
    try:
        job, ready = rt.wait(job_id, timeout=timeout, ready=True)
    finally:
        if print_id:
            print(job_id, flush=True)  # also when interrupted: the job runs on
    text = readiness_text(job, time.monotonic() - started)
    print(text, file=sys.stdout if ready and not print_id else sys.stderr)
    return 0 if ready else 1


def refuse_nul(command: str | list[str], name: str | None, cwd: str | None) -> None:
    """A NUL byte cannot be passed to a program (argv and paths are C strings): refuse it
    here, before a record is written, rather than start a job that fails with exit 127."""
    words = [command] if isinstance(command, str) else command
    if any("\0" in word for word in words):
        what = "the command" if isinstance(command, str) else "the program or an argument"
        raise BgviewError(f"{what} holds a NUL byte (\\0), which no program can be given")
    if name is not None and "\0" in name:
        raise BgviewError("a job name cannot hold a NUL byte (\\0)")
    if cwd is not None and "\0" in cwd:
        raise BgviewError("--cwd holds a NUL byte (\\0): no directory has such a name")


def owner_pid() -> int | None:
    """``$BGVIEW_OWNER_PID``: the host session (``bgview shell``, ``bgview mcp``) a job
    started from inside it ends with. A value that is not a PID, or names a process that has
    gone, is refused: the job would either outlive a session that meant to own it, or be
    ended at once by an owner already dead."""
    raw = os.environ.get("BGVIEW_OWNER_PID")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) == 0:
        raise BgviewError(f"BGVIEW_OWNER_PID={raw!r} is not a process id (unset it, or --keep)")
    pid = int(raw)
    try:
        os.kill(pid, 0)
    except PermissionError:  # alive, another user's: it can still own the job
        pass
    except (ProcessLookupError, OverflowError):
        raise BgviewError(
            f"BGVIEW_OWNER_PID={pid} names no running process: the session that set it has "
            "ended (unset it, or --keep)"
        ) from None
    return pid


def _follow(rt: Runtime, job: Job) -> int:
    """Run in the foreground (``BGVIEW_DISABLE_BACKGROUND_TASKS=1``): stream, then the code."""
    try:
        return _stream(rt, job, sys.stdout.buffer)
    except KeyboardInterrupt:
        # In the foreground, Ctrl+C ends the command, as it would without bgview.
        print(notice_text(rt.kill(job.id, grace=1.0)), file=sys.stderr)
        return 130


def _stream(rt: Runtime, job: Job, out: BinaryIO) -> int:
    """Copy the job's output as it comes; its exit code (1 if it had none) once it ends."""
    offset = 0
    while True:
        current = rt.job(job.id)
        peek = rt.peek(job.id, offset=offset, tail=MAX_TAIL)
        out.write(peek.data)
        out.flush()
        offset = peek.end
        if current.status.ended and not peek.data:
            print(notice_text(current), file=sys.stderr)
            return current.exit_code if current.exit_code is not None else 1
        if not peek.data:
            time.sleep(0.01)
