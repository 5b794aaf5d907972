"""Small, careful file operations for the store: private, atomic, never following symlinks.

Logs hold secrets, so everything bgview creates is 0700 (directories) or 0600 (files), and a
symlink planted in the store is refused rather than followed.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any

from bgview.runtime.errors import BgviewError

DIR_MODE = 0o700
FILE_MODE = 0o600
_OPEN_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC


def check_private_dir(path: Path) -> None:
    """Refuse a store directory that is a symlink, another user's, or writable by others."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there yet: creating it will say what is wrong
    if stat.S_ISLNK(st.st_mode):
        raise BgviewError(f"refusing {path}: it is a symbolic link")
    if not stat.S_ISDIR(st.st_mode):
        raise BgviewError(f"refusing {path}: it is not a directory")
    if st.st_uid != os.getuid():
        raise BgviewError(f"refusing {path}: it belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o022:
        raise BgviewError(
            f"refusing {path}: it is writable by group or others (chmod 700 {path} to fix)"
        )


def private_dir(path: Path, *, check: bool = True) -> Path:
    """Create ``path`` (and parents) as 0700 if missing; refuse it if it is not private."""
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        if check:
            check_private_dir(path)
    except FileNotFoundError:
        private_dir(path.parent, check=False)
        return private_dir(path, check=check)
    except PermissionError as exc:
        raise BgviewError(f"cannot create {path}: permission denied") from exc
    except OSError as exc:
        raise BgviewError(f"cannot create {path}: {exc.strerror}") from exc
    else:
        # mkdir's mode is filtered by the umask; make sure no bit beyond 0700 slipped through
        # and none of ours was removed.
        os.chmod(path, DIR_MODE)
    return path


def open_private(path: Path, flags: int, mode: int = FILE_MODE) -> int:
    """``os.open`` for files inside the store: 0600, close-on-exec, never through a symlink."""
    try:
        return os.open(path, flags | _OPEN_FLAGS, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BgviewError(f"refusing {path}: it is a symbolic link") from exc
        raise


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON so that a reader sees the old file or the new one, never a half-written one."""
    # Unique per writer: two threads of one process may write the same record at once.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or ``None`` if it is missing, unreadable or not an object."""
    try:
        fd = open_private(path, os.O_RDONLY)
    except (OSError, BgviewError):
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
