"""Being told at once when files in a directory change: Linux inotify through ctypes.

The REPL streams a foreground job's output from its log, and the budget is 10 ms of added
latency: a poll would either miss it or burn a core. inotify wakes us the moment the
supervisor writes. Where inotify is missing (not Linux, or the watch limit is reached)
:func:`open_watch` returns ``None`` and callers fall back to a short poll.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
from collections.abc import Iterable
from pathlib import Path

IN_MODIFY = 0x00000002
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE_SELF = 0x00000400
IN_Q_OVERFLOW = 0x00004000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC
CHANGES = IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE
"""What "something in this directory changed" means for the store: appends, and the atomic
renames that replace ``meta.json``."""

_EVENT = struct.Struct("iIII")


class DirWatch:
    """An inotify descriptor watching some directories; readable when something changed."""

    def __init__(self, fd: int, libc: ctypes.CDLL) -> None:
        self._fd = fd
        self._libc = libc
        self._paths: dict[int, Path] = {}

    def fileno(self) -> int:
        return self._fd

    def add(self, directory: Path, mask: int = CHANGES) -> bool:
        """Watch ``directory``; ``False`` if it cannot be watched (gone, or no watches left)."""
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(directory), mask)
        if wd < 0:
            return False
        self._paths[wd] = directory
        return True

    def read(self) -> list[tuple[Path, str]]:
        """The ``(directory, name)`` pairs that changed since the last call (may be empty).

        A queue overflow is reported as ``(directory, "")`` for every watched directory: the
        caller must look at everything again.
        """
        changed: list[tuple[Path, str]] = []
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return changed
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise
            pos = 0
            while pos + _EVENT.size <= len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, pos)
                raw = data[pos + _EVENT.size : pos + _EVENT.size + length]
                pos += _EVENT.size + length
                if mask & IN_Q_OVERFLOW:
                    changed.extend((p, "") for p in self._paths.values())
                    continue
                directory = self._paths.get(wd)
                if directory is not None:
                    changed.append((directory, os.fsdecode(raw.rstrip(b"\0"))))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> DirWatch:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def open_watch(directories: Iterable[Path] = ()) -> DirWatch | None:
    """A new watch on ``directories``, or ``None`` where inotify is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        init = libc.inotify_init1
    except (OSError, AttributeError):
        return None
    fd = init(IN_NONBLOCK | IN_CLOEXEC)
    if fd < 0:
        return None
    watch = DirWatch(fd, libc)
    for directory in directories:
        if not watch.add(directory):
            watch.close()
            return None
    return watch
