"""Small, careful file operations for the store: private, atomic, never following symlinks.

Logs hold secrets, so everything bgview creates is 0700 (directories) or 0600 (files), and a
symlink planted in the store is refused rather than followed. A process that works in one
directory for long (a supervisor in its job's directory) holds it open as a :class:`DirFd` and
does everything relative to it, so a directory swapped under it cannot redirect its writes.

Every component of a path is checked (:mod:`bgview.runtime.pathcheck`): :func:`private_dir`,
:func:`open_private` (so :func:`read_json` and :func:`write_json_atomic`) and
:meth:`DirFd.open` refuse a path with a symlink or a directory not ours anywhere in the store.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from pathlib import Path
from typing import Any

from bgview.runtime.errors import BgviewError
from bgview.runtime.pathcheck import (
    check_ancestors,
    check_inside,
    check_private_dir,
    refuse_if_not_private,
)

DIR_MODE = 0o700
FILE_MODE = 0o600
_OPEN_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK
"""How every file in the store is opened. ``O_NONBLOCK``: a FIFO planted where a file should
be (``notices.log``, a record) fails the open at once (ENXIO) instead of hanging whoever
opens it — a supervisor recording its job's end, a ``bgview kill`` taking over; it changes
nothing for a regular file. ``O_NOCTTY``: a terminal device planted in the store never
becomes the controlling terminal of a session leader that opens it (a supervisor is one)."""
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FULL_DISK = frozenset({errno.ENOSPC, errno.EDQUOT})
"""Errnos that mean "no room": what a writer keeps in memory and tries again later."""


def private_dir(path: Path, *, check: bool = True) -> Path:
    """Create ``path`` (and parents) as 0700 if missing; refuse it if it is not private (or
    if a directory it would be made in is not: :func:`check_inside`)."""
    check_inside(path)
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        if check:
            check_private_dir(path)
    except FileNotFoundError:
        try:
            os.lstat(path)  # a dangling symlink: mkdir says ENOENT for the missing target
        except FileNotFoundError:
            private_dir(path.parent, check=False)
            return private_dir(path, check=check)
        raise BgviewError(f"refusing {path}: it is a dangling symbolic link") from None
    except PermissionError as exc:
        raise BgviewError(f"cannot create {path}: permission denied") from exc
    except OSError as exc:
        raise BgviewError(f"cannot create {path}: {exc.strerror}") from exc
    else:
        # mkdir's mode is filtered by the umask; make sure no bit beyond 0700 slipped through
        # and none of ours was removed.
        os.chmod(path, DIR_MODE)
    return path


def open_private(path: Path | str, flags: int, mode: int = FILE_MODE) -> int:
    """``os.open`` for files inside the store: 0600, close-on-exec, never through a symlink
    (neither the file itself nor a directory on its way: :func:`check_inside`)."""
    check_inside(path)
    try:
        return os.open(path, flags | _OPEN_FLAGS, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BgviewError(f"refusing {path}: it is a symbolic link") from exc
        raise


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def _dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON so that a reader sees the old file or the new one, never a half-written one
    (:meth:`DirFd.write_json_atomic`, in ``path``'s private directory)."""
    directory = DirFd.open(path.parent)
    try:
        directory.write_json_atomic(path.name, data)
    finally:
        directory.close()


