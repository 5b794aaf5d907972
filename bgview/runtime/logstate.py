"""The log's size cap and how readers see a consistent log while it is being trimmed.

Past its cap the supervisor keeps the newest half of ``output.log`` and drops the oldest
bytes, so the file on disk never grows much past the cap. Readers speak in *logical* offsets
(bytes since the job started); ``log.state`` says how many bytes were dropped from the front.
It works like a seqlock: the supervisor bumps ``gen`` to an odd number before it swaps the
file and to the next even number after, and a reader retries if ``gen`` changed (or was odd)
around its read.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bgview.runtime.errors import BgviewError
from bgview.runtime.fsio import read_json, write_json_atomic

STATE = "log.state"
DEFAULT_MAX_LOG = 512 * 1024 * 1024
MIN_MAX_LOG = 64 * 1024

T = TypeVar("T")


def read_state(job_dir: Path) -> tuple[int, int]:
    """``(gen, dropped_bytes)``; ``(0, 0)`` for a log that was never trimmed."""
    state = read_json(job_dir / STATE)
    if not state:
        return 0, 0
    return int(state.get("gen", 0)), int(state.get("dropped", 0))


def write_state(job_dir: Path, gen: int, dropped: int) -> None:
    write_json_atomic(job_dir / STATE, {"gen": gen, "dropped": dropped})


def consistent_read(job_dir: Path, read: Callable[[int, int], T]) -> T:
    """Run ``read(fd, dropped)`` on ``output.log`` so that it never mixes two versions of it.

    ``fd`` is an open descriptor on the log (or -1 if there is none yet) and ``dropped`` the
    logical offset of its first byte.
    """
    for _ in range(200):
        gen, dropped = read_state(job_dir)
        if gen % 2:
            time.sleep(0.001)  # a trim is under way; it takes milliseconds
            continue
        try:
            fd = os.open(job_dir / "output.log", os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            fd = -1
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                log = job_dir / "output.log"
                raise BgviewError(f"refusing {log}: it is a symbolic link") from exc
            raise
        try:
            result = read(fd, dropped)
        finally:
            if fd >= 0:
                os.close(fd)
        if read_state(job_dir)[0] == gen:
            return result
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
