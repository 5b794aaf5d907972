"""Small helpers every test tier shares: waiting on a condition, and process-group facts.

Tests wait for what they need with a deadline — never a bare sleep standing in for an event.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def until(check: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def group_members(pgid: int) -> list[tuple[int, str]]:
    """``(pid, state)`` of every process in group ``pgid``, read from ``/proc``."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = raw[raw.rfind(b")") + 2 :].split()
        if int(fields[2]) == pgid:
            members.append((int(entry), fields[0].decode()))
    return members


def live_members(pgid: int) -> list[int]:
    """Processes of the group that still run. A zombie runs nothing: it waits for a parent to
    collect it, which this machine's PID 1 may never do."""
    return [pid for pid, state in group_members(pgid) if state != "Z"]


def group_gone(pgid: int) -> bool:
    """No process at all in the group: ``killpg(pgid, 0)`` finds none."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
