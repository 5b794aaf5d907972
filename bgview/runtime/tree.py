"""Every process of a job, wherever it went: by parentage, and by an inherited mark.

A job's processes need not stay in the job's process group: a daemon does ``setsid``, a shell
with job control (``set -m``) puts each pipeline in a group of its own, a program may call
``setpgid(0, 0)``. Signalling the group misses all of those. Two things follow a process
wherever it goes, and this module reads both from ``/proc``:

- its parentage: the supervisor is a child subreaper, so orphans re-parent to it and stay in
  its ppid tree (:func:`descendants`);
- its environment: every process of a job inherits ``BGVIEW_JOB=<project-key>/<job-id>``
  (:data:`MARK`), which still finds it after the supervisor itself is gone (:func:`marked`).

A PID alone is no identity (it is reused after a process ends), so every :class:`Proc` carries
its kernel start time, and nothing is signalled unless that start time still matches.

Stdlib only, and nothing heavy at import: the supervisor imports this on its start path.
"""

from __future__ import annotations

import errno
import os
import select
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bgview.runtime.proc import start_time

MARK = "BGVIEW_JOB"
"""The environment variable every process of a job inherits: ``<project-key>/<job-id>``."""

SUPERVISOR = "BGVIEW_SUPERVISOR"
"""Set (to its job's mark) in a supervisor's own environment instead of ``BGVIEW_JOB``: a job
started from inside another job (``bgview run`` in a script) is a job of its own, and its
supervisor with everything below it is not a process of the job it was started from."""

COMMAND_MAX = 200
"""Characters kept of a command line: enough to recognise it, short enough for one line."""

KILL_WAIT = 2.0
"""Seconds to wait for processes to go after SIGKILL (they can only be stuck in the kernel)."""

_GONE = (errno.ENOENT, errno.ESRCH)
_UNREADABLE = (errno.EACCES, errno.EPERM)
_DEAD_STATES = frozenset("ZX")
# Control characters (NUL between arguments, newlines inside a ``python -c`` script...) would
# break a one-line display: each becomes a space.
_READABLE = {code: " " for code in (*range(32), 127)}


@dataclass(frozen=True, slots=True)
class Proc:
    """One process as ``/proc`` showed it at a moment.

    ``start`` (clock ticks since boot) together with ``pid`` identifies the process: a later
    process given the same PID has a later start time.
    """

    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    """The one-letter state of ``/proc/PID/stat``: R, S, D, T, t, Z, X, I…"""
    start: int
    command: str
    """The command line with spaces between arguments, or ``[comm]`` when it has none
    (kernel threads, zombies), at most :data:`COMMAND_MAX` characters."""


def _read(path: str, size: int) -> bytes:
    """At most ``size`` bytes of a ``/proc`` file, in one ``read`` (how ``/proc`` files are
    meant to be read: the kernel fills the buffer from one consistent view)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return os.read(fd, size)
    finally:
        os.close(fd)


def _read_all(path: str) -> bytes:
    """A whole ``/proc`` file that may be longer than a page (``environ``)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _command(cmdline: bytes, comm: str) -> str:
    """A readable one-line command from ``cmdline``'s NUL-separated arguments."""
    text = cmdline.rstrip(b"\0").decode(errors="replace").translate(_READABLE).strip()
    if not text:
        text = f"[{comm}]"
    if len(text) > COMMAND_MAX:
        text = text[: COMMAND_MAX - 1] + "…"
    return text


def read_proc(pid: int) -> Proc | None:
    """Process ``pid`` as ``/proc`` shows it now, or ``None`` if it is gone or unreadable."""
    try:
        raw = _read(f"/proc/{pid}/stat", 4096)
        # 4 bytes per character at most in UTF-8: this holds more than COMMAND_MAX of them.
        cmdline = _read(f"/proc/{pid}/cmdline", 4 * COMMAND_MAX + 4)
    except OSError as exc:
        # ENOENT: gone before open; ESRCH: gone (reaped) between open and read.
        # EACCES/EPERM: hidden from us (hidepid=, another PID namespace's rules): skip it.
        if exc.errno in _GONE or exc.errno in _UNREADABLE:
            return None
        raise
    # The command name (field 2) may hold spaces and parentheses, even ") (": everything
    # after the *last* ')' is the fixed fields, starting with field 3 (state).
    close = raw.rfind(b")")
    fields = raw[close + 2 :].split()
    try:
        return Proc(
            pid=pid,
            ppid=int(fields[1]),
            pgid=int(fields[2]),
            sid=int(fields[3]),
            state=fields[0].decode(),
            start=int(fields[19]),
            command=_command(cmdline, raw[raw.find(b"(") + 1 : close].decode(errors="replace")),
        )
    except (IndexError, ValueError):
        return None  # not the format we know: treat it as unreadable rather than guess


