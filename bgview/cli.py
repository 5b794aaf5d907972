"""The ``bgview`` command.

``bgview`` alone opens the viewer; the subcommands are a contract that scripts, agents and
tests rely on. Every problem the user can fix ends in one line on stderr and exit status 2;
a job that cannot start for want of disk space (``NoRoom``) in one line and exit status 1.
Only the runtime is imported here; the viewer, the REPL and the MCP server are imported when
their subcommand runs, so ``bgview run`` stays fast.

Numbers are checked here, at the edge: ``inf``, ``nan``, ``1e400`` and negative values are
refused (``prune --older-than nan`` must not mean "every job"), as are a NUL byte in what
would be run and a ``BGVIEW_OWNER_PID`` that names no live process, before anything is created.

Whatever came from a job (its command, name, cwd, reason, project) is printed
:func:`~bgview.runtime.text.visible`: a name holding escape sequences must not retitle the
terminal or write the clipboard. ``bgview list --json`` keeps the exact strings.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import BinaryIO, NoReturn

from bgview.runtime import BgviewError, Job, JobStatus, Runtime, notice_text, present
from bgview.runtime.api import default_max_log
from bgview.runtime.errors import NoRoom
from bgview.runtime.limits import DEFAULT_TAIL, MAX_TAIL
from bgview.runtime.logstate import parse_size
from bgview.runtime.present import format_duration, format_size
from bgview.runtime.text import visible

USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line that names the problem (and exit status 2).

    The message can quote what was typed (``unrecognized arguments: …``): it is shown
    :func:`visible`, so a pasted escape sequence stays on its line."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: {visible(message)} (see {self.prog} --help)\n")


def _finite_not_negative(value: float) -> bool:
    """Neither ``inf`` nor ``nan``, and not negative (``-0`` included: its sign was typed)."""
    return math.isfinite(value) and math.copysign(1.0, value) > 0


def _seconds(text: str) -> float:
    try:
        value = float(text.rstrip("s"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not _finite_not_negative(value):
        raise argparse.ArgumentTypeError(
            f"not a number of seconds: {text!r} (it must be finite, 0 or more)"
        )
    return value


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        # parse_size's own words for a word or a sign; inf, nan and 1e400 get past its float()
        # and fail turning into an int, in Python's words (or as an OverflowError, below).
        words = str(exc) if str(exc).startswith("not a size") else _not_a_size(text)
        raise argparse.ArgumentTypeError(words) from None
    except OverflowError:
        raise argparse.ArgumentTypeError(_not_a_size(text)) from None


def _not_a_size(text: str) -> str:
    return f"not a size: {text!r} (a finite number of bytes: 512M, 1G)"


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r} (1 to 65535)")
    return int(text)


def _tail(text: str) -> int:
    value = _size(text)
    if value > MAX_TAIL:
        raise argparse.ArgumentTypeError(f"--tail {text} is over the limit of {MAX_TAIL:,} bytes")
    return value


COMMANDS = (
    "run",
    "list",
    "output",
    "kill",
    "wait",
    "notices",
    "prune",
    "shell",
    "mcp",
    "serve",
    "status",
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` just that subcommand's parser: building the
    others costs milliseconds (argparse looks up translations for every help string), and
    ``bgview run`` is on an agent's hot path."""
    parser = _Parser(
        prog="bgview",
        description="Background jobs for terminal coding agents. With no command: the viewer.",
    )
    parser.add_argument("--project", metavar="DIR", help="the project (default: git root of .)")
    parser.add_argument("--all", action="store_true", help="every project's jobs (viewer, list)")
    parser.add_argument("--version", action="version", version="bgview 0.1.0")
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=_Parser)

    def wanted(name: str) -> bool:
        return only is None or only == name

    if wanted("run"):
        run = sub.add_parser("run", help="start a command in the background, print its id")
        run.add_argument("--name", help="a name; refused while a job of that name runs")
        run.add_argument("--timeout", type=_seconds, metavar="SECONDS", help="kill it after this")
        run.add_argument("--cwd", metavar="DIR", help="working directory (default: .)")
        run.add_argument("--keep", action="store_true", help="outlive the host session, if any")
        run.add_argument("--max-log", type=_size, metavar="SIZE", help="log cap (default 512M)")
        run.add_argument(
            "--ready",
            metavar="PATTERN",
            help="wait until its output matches this regex, or with 'auto' until it listens "
            "on a port or prints a local URL; then print its id (exit 1 if it never is)",
        )
        run.add_argument(
            "--ready-port", type=_port, metavar="PORT", help="wait until it listens on PORT"
        )
        run.add_argument(
            "--ready-timeout",
            type=_seconds,
            default=60.0,
            metavar="SECONDS",
            help="how long to wait for readiness (default 60; the job runs on)",
        )
        run.add_argument(
            "--notify-on", metavar="PATTERN", help="tell each new line matching this regex"
        )
        run.add_argument(
            "--notify-cooldown",
            type=_seconds,
            metavar="SECONDS",
            help="after a told match, only count more for this long (default 2)",
        )
        run.add_argument("command", nargs="*", help="'a shell string', or -- PROGRAM [ARG...]")

    if wanted("list"):
        ls = sub.add_parser("list", help="the project's jobs")
        ls.add_argument("--json", action="store_true", help="a JSON array of job records")
        ls.add_argument("--all", action="store_true", dest="all_here", help="every project's jobs")

    if wanted("output"):
        out = sub.add_parser("output", help="new output since this consumer's last read")
        out.add_argument("id")
        out.add_argument("--consumer", default="agent", help="whose cursor (default: agent)")
        out.add_argument("--filter", metavar="RE", help="keep only lines matching this regex")
        out.add_argument("--exclude", metavar="RE", help="drop lines matching this regex")
        out.add_argument("--wait", type=_seconds, metavar="SECONDS", help="wait for new output")
        out.add_argument("--peek", action="store_true", help="show the tail; move no cursor")
        out.add_argument(
            "--tail",
            type=_tail,
            default=DEFAULT_TAIL,
            metavar="BYTES",
            help="with --peek: how much of the end to show (default 64K, at most 1M)",
        )

    if wanted("kill"):
        kill = sub.add_parser("kill", help="kill a job and its whole process group")
        kill.add_argument("id")
        kill.add_argument("--grace", type=_seconds, default=3.0, metavar="SECONDS")

    if wanted("wait"):
        wait = sub.add_parser("wait", help="wait for a job to end (or for a pattern)")
        wait.add_argument("id")
        wait.add_argument(
            "--timeout", type=_seconds, metavar="SECONDS", help="give up after this (exit 1)"
        )
        wait.add_argument("--for", dest="pattern", metavar="REGEX", help="wait for this in output")
        wait.add_argument(
            "--ready", action="store_true", help="wait until it is ready (see run --ready)"
        )

    if wanted("notices"):
        notices = sub.add_parser("notices", help="completion notices not yet given")
        notices.add_argument("--consumer", default="agent")

    if wanted("prune"):
        prune = sub.add_parser("prune", help="delete finished jobs")
        prune.add_argument(
            "--older-than",
            type=_duration,
            metavar="AGE",
            default=0.0,
            help="only jobs that ended longer ago than this (7d, 12h); default: every ended job",
        )

    if wanted("shell"):
        sub.add_parser("shell", help="a REPL with background jobs and /bashes")
    if wanted("mcp"):
        sub.add_parser("mcp", help="an MCP server (stdio) with the agent tools")
    if wanted("serve"):
        serve = sub.add_parser("serve", help="the viewer in a browser (127.0.0.1, behind a token)")
        serve.add_argument("--port", type=int, default=0, help="default: a free one, printed")
        serve.add_argument("--host", default="127.0.0.1", help="bind elsewhere (still a token)")
        serve.add_argument("--all", action="store_true", dest="all_here", help="every project's")
    if wanted("status"):  # parsed by bgview.statusline (see main); listed here for --help
        status = sub.add_parser("status", help="the project's jobs in one line, for a prompt")
        status.add_argument("--format", help="with {running} {waiting} {failed} {ready}")
        status.add_argument("--json", action="store_true", help="the counts as JSON")
    return parser