def _loads(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def read_json(path: Path | str) -> dict[str, Any] | None:
    """The JSON object in ``path``, or ``None`` if it is missing, unreadable or not an object."""
    try:
        fd = open_private(path, os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, BgviewError):
        return None
    try:
        return _loads(_read_regular(fd))
    except OSError:
        return None
    finally:
        os.close(fd)


def _read_regular(fd: int) -> bytes:
    """All of a regular file's bytes; ``OSError`` for anything else (a FIFO, a device)."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise OSError(errno.EINVAL, "not a regular file")
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def make_reserve(fd: int, size: int) -> None:
    """Allocate ``size`` bytes of disk to the open file ``fd`` (``posix_fallocate``): space that
    no other job's output can take. ``OSError`` (ENOSPC) if the disk has not got it."""
    os.posix_fallocate(fd, 0, max(size, 4096))


class DirFd:
    """A directory held open: every operation is relative to it, nothing is re-resolved."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path
        """Where it was when opened: for messages only, never to find files."""

    @classmethod
    def open(cls, path: Path) -> DirFd:
        """Open a private directory (not a symlink, ours, not writable by others, and not
        reached through a symlink inside the store: :func:`check_inside`)."""
        check_inside(path)
        try:
            fd = os.open(path, _DIR_FLAGS)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise BgviewError(f"refusing {path}: it is not a plain directory") from exc
            raise
        try:
            refuse_if_not_private(path, os.fstat(fd))
        except BgviewError:
            os.close(fd)
            raise
        return cls(fd, path)

    def close(self) -> None:
        os.close(self.fd)

    def open_file(self, name: str, flags: int, mode: int = FILE_MODE) -> int:
        return os.open(name, flags | _OPEN_FLAGS, mode, dir_fd=self.fd)

    def open_regular(self, name: str, flags: int, mode: int = FILE_MODE) -> int:
        """Open (creating it if ``flags`` say so) the regular file ``name`` in this directory.

        Whatever sits there that is not a regular file (a FIFO, a directory, a device node,
        a symlink) is moved aside without being opened: opening a FIFO for writing can
        block, and opening a device can fail (a terminal's node outside devpts: EIO) or do
        something (rewind a tape, arm a watchdog). A regular file put there by hand is used.
        The descriptor is blocking; ``OSError`` for a full disk or a name that keeps being
        swapped.
        """
        for _ in range(5):
            try:
                st = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
            except FileNotFoundError:
                st = None
            if st is not None and not stat.S_ISREG(st.st_mode):
                self.move_aside(name)
                continue
            try:
                fd = self.open_file(name, flags, mode)
            except OSError as exc:
                if exc.errno in FULL_DISK or (exc.errno == errno.ENOENT and st is None):
                    raise
                # Swapped between the look and the open, or a file we may not open (its
                # mode changed by hand): not ours either.
                self.move_aside(name)
                continue
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.set_blocking(fd, True)
                return fd
            os.close(fd)  # swapped for a FIFO or a device just now
        raise OSError(errno.EEXIST, f"{name} keeps being replaced by something not a file")

    def move_aside(self, name: str) -> None:
        """Rename what sits at ``name`` to a name of its own (never one in use: a rename
        onto a directory fails, one onto a file would lose it)."""
        with contextlib.suppress(FileNotFoundError):
            self.replace(name, f".{name}.not-a-file.{os.urandom(4).hex()}")

    def exists(self, name: str) -> bool:
        try:
            os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def unlink(self, name: str) -> None:
        os.unlink(name, dir_fd=self.fd)

    def replace(self, src: str, dst: str) -> None:
        os.replace(src, dst, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def read_json(self, name: str) -> dict[str, Any] | None:
        try:
            fd = self.open_file(name, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            return _loads(_read_regular(fd))
        except OSError:
            return None
        finally:
            os.close(fd)

    def write_json_atomic(self, name: str, data: dict[str, Any]) -> None:
        """Temp file and rename, in this directory."""
        self.write_bytes_atomic(name, _dumps(data))

    def write_bytes_atomic(self, name: str, payload: bytes) -> None:
        """``payload`` as the whole of ``name``: a temp file renamed over it, in this
        directory, so a reader sees the old file or the new one."""
        tmp = f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        fd = self.open_file(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            _write_all(fd, payload)
        except OSError:
            os.close(fd)
            self.unlink(tmp)
            raise
        os.close(fd)
        self.replace(tmp, name)

    def write_json_into(self, reserve: str, name: str, data: dict[str, Any]) -> None:
        """Write ``data`` into the preallocated file ``reserve`` and rename it to ``name``.

        The bytes land in blocks the reserve already owns, so this works on a full disk. The
        reserve is used up: ``name`` replaces it.
        """
        fd = self.open_file(reserve, os.O_WRONLY)
        try:
            payload = _dumps(data)
            view, offset = memoryview(payload), 0
            while offset < len(payload):
                offset += os.pwrite(fd, view[offset:], offset)
            os.ftruncate(fd, len(payload))
        finally:
            os.close(fd)
        self.replace(reserve, name)

    def write_json(self, name: str, data: dict[str, Any], *, reserve: str | None = None) -> None:
        """Atomically; on a full disk through ``reserve`` if one is given (and still there)."""
        try:
            self.write_json_atomic(name, data)
        except OSError as exc:
            if exc.errno not in FULL_DISK or reserve is None or not self.exists(reserve):
                raise
            self.write_json_into(reserve, name, data)


__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "FULL_DISK",
    "DirFd",
    "check_ancestors",
    "check_inside",
    "check_private_dir",
    "make_reserve",
    "open_private",
    "private_dir",
    "read_json",
    "write_json_atomic",
]