def snapshot() -> dict[int, Proc]:
    """Every process in ``/proc`` now, by PID.

    Not one atomic picture: processes come and go while it is read (those that vanish are
    left out), so a process started meanwhile may be missing. Callers that must not miss a
    fork take it again after signalling (a forking process is caught on the next pass).
    About a millisecond per hundred processes.
    """
    procs: dict[int, Proc] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            found = read_proc(int(name))
            if found is not None:
                procs[found.pid] = found
    return procs


def descendants(
    root: int,
    procs: dict[int, Proc] | None = None,
    skip: Callable[[Proc], bool] | None = None,
) -> list[Proc]:
    """Every process below ``root`` in the ppid tree (not ``root`` itself), zombies included,
    parents before their children; a process for which ``skip`` is true is left out with
    everything below it.

    Below a child subreaper this is every process the root ever started that has not been
    reaped, whatever group or session it moved to: orphans re-parent to the subreaper.
    """
    if procs is None:
        procs = snapshot()
    children: dict[int, list[Proc]] = {}
    for item in procs.values():
        children.setdefault(item.ppid, []).append(item)
    found: list[Proc] = []
    seen = {root}  # guards against a cycle made of PIDs reused while the snapshot was read
    queue = deque([root])
    while queue:
        parent = queue.popleft()
        for child in children.get(parent, ()):
            if child.pid not in seen:
                seen.add(child.pid)
                if skip is not None and skip(child):
                    continue
                found.append(child)
                queue.append(child.pid)
    return found


def marked(mark: str, procs: dict[int, Proc] | None = None) -> list[Proc]:
    """Processes of this user whose environment holds exactly ``BGVIEW_JOB=<mark>``.

    ``/proc/PID/environ`` is the environment the process was exec'ed with: ``putenv`` after
    that does not show, so a process loses the mark only by exec'ing without it. Zombies have
    no environment left and are never found here (:func:`descendants` finds them). Only
    processes owned by our effective uid are read, each once: another user's ``environ``
    cannot be read anyway (EACCES), and skipping them saves most of the cost.
    """
    if procs is None:
        procs = snapshot()
    needle = b"\0" + f"{MARK}={mark}".encode() + b"\0"
    uid = os.geteuid()
    found: list[Proc] = []
    for item in procs.values():
        if item.state in _DEAD_STATES:
            continue
        path = f"/proc/{item.pid}"
        try:
            if os.stat(path).st_uid != uid:
                continue
            environ = _read_all(f"{path}/environ")
        except OSError as exc:
            # ENOENT/ESRCH: it ended meanwhile. EACCES/EPERM: not dumpable (setuid, or
            # prctl(PR_SET_DUMPABLE, 0)), so its environment is closed even to its owner.
            if exc.errno in _GONE or exc.errno in _UNREADABLE:
                continue
            raise
        # Entries are NUL-terminated; a NUL before the first makes every entry "\0K=V\0",
        # so a longer value (``…/job-77`` for ``…/job-7``) or another name never matches.
        if needle in b"\0" + environ and start_time(item.pid) == item.start:
            found.append(item)
    return found


def is_supervisor(item: Proc) -> bool:
    """Whether ``item`` is a bgview supervisor (of some job): its command line runs the
    supervisor and its environment carries :data:`SUPERVISOR`."""
    if "bgview.runtime.supervisor" not in item.command or item.state in _DEAD_STATES:
        return False
    try:
        environ = _read_all(f"/proc/{item.pid}/environ")
    except OSError as exc:
        if exc.errno in _GONE or exc.errno in _UNREADABLE:
            return False
        raise
    return f"\0{SUPERVISOR}=".encode() in b"\0" + environ


def live(procs: Iterable[Proc]) -> list[Proc]:
    """The processes that can still run: not zombies (exited, waiting to be reaped)."""
    return [item for item in procs if item.state not in _DEAD_STATES]


