"""The log's size cap and how readers see a consistent log while it is being trimmed.

Past its cap the supervisor keeps the newest half of ``output.log`` and drops the oldest
bytes, so the file on disk never grows much past the cap. Readers speak in *logical* offsets
(bytes since the job started); ``log.state`` says how many bytes were dropped from the front
of which file. A trim copies the kept bytes to a new file, writes ``log.state`` naming that
file's inode (and the previous file's, with its own offset), then renames it over
``output.log``. A reader opens the log first and then takes the offset that goes with the
inode it holds, so it is right before, during and after a trim — and after a supervisor
killed in the middle of one, at whatever step (there is no half-done state to recover from).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bgview.runtime.fsio import DirFd, open_private, read_json

STATE = "log.state"
DEFAULT_MAX_LOG = 512 * 1024 * 1024
MIN_MAX_LOG = 64 * 1024

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LogState:
    """What ``log.state`` says: the current log file and the one before it."""

    gen: int = 0
    """How many trims there have been."""
    dropped: int = 0
    """Logical offset of the first byte of the file with inode ``ino``."""
    ino: int | None = None
    prev_dropped: int = 0
    prev_ino: int | None = None

    def dropped_for(self, ino: int | None) -> int | None:
        """The logical offset of the first byte of the log file ``ino``; ``None`` if that file
        is neither the current nor the previous one (a trim just swapped it twice)."""
        if self.ino is None or ino is None or ino == self.ino:
            return self.dropped
        if ino == self.prev_ino:
            return self.prev_dropped
        return None


def load_state(job_dir: Path) -> LogState:
    state = read_json(job_dir / STATE)
    if not state:
        return LogState()
    try:
        return LogState(
            int(state.get("gen", 0)),
            int(state.get("dropped", 0)),
            _opt_int(state.get("ino")),
            int(state.get("prev_dropped", 0)),
            _opt_int(state.get("prev_ino")),
        )
    except (TypeError, ValueError):
        return LogState()


def _opt_int(value: object) -> int | None:
    return value if type(value) is int else None


def read_state(job_dir: Path) -> tuple[int, int]:
    """``(gen, dropped_bytes)`` of the current log; ``(0, 0)`` for one never trimmed."""
    state = load_state(job_dir)
    return state.gen, state.dropped


def write_state(job: DirFd, state: LogState) -> None:
    """Only the supervisor writes this (through its held job directory)."""
    job.write_json_atomic(
        STATE,
        {
            "gen": state.gen,
            "dropped": state.dropped,
            "ino": state.ino,
            "prev_dropped": state.prev_dropped,
            "prev_ino": state.prev_ino,
        },
    )


def open_log(job_dir: Path, *, strict: bool = True) -> tuple[int, int] | None:
    """``(fd, dropped)``: the log opened for reading and the logical offset of its first byte;
    ``fd`` is -1 when there is no log (or something that is not a regular file sits in its
    place: a FIFO must never block a reader). ``None`` in the instant a trim swaps files,
    unless not ``strict``: then a file ``log.state`` does not know (a log replaced by hand)
    is taken to start at the current offset."""
    log = job_dir / "output.log"
    try:
        # open_private: no symlink on the way either, and O_NOCTTY (a terminal's node must
        # not become a reader's controlling terminal); O_NONBLOCK: a FIFO never blocks us.
        fd = open_private(log, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        fd = -1
    except OSError:
        if _is_regular(log):
            raise  # a log we cannot read: say so
        fd = -1  # a directory, or a device that refuses to open (a terminal's node: EIO)
    ino = None
    if fd >= 0:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            fd = -1
        else:
            ino = st.st_ino
    state = load_state(job_dir)
    dropped = state.dropped_for(ino)
    if dropped is None and not strict:
        dropped = state.dropped
    if dropped is None:
        os.close(fd)
        return None
    return fd, dropped


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def consistent_read(job_dir: Path, read: Callable[[int, int], T]) -> T:
    """Run ``read(fd, dropped)`` on ``output.log`` so that it never mixes two versions of it.

    ``fd`` is an open descriptor on the log (or -1 if there is none yet) and ``dropped`` the
    logical offset of its first byte.
    """
    for attempt in range(200):
        opened = open_log(job_dir, strict=attempt < 20)
        if opened is None:
            time.sleep(0.001)  # two trims in a row under us; the next look is consistent
            continue
        fd, dropped = opened
        try:
            return read(fd, dropped)
        finally:
            if fd >= 0:
                os.close(fd)
    raise OSError(f"{job_dir / 'output.log'} kept changing while being read")


def parse_size(text: str) -> int:
    """``512M``, ``1G``, ``64k`` or a plain number of bytes."""
    units = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
    raw = text.strip().lower().removesuffix("ib").removesuffix("b")
    number, unit = raw, ""
    if raw and raw[-1] in units:
        number, unit = raw[:-1], raw[-1]
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (try 512M or 1G)") from None
    if value <= 0:
        raise ValueError(f"not a size: {text!r} (it must be positive)")
    return int(value * units[unit])
