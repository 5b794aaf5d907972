"""``bgview status``: the project's jobs in one line, for a shell prompt or a status bar.

``⚙ 3 jobs · 1 waiting · 1 failed``: the running jobs, then only the counts that are not 0
(``⚙ 0 jobs`` when idle); ``--format`` fills ``{running}``, ``{waiting}``, ``{failed}``,
``{ready}``; ``--json`` gives the four. **running**: the supervisor holds ``supervisor.lock``
(as :func:`bgview.runtime.jobread.supervisor_alive` asks). **waiting**, **ready**: running jobs
whose ``facts.json`` (their supervisor's) says ``"waiting_for_input": true`` / ``"ready":
true``; without the file (older jobs, or not looked at yet) neither. **failed**: ended within
:data:`FAILED_WINDOW` — exited non-zero, could not start, timed out, or ``lost``; a job whose
supervisor vanished unmarked counts now, as the next ``bgview list`` records it. A kill is not
a failure (someone chose it), and a failure an hour old is history, not news for a prompt.

It runs on every prompt, so it is cheap and only reads: it imports ``json`` and what Python
loaded at start-up (``select`` when stdin is a pipe; not even ``typing``), never the runtime,
and counts as :mod:`bgview.statuscount` reads the store. The project is the runtime's
(``--project``, else the directory a Claude Code statusline gives on stdin, else
``$BGVIEW_PROJECT``, else the git root of ``.``).
"""

from __future__ import annotations

import json
import os
import sys
import time

from bgview.statuscount import FIELDS, UsageError, count

USAGE = "usage: bgview [--project DIR] status [--format FORMAT] [--json] [--all]"
HELP = f"""{USAGE}

The project's jobs in one line: ⚙ 3 jobs · 1 waiting · 1 failed (read-only, fast).

  --format FORMAT  fill {{running}}, {{waiting}}, {{failed}}, {{ready}} instead
  --json           the four counts as a JSON object
  --all            every project's jobs
"""
STDIN_WAIT = 0.02
"""Seconds to wait for a statusline's JSON on stdin. Claude Code writes it as it starts us, so
it is there before Python is up; tmux leaves a job's stdin open and silent, and every status
refresh pays this wait."""
STDIN_MAX = 1 << 20


# ---- the command line ----------------------------------------------------------------------


def main(raw: list[str]) -> int | None:
    """``bgview ... status ...``, given every word after ``bgview``; ``None`` when the words are
    not a status command (``bgview run -- echo status``), for the full command line to handle."""
    project: str | None = None
    every = False
    words = list(raw)
    while words and words[0] != "status":
        word = words.pop(0)
        if word == "--project" and words:
            project = words.pop(0)
        elif word.startswith("--project="):
            project = word.partition("=")[2]
        elif word == "--all":
            every = True
        else:
            return None
    if not words:
        return None
    if "-h" in words or "--help" in words:
        sys.stdout.write(HELP)
        return 0
    try:
        fmt, as_json, every_here = _options(words[1:])
        counts = count(None if every or every_here else _project_dir(project))
    except UsageError as exc:
        print(f"bgview status: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"bgview status: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 2
    if as_json:
        line = json.dumps(counts)
    elif fmt is not None:
        line = render(fmt, counts)
    else:
        line = chip(counts)
    sys.stdout.write(line + "\n")
    return 0


def _options(words: list[str]) -> tuple[str | None, bool, bool]:
    """``--format``, ``--json`` and ``--all``, from the words after ``status``."""
    fmt: str | None = None
    as_json = every = False
    while words:
        word = words.pop(0)
        if word == "--json":
            as_json = True
        elif word == "--all":
            every = True
        elif word == "--format" and words:
            fmt = words.pop(0)
        elif word.startswith("--format="):
            fmt = word.partition("=")[2]
        else:
            raise UsageError(f"unexpected {word!r} ({USAGE})")
    if fmt is not None and as_json:
        raise UsageError("--format or --json, not both")
    if fmt is not None:
        render(fmt, dict.fromkeys(FIELDS, 0))  # a bad format is refused even with no jobs
    return fmt, as_json, every


def chip(counts: dict[str, int]) -> str:
    """``⚙ 3 jobs · 1 waiting · 1 failed``: the running count always, the others if not 0."""
    running = counts["running"]
    parts = [f"⚙ {running} job{'' if running == 1 else 's'}"]
    parts += [f"{counts[k]} {k}" for k in ("waiting", "failed") if counts[k]]
    return " · ".join(parts)


def render(fmt: str, counts: dict[str, int]) -> str:
    """``fmt`` with its fields filled; :class:`UsageError` names an unknown one."""
    try:
        return fmt.format_map(counts)
    except KeyError as exc:
        raise UsageError(
            f"--format knows {{running}}, {{waiting}}, {{failed}}, {{ready}}, not {{{exc.args[0]}}}"
        ) from None
    except (ValueError, IndexError, AttributeError) as exc:
        raise UsageError(f"--format {fmt!r}: {exc}") from None


# ---- which project ---------------------------------------------------------------------------


def _project_dir(project: str | None) -> str:
    """The project's directory, as the runtime would choose it (see the module docstring)."""
    if project is not None:
        path = os.path.realpath(os.path.expanduser(project))
        if not os.path.isdir(path):
            raise UsageError(f"no such project directory: {path}")
        return path
    given = _statusline_cwd()
    if given is None:
        override = os.environ.get("BGVIEW_PROJECT")
        if override:
            return os.path.realpath(os.path.expanduser(override))
    start = os.path.realpath(given if given is not None else os.getcwd())
    directory = start
    while True:  # the git root: the nearest directory holding a .git entry
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return start
        directory = parent


def _statusline_cwd() -> str | None:
    """The directory in a Claude Code statusline's JSON on stdin (``workspace.current_dir``,
    else ``cwd``), if stdin brings one. Nothing is waited for from a terminal, and at most
    :data:`STDIN_WAIT` from a pipe that stays open without a word (a prompt must not hang)."""
    try:
        if os.isatty(0):
            return None
        data = _read_stdin()
    except OSError:  # no stdin at all (closed), or one we may not read
        return None
    try:
        info = json.loads(data)
    except ValueError:
        return None  # not a statusline's JSON: what a shell left on its stdin, say
    if not isinstance(info, dict):
        return None
    workspace = info.get("workspace")
    for value in (
        workspace.get("current_dir") if isinstance(workspace, dict) else None,
        info.get("cwd"),
    ):
        if isinstance(value, str) and os.path.isabs(value) and os.path.isdir(value):
            return value
    return None


def _read_stdin() -> bytes:
    import select  # only when stdin is not a terminal: a prompt's own call never needs it

    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + STDIN_WAIT
    while size < STDIN_MAX:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([0], [], [], left)[0]:
            break
        chunk = os.read(0, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


if __name__ == "__main__":  # ``python -m bgview.statusline [OPTIONS]``: the path alone
    sys.exit(main(["status", *sys.argv[1:]]) or 0)
