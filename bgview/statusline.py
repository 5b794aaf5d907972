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

It runs on every prompt, so it is cheap and only reads. It imports ``json`` and what Python
loaded at start-up (``fcntl`` once a job looks alive, ``select`` when stdin is a pipe; not
even ``typing``), never the runtime; it marks no job lost and creates nothing. It reads the
store as :mod:`bgview.runtime.fsio` does: directories opened with ``O_NOFOLLOW`` and skipped
unless ours and not writable by others, files opened from their directory's descriptor, never
through a symlink. The project is the runtime's (``--project``, else the directory a Claude
Code statusline gives on stdin, else ``$BGVIEW_PROJECT``, else the git root of ``.``), named in
the store as :func:`bgview.runtime.paths.project_key` names it: the piece copied from the
runtime, which cannot be imported here without its cost.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time

FAILED_WINDOW = 3600.0
"""Seconds a failure stays in the count."""
FIELDS = ("running", "waiting", "failed", "ready")
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
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK
_BAD_ENDS = frozenset({"failed", "timeout", "lost"})


class UsageError(Exception):
    """Something typed that ``bgview status`` cannot do: one line, exit status 2."""


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


def _store_key(project: str) -> str:
    """The project's directory name in the store: :func:`bgview.runtime.paths.project_key`."""
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.12
        from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    digest = sha256(project.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    name = os.path.basename(project) or "root"
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else " " for c in name)
    slug = "-".join(safe.split()).strip("-")[:40] or "root"  # runs of unsafe characters: one -
    return f"{slug}-{digest}"


def _store_root() -> str | None:
    """``$BGVIEW_HOME``, else ``${XDG_STATE_HOME:-~/.local/state}/bgview``: as
    :func:`bgview.runtime.paths.store_root` (``None`` with no home to find it under)."""
    home = os.environ.get("BGVIEW_HOME")
    if home:
        return os.path.abspath(os.path.expanduser(home))
    state = os.path.expanduser(os.environ.get("XDG_STATE_HOME") or "")
    if not os.path.isabs(state):
        user_home = os.path.expanduser("~")
        if not os.path.isabs(user_home):
            return None
        state = os.path.join(user_home, ".local", "state")
    return os.path.join(state, "bgview")


# ---- reading the store -----------------------------------------------------------------------


def count(project: str | None) -> dict[str, int]:
    """The four counts for ``project`` (``None``: every project's); all 0 when it has no jobs,
    or there is no store at all."""
    counts = dict.fromkeys(FIELDS, 0)
    root = _store_root()
    if root is None:
        raise UsageError("cannot tell where the store is: no home directory (set BGVIEW_HOME)")
    _check_above(root)
    projects = _open_chain(root, ("projects",))
    if projects is None:
        return counts
    cutoff = time.time() - FAILED_WINDOW
    try:
        for name in [_store_key(project)] if project is not None else os.listdir(projects):
            jobs = _open_jobs(projects, name)
            if jobs is None:
                continue
            try:
                for job in os.listdir(jobs):
                    if _is_job_id(job):
                        _count_job(jobs, job, cutoff, counts)
            finally:
                os.close(jobs)
    finally:
        os.close(projects)
    return counts


def _check_above(root: str) -> None:
    """Refuse a store another user could redirect (as :func:`bgview.runtime.fsio.check_ancestors`
    does, more briefly: nothing above it that is not ours or root's, nor writable by others
    unless sticky)."""
    me = os.getuid()
    path = os.path.dirname(root)
    while True:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        if st is not None:
            if st.st_uid not in (me, 0):
                raise UsageError(f"refusing {root}: {path} belongs to another user")
            writable = st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX
            if stat.S_ISDIR(st.st_mode) and writable:
                raise UsageError(f"refusing {root}: {path} is writable by other users")
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def _private(fd: int) -> bool:
    st = os.fstat(fd)
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def _open_dir(name: str, parent: int | None = None) -> int | None:
    """``name`` opened as a directory (in ``parent``'s), or ``None`` if it is missing, a
    symlink, not a directory, or not private."""
    try:
        fd = os.open(name, _DIR, dir_fd=parent)
    except OSError:
        return None
    if _private(fd):
        return fd
    os.close(fd)
    return None