def _pidfd(item: Proc) -> int | None:
    """A pidfd for ``item`` if it is still that process; ``-1`` if pidfds are unavailable
    here (the caller falls back to ``kill``), ``None`` if the process is gone.

    The start time is checked *after* opening: the pidfd then pins the very process whose
    start time matched, and signals sent through it can never reach a later owner of the PID.
    """
    try:
        fd = os.pidfd_open(item.pid)
    except ProcessLookupError:  # ESRCH: gone
        return None
    except OSError:
        # ENOSYS (kernel before 5.3, or a sandbox that filters it), EMFILE (a job with more
        # processes than we may hold descriptors): fall back to checking then killing.
        return -1 if start_time(item.pid) == item.start else None
    if start_time(item.pid) != item.start:
        os.close(fd)
        return None
    return fd


def _send(item: Proc, fd: int, sig: int) -> bool:
    """Send ``sig`` through ``fd`` (or by PID when ``fd`` is ``-1``); ``False`` if not sent."""
    try:
        if fd >= 0:
            signal.pidfd_send_signal(fd, sig)
        else:
            os.kill(item.pid, sig)
    except ProcessLookupError:  # ESRCH: it ended meanwhile
        return False
    except PermissionError:  # EPERM: not ours to signal
        return False
    return True


def signal_all(procs: Iterable[Proc], sig: int) -> list[Proc]:
    """Send ``sig`` to each process that is still the same process; return those signalled.

    "The same" means its start time still equals :attr:`Proc.start`: a PID reused since the
    snapshot belongs to a stranger and is left alone. Processes that ended (ESRCH) or that we
    may not signal (EPERM) are skipped. The calling process itself is never signalled.
    """
    sent: list[Proc] = []
    me = os.getpid()
    for item in procs:
        if item.pid == me:
            continue
        fd = _pidfd(item)
        if fd is None:
            continue
        try:
            if _send(item, fd, sig):
                sent.append(item)
        finally:
            if fd >= 0:
                os.close(fd)
    return sent


def _wait_gone(waiting: dict[int, tuple[Proc, int]], timeout: float) -> None:
    """Wait up to ``timeout`` seconds until the processes in ``waiting`` have exited,
    removing each one that has.

    A pidfd becomes readable when its process exits, zombie or not: a zombie runs nothing
    and is reaped by its parent (or the subreaper), so it counts as gone. Processes without
    a pidfd (keys with fd ``-1``) are looked up in ``/proc`` every 20 ms instead.
    """
    deadline = time.monotonic() + timeout
    while waiting:
        for pid, (item, fd) in list(waiting.items()):
            if fd < 0:
                now = read_proc(pid)
                if now is None or now.start != item.start or now.state in _DEAD_STATES:
                    del waiting[pid]
        if not waiting:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        poller = select.poll()
        by_fd: dict[int, int] = {}
        for pid, (_, fd) in waiting.items():
            if fd >= 0:
                poller.register(fd, select.POLLIN)
                by_fd[fd] = pid
        # Only pidfds to wait on: sleep until one is ready. Else wake up to look in /proc too.
        wait = remaining if len(by_fd) == len(waiting) else min(remaining, 0.02)
        for fd, _ in poller.poll(max(1, round(wait * 1000))):
            del waiting[by_fd[fd]]
            os.close(fd)


def end_all(procs: Iterable[Proc], grace: float) -> list[Proc]:
    """End every process in ``procs`` that still runs; return those that had to be ended.

    SIGTERM first, with SIGCONT so a stopped process wakes up to act on it; up to ``grace``
    seconds for them to go; then SIGKILL for the rest, and up to :data:`KILL_WAIT` seconds for
    those. Zombies and processes already gone (or whose PID now belongs to another process)
    are left alone, as is the calling process itself. Returns without waiting longer if a
    process survives even SIGKILL (stuck in uninterruptible sleep).
    """
    me = os.getpid()
    waiting: dict[int, tuple[Proc, int]] = {}
    ended: list[Proc] = []
    try:
        for item in procs:
            if item.pid == me or item.pid in waiting or item.state in _DEAD_STATES:
                continue
            fd = _pidfd(item)
            if fd is None:
                continue
            if _send(item, fd, signal.SIGTERM):
                _send(item, fd, signal.SIGCONT)
                waiting[item.pid] = (item, fd)
                ended.append(item)
            elif fd >= 0:
                os.close(fd)
        _wait_gone(waiting, grace)
        for item, fd in list(waiting.values()):
            _send(item, fd, signal.SIGKILL)
        _wait_gone(waiting, KILL_WAIT)
    finally:
        for _, fd in waiting.values():
            if fd >= 0:
                os.close(fd)
    return ended
