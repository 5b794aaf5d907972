"""Linux inotify through ctypes: woken by the kernel when a file changes, never by a timer.

watchfiles polls its own queue every ``step`` milliseconds (2 ms for a live log: 500 wake-ups a
second, about 2 % of a core for an idle viewer). A plain inotify descriptor in ``poll`` costs
nothing until something changes, and hands the change over in microseconds — as ``tail -f``
does. Only what is needed is watched (the jobs directory, and the directories of running jobs),
so ten thousand finished jobs cost no watches.

Stdlib only. :class:`Unwatchable` when the kernel refuses (no inotify, no instances or watches
left): the caller falls back to looking now and then.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
IN_EXCL_UNLINK = 0x04000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC

DIR_EVENTS = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
    | IN_EXCL_UNLINK
)
"""What a watched directory reports: its entries changing, and itself going away."""

_HEADER = struct.Struct("iIII")
_READ = 65536
_LONGEST = _HEADER.size + 256
"""The longest event: its header and a name of NAME_MAX bytes, NUL-padded."""


class Unwatchable(OSError):
    """The kernel will not watch this (no inotify, or no instances or watches left)."""


@dataclass(frozen=True, slots=True)
class Change:
    """One event: which watched directory, which entry (``""`` for the directory itself)."""

    wd: int
    mask: int
    name: str

    @property
    def overflow(self) -> bool:
        """Events were lost: look at everything again."""
        return bool(self.mask & IN_Q_OVERFLOW)


class Inotify:
    """One inotify descriptor: :attr:`fd` goes in a ``poll``; :meth:`read` drains it."""

    def __init__(self) -> None:
        try:
            self._libc = ctypes.CDLL(None, use_errno=True)
            fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        except (OSError, AttributeError) as exc:
            raise Unwatchable(errno.ENOSYS, "inotify is not available here") from exc
        if fd < 0:
            code = ctypes.get_errno()
            raise Unwatchable(code, f"inotify: {os.strerror(code)}")
        self.fd: int = fd

    def add(self, path: str | os.PathLike[str], mask: int = DIR_EVENTS) -> int:
        """Watch a directory; its watch descriptor. ``Unwatchable`` when no watches are left
        (ENOSPC), ``FileNotFoundError`` when it is gone."""
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(path), ctypes.c_uint32(mask))
        if wd < 0:
            code = ctypes.get_errno()
            if code in (errno.ENOENT, errno.ENOTDIR):
                raise FileNotFoundError(code, os.strerror(code), str(path))
            raise Unwatchable(code, f"inotify: {os.strerror(code)}: {path}")
        return int(wd)

    def remove(self, wd: int) -> None:
        self._libc.inotify_rm_watch(self.fd, ctypes.c_int(wd))  # gone already: EINVAL, fine

    def read(self) -> Iterator[Change]:
        """Every event queued now (none if there are none: never blocks)."""
        while True:
            try:
                data = os.read(self.fd, _READ)
            except BlockingIOError:
                return
            offset = 0
            while offset + _HEADER.size <= len(data):
                wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
                offset += _HEADER.size
                raw = data[offset : offset + length].split(b"\0", 1)[0]
                offset += length
                yield Change(wd, mask, os.fsdecode(raw))
            if len(data) <= _READ - _LONGEST:  # the queue fitted with room left: it is empty
                return  # (one system call, not a second one for EAGAIN: a keystroke's echo)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