def _open_chain(root: str, names: tuple[str, ...]) -> int | None:
    """The directory ``root/names...``, each step private; ``None`` if one is missing. A store
    root that exists but is not private is an error, as for every other command."""
    fd = _open_dir(root)
    if fd is None:
        if os.path.lexists(root):
            raise UsageError(f"refusing {root}: not a private directory of this user")
        return None
    for name in names:
        inner = _open_dir(name, fd)
        os.close(fd)
        if inner is None:
            return None
        fd = inner
    return fd


def _open_jobs(projects: int, name: str) -> int | None:
    """Project ``name``'s ``jobs/`` directory, both steps private (else ``None``)."""
    project = _open_dir(name, projects)
    if project is None:
        return None
    try:
        return _open_dir("jobs", project)
    finally:
        os.close(project)


def _is_job_id(name: str) -> bool:
    """``bash_N``, as :data:`bgview.runtime.store.ID_RE` has it (no ``re`` here: it costs)."""
    number = name[5:]
    return (
        name.startswith("bash_")
        and 0 < len(number) <= 9
        and number.isascii()
        and number.isdigit()
        and number[0] != "0"
    )


def _count_job(jobs: int, name: str, cutoff: float, counts: dict[str, int]) -> None:
    """Add one job to ``counts``. An ended job whose ``result.json`` was written before the
    window costs one ``stat`` and is not read at all: its end is older still."""
    try:
        st = os.stat(f"{name}/result.json", dir_fd=jobs, follow_symlinks=False)
    except FileNotFoundError:
        st = None
    except OSError:
        return
    if st is not None and st.st_mtime < cutoff:
        return
    job = _open_dir(name, jobs)
    if job is None:
        return
    try:
        _count_open_job(job, cutoff, counts)
    finally:
        os.close(job)


def _count_open_job(job: int, cutoff: float, counts: dict[str, int]) -> None:
    final = _read_json("result.json", job)
    if final is None:
        meta = _read_json("meta.json", job)
        if meta is None:
            return  # being created, or damaged: the runtime skips it too
        if meta.get("status") not in (None, "running"):  # a bgview 0.1 record: all in meta
            final = {"result": meta}
        elif _supervisor_alive(job):
            counts["running"] += 1
            facts = _read_json("facts.json", job) or {}
            counts["waiting"] += facts.get("waiting_for_input") is True
            counts["ready"] += facts.get("ready") is True
            return
        else:
            final = _read_json("result.json", job)  # it may have ended as we looked
            if final is None:
                counts["failed"] += 1  # its supervisor vanished: lost, as of now
                return
    result = final.get("result")
    if isinstance(result, dict) and _failed(result, cutoff):
        counts["failed"] += 1


def _failed(result: dict[str, object], cutoff: float) -> bool:
    """Whether a job's result is a failure that ended after ``cutoff``."""
    ended = result.get("ended_at")
    if not isinstance(ended, int | float) or ended < cutoff:
        return False
    status = result.get("status")
    if status == "exited":
        code = result.get("exit_code")
        return isinstance(code, int) and code != 0
    return status in _BAD_ENDS


def _read_json(name: str, directory: int) -> dict[str, object] | None:
    """The JSON object in regular file ``name``, or ``None`` (missing, a symlink, a FIFO,
    another user's, garbage)."""
    try:
        fd = os.open(name, _FILE, dir_fd=directory)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_size > 1 << 22:
            return None
        data = json.loads(os.read(fd, st.st_size + 1))
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return data if isinstance(data, dict) else None


def _supervisor_alive(job: int) -> bool:
    """Whether the job's supervisor lives: it holds ``supervisor.lock`` for as long as it does
    (:func:`bgview.runtime.jobread.supervisor_alive`). A shared lock taken and let go at once
    tells; it writes nothing."""
    import fcntl

    try:
        fd = os.open("supervisor.lock", _FILE, dir_fd=job)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


if __name__ == "__main__":  # ``python -m bgview.statusline [OPTIONS]``: the path alone
    sys.exit(main(["status", *sys.argv[1:]]) or 0)
