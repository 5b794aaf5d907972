"""Counting a project's jobs from the store for ``bgview status``
(:mod:`bgview.statusline`), as cheaply as a prompt needs.

It imports ``json`` and what Python loaded at start-up (``fcntl`` once a job looks alive),
never the runtime; it marks no job lost and creates nothing. It reads the store as
:mod:`bgview.runtime.fsio` does: directories opened with ``O_NOFOLLOW`` and skipped unless
ours and not writable by others, files opened from their directory's descriptor, never
through a symlink. Projects are named in the store as
:func:`bgview.runtime.paths.project_key` names them: the piece copied from the runtime,
which cannot be imported here without its cost.
"""

from __future__ import annotations

import json
import os
import stat
import time

FAILED_WINDOW = 3600.0
"""Seconds a failure stays in the count."""
FIELDS = ("running", "waiting", "failed", "ready")
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK
_BAD_ENDS = frozenset({"failed", "timeout", "lost"})


class UsageError(Exception):
    """Something typed that ``bgview status`` cannot do: one line, exit status 2."""


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
