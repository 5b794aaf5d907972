"""Process facts and process-group signalling, careful about reused PIDs.

A PID alone is not an identity: after a job ends its number can be given to an unrelated
process. Where it matters we compare the kernel's start time of the process (``/proc``) with
the one recorded when the job started.
"""

from __future__ import annotations

import errno
import os
import signal


def _stat(pid: int, recorded_start: int | None = None) -> list[bytes] | None:
    """The fields of ``/proc/PID/stat`` after the command name (field 3 on: ``[0]`` is the
    state, ``[19]`` the start time); ``None`` if the process is gone, or is not the one that
    started at ``recorded_start`` (when given)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    fields = raw[raw.rfind(b")") + 2 :].split()
    if len(fields) < 20 or not fields[19].isdigit():
        return None
    if recorded_start is not None and int(fields[19]) != recorded_start:
        return None
    return fields


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), or ``None`` if unknown."""
    fields = _stat(pid)
    return int(fields[19]) if fields is not None else None


def process_state(pid: int, recorded_start: int | None) -> str | None:
    """The one-letter state (``R``, ``S``, ``T`` for stopped, ``Z``…) of ``pid`` if it is still
    the process that started at ``recorded_start``; ``None`` if it is gone or another one."""
    fields = _stat(pid, recorded_start)
    return fields[0].decode() if fields is not None else None


PF_EXITING = 0x4
"""The kernel's per-task flag (``/proc/PID/stat`` field 9) set once a process begins to exit."""


def is_exiting(pid: int, recorded_start: int | None) -> bool:
    """Whether the process that started at ``recorded_start`` is a zombie or already in the
    kernel's exit path (PF_EXITING), where a signal can no longer change how it ends.

    Meant for a child not yet reaped: its parent learns of the exit only at its very end
    (SIGCHLD, a pidfd), after it closed its files; this tells it sooner. ``False`` when it
    cannot be told (no ``/proc``, another process with the PID).
    """
    fields = _stat(pid, recorded_start)
    if fields is None:
        return False
    try:
        return fields[0] in (b"Z", b"X") or bool(int(fields[6]) & PF_EXITING)
    except (IndexError, ValueError):
        return False


def handles_signal(pid: int, recorded_start: int | None, signum: int) -> bool:
    """Whether the process that started at ``recorded_start`` catches, ignores or blocks
    ``signum`` (``/proc/PID/status``), so that it could outlive it or exit by choice after
    it; ``True`` when that cannot be told (gone, another process, no ``/proc``)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            raw = handle.read()
    except OSError:
        return True
    masks = 0
    for line in raw.splitlines():
        key, _, value = line.partition(b":")
        if key in (b"SigBlk", b"SigIgn", b"SigCgt"):
            try:
                masks |= int(value.strip(), 16)
            except ValueError:
                return True
    if start_time(pid) != recorded_start:
        return True
    return bool(masks >> (signum - 1) & 1)


def is_same_process(pid: int, recorded_start: int | None) -> bool:
    """Whether ``pid`` is still the process that started at ``recorded_start``.

    Without a recorded start time there is no telling a reused PID from the original, so the
    answer is no: we would rather leave a process alone than signal a stranger.
    """
    current = start_time(pid)
    if current is not None:
        return recorded_start is not None and current == recorded_start
    if os.path.isdir("/proc/self"):
        return False  # /proc works here and has no such process: it is gone
    try:  # no /proc on this system: the PID is all there is to go by
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_exists(pgid: int) -> bool:
    """Whether any process (zombies included) is still in process group ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to group ``pgid``; ``False`` when the group no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except OSError as exc:
        if exc.errno == errno.EPERM:
            return True
        raise
    return True


def signal_name(signum: int) -> str:
    """``SIGTERM`` for 15, and a readable fallback for numbers without a name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"SIG{signum}"