def _duration(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    raw = text.strip().lower()
    scale = units.get(raw[-1:])
    number = raw[:-1] if scale else raw
    try:
        value = float(number) * (scale or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an age: {text!r} (try 7d or 12h)") from None
    if not _finite_not_negative(value):  # nan compares false with every age: it pruned them all
        raise argparse.ArgumentTypeError(f"not an age: {text!r} (a finite age: 7d, 12h, 0)")
    return value


def _split_run_args(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """``bgview run [opts] -- PROGRAM ARGS``: what follows ``--`` is an argv, kept verbatim."""
    if "run" not in argv:
        return argv, None
    at = argv.index("run")
    if "--" in argv[at:]:
        cut = argv.index("--", at)
        return argv[:cut], argv[cut + 1 :]
    return argv, None


def _print_table(jobs: list[Job], show_project: bool) -> None:
    if not jobs:
        print("no jobs", file=sys.stderr)
        return
    width = None
    if sys.stdout.isatty():
        with contextlib.suppress(OSError, ValueError):
            width = max(os.get_terminal_size(sys.stdout.fileno()).columns, 40)
    for line in present.table(present.rows(jobs, show_project=show_project), width=width):
        print(line)


def _cmd_run(rt: Runtime, args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
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
    _refuse_nul(command, args.name, args.cwd)
    foreground = os.environ.get("BGVIEW_DISABLE_BACKGROUND_TASKS") == "1"
    if not args.keep:
        rt.owner_pid = _owner_pid()  # started from inside a host session: it ends with it
    job = rt.start(
        command,
        name=args.name,
        timeout=args.timeout,
        cwd=args.cwd,
        keep=args.keep,
        max_log=args.max_log,
        ready=args.ready,
        ready_port=args.ready_port,
        notify_on=args.notify_on,
        notify_cooldown=args.notify_cooldown,
    )
    if job.status is JobStatus.FAILED:
        print(job.id, flush=True)
        print(notice_text(job), file=sys.stderr)
        return 1
    if foreground:
        print(job.id, flush=True)
        return _follow(rt, job)
    if job.ready_condition is not None:
        return _wait_ready(rt, job.id, args.ready_timeout, print_id=True)
    print(job.id, flush=True)
    return 0


def _wait_ready(rt: Runtime, job_id: str, timeout: float | None, *, print_id: bool) -> int:
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


def _refuse_nul(command: str | list[str], name: str | None, cwd: str | None) -> None:
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


def _owner_pid() -> int | None:
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


def _cmd_output(rt: Runtime, args: argparse.Namespace) -> int:
    if args.peek:
        if args.filter or args.exclude or args.wait is not None:
            raise BgviewError(
                "--peek shows the raw tail: it takes no --filter, --exclude or --wait"
            )
        from bgview.runtime.clean import clean_bytes

        peek = rt.peek(args.id, tail=args.tail)
        if peek.truncated:
            print(
                f"[showing the last {format_size(len(peek.data))} of {format_size(peek.end)}]",
                file=sys.stderr,
            )
        text = clean_bytes(peek.data)
        sys.stdout.write(text if not text or text.endswith("\n") else text + "\n")
        return 0
    result = rt.read(
        args.id, consumer=args.consumer, filter=args.filter, exclude=args.exclude, wait=args.wait
    )
    sys.stdout.write(result.render())
    return 0


def _cmd_kill(rt: Runtime, args: argparse.Namespace) -> int:
    before = rt.job(args.id)
    job = rt.kill(args.id, grace=args.grace)
    if before.status.ended:
        print(f"{job.id} had already ended: {notice_text(job)}")
    else:
        print(notice_text(job))
    return 0


def _cmd_wait(rt: Runtime, args: argparse.Namespace) -> int:
    if args.ready:
        if args.pattern is not None:
            raise BgviewError("wait --ready or --for a pattern, not both")
        return _wait_ready(rt, args.id, args.timeout, print_id=False)
    job, happened = rt.wait(args.id, timeout=args.timeout, pattern=args.pattern)
    if args.pattern is not None and happened:
        print(f"{job.id}: matched {args.pattern!r}")
    elif happened:
        print(notice_text(job))
    elif job.status.ended:  # waited --for a pattern that never came
        print(
            f"{job.id} ended without matching {args.pattern!r}: {notice_text(job)}", file=sys.stderr
        )
    else:
        waited = f" for {args.pattern!r}" if args.pattern is not None else ""
        print(
            f"{job.id} still running after {format_duration(args.timeout or 0)}{waited}",
            file=sys.stderr,
        )
    return 0 if happened else 1


def _cmd_prune(rt: Runtime, args: argparse.Namespace) -> int:
    from bgview.runtime.prune import prune

    removed = prune(rt.project, older_than=args.older_than)
    print(f"removed {len(removed)} finished job{'s' if len(removed) != 1 else ''}")
    return 0


def dispatch(args: argparse.Namespace, argv_cmd: list[str] | None) -> int:
    if args.project is not None and not os.path.isdir(os.path.expanduser(args.project)):
        raise BgviewError(f"no such project directory: {os.path.abspath(args.project)}")
    if args.cmd in ("shell", "mcp"):
        default_max_log()  # every job they start reads it: a bad one is refused now, not per job
    if args.cmd == "shell":
        from bgview.host import run_shell

        return run_shell(project=args.project)
    if args.cmd == "mcp":
        from bgview.agent import serve_mcp

        return serve_mcp(project=args.project)
    if args.cmd == "serve":
        from bgview.web import serve

        return serve(
            project=args.project,
            all_projects=args.all or args.all_here,
            port=args.port,
            host=args.host,
        )
    rt = Runtime(args.project)
    if args.cmd is None:
        from bgview.ui import run_viewer

        return run_viewer(project=args.project, all_projects=args.all)
    if args.cmd == "run":
        return _cmd_run(rt, args, argv_cmd)
    if args.cmd == "list":
        jobs = rt.jobs(all_projects_=args.all or args.all_here)
        if args.json:
            json.dump([j.to_json() for j in jobs], sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            _print_table(jobs, show_project=args.all or args.all_here)
        return 0
    if args.cmd == "output":
        return _cmd_output(rt, args)
    if args.cmd == "kill":
        return _cmd_kill(rt, args)
    if args.cmd == "wait":
        return _cmd_wait(rt, args)
    if args.cmd == "notices":
        for notice in rt.notices(args.consumer):
            print(notice.text)
        return 0
    if args.cmd == "prune":
        return _cmd_prune(rt, args)
    raise AssertionError(args.cmd)


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if "status" in raw:  # before argparse and the runtime: it runs on every prompt
        from bgview.statusline import main as status

        code = status(raw)
        if code is not None:
            return code
    head, argv_cmd = _split_run_args(raw)
    # The usual call names its command first: build only that part of the parser.
    only = head[0] if head and head[0] in COMMANDS else None
    args = build_parser(only).parse_args(head)
    try:
        return dispatch(args, argv_cmd)
    except NoRoom as exc:
        # Not a mistake in what was typed (that is 2): the disk refused, as for a command
        # that could not run. One line, and nothing was started.
        print(f"bgview: {visible(str(exc))}", file=sys.stderr)
        return 1
    except BgviewError as exc:
        # Its words may quote a name, a path or a reason that came from a job.
        print(f"bgview: {visible(str(exc))}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # before OSError, of which it is a kind
        # `bgview list | head`: the reader left; that is not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        # The environment refused something (permissions, a full or read-only disk): say
        # what and where, in one line, rather than with a traceback.
        where = f": {exc.filename}" if exc.filename else ""
        print(f"bgview: {visible(f'{exc.strerror or exc}{where}')}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
