"""Checking the path of everything bgview opens in its store: nothing another user could
redirect, no symlink anywhere.

Every component of a path is checked, not only its last one: above the store by
:func:`check_ancestors` (nothing another user could redirect: a directory only we or root
can change, a symlink only if ours or root's), inside it on every use (no symlink, nothing but
our private directories between the store's root and the file: :func:`check_inside`). Once
:func:`check_ancestors` has passed a store's root, the store's file operations
(:mod:`bgview.runtime.fsio`) check every directory between that root and the path they are
given, so a symlink at ``projects/``, a project, ``jobs/``, a job or ``cursors/`` is refused,
never followed, whichever call meets it first.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from bgview.runtime.errors import BgviewError


def refuse_if_not_private(path: Path, st: os.stat_result) -> None:
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


_stores: set[str] = set()
"""The roots of the stores :func:`check_ancestors` passed in this process (absolute, normal)."""
_looked: dict[str, float] = {}
"""Directory inside a store -> when (``time.monotonic``) it, and every directory between it
and the store's root, was last found private."""
LOOK_AGAIN = 0.01
"""Seconds a directory found private is taken as still private without another ``lstat``:
a listing of ten thousand jobs looks at ``projects/``, the project and ``jobs/`` once every
10 ms, not once for each file it reads (which made it twice as slow). A directory's chain
is never taken on trust for longer than twice this."""


def _normal(path: Path | str) -> str:
    text = os.fspath(path)
    if not text.startswith("/") or "/." in text or "//" in text or text.endswith("/"):
        text = os.path.abspath(text)
    return text


def _fresh(directory: str, now: float) -> bool:
    return now - _looked.get(directory, -LOOK_AGAIN) < LOOK_AGAIN


def check_inside(path: Path | str) -> None:
    """Refuse ``path`` if a directory on its way down from its store's root (the root
    included, ``path`` itself not) is a symlink, not a directory, another user's, or writable
    by others. Missing directories are fine: creating them is ours.

    Nothing is checked for a path outside every store :func:`check_ancestors` passed. A
    directory is looked at again once :data:`LOOK_AGAIN` has passed since the last look, so a
    symlink planted after an earlier check is refused too.
    """
    text = _normal(path)
    parent = text.rpartition("/")[0]
    now = time.monotonic()
    if _fresh(parent, now):
        return
    root = parent  # the innermost store holding it: up from its directory to a root we know
    while root not in _stores:
        root = root[: root.rfind("/")]
        if not root:
            return  # in no store
    if len(_looked) > 4096:  # a long-lived viewer meets many job directories
        _looked.clear()
    me = os.getuid()
    current = root
    for name in [None, *parent[len(root) + 1 :].split("/")]:
        if name is not None:
            if not name:
                break  # parent is the root itself
            current = f"{current}/{name}"
        if _fresh(current, now):
            continue
        try:
            st = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            return
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != me or st.st_mode & 0o022:
            refuse_if_not_private(Path(current), st)  # says which of these it is
        _looked[current] = now


def check_private_dir(path: Path) -> None:
    """Refuse a store directory that is a symlink, another user's, or writable by others, or
    one reached through such a directory inside the store (:func:`check_inside`)."""
    check_inside(path)
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there yet: creating it will say what is wrong
    refuse_if_not_private(path, st)
    text = _normal(path)
    now = time.monotonic()
    if _fresh(text.rpartition("/")[0], now):
        _looked[text] = now  # its chain was just looked at, and now it too: files in it are fine


def check_ancestors(path: Path) -> None:
    """Refuse a store whose path another user could redirect.

    Every directory above the store must be one that only we or root can change: owned by us
    or by root, and not writable by group or others unless sticky (``/tmp``: others cannot
    rename or remove what is ours in it). A symlink on the way is followed only if it is ours
    or root's (a system's ``/var/run -> /run``); one planted by another user is refused, and
    so is a dangling one. The store itself and everything in it must not be a symlink at all
    (:func:`check_private_dir`).

    Once passed, ``path`` is remembered as a store's root: from then on every directory
    between it and what the store's functions are given is checked too (:func:`check_inside`).
    """
    _check_ancestors(path)
    _stores.add(os.path.abspath(path))


def _check_ancestors(path: Path) -> None:
    me = os.getuid()
    seen = 0
    current = Path(path.anchor or "/")
    pending = list(path.parts[1:-1]) if path.is_absolute() else list(path.parts[:-1])
    while pending:
        seen += 1
        if seen > 64:
            raise BgviewError(f"refusing {path}: too many symbolic links on the way")
        current = current / pending.pop(0)
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return  # the rest will be created, private, by us
        except OSError as exc:
            raise BgviewError(f"cannot use {path}: {current}: {exc.strerror}") from None
        if st.st_uid not in (me, 0):
            raise BgviewError(f"refusing {path}: {current} belongs to another user")
        if stat.S_ISLNK(st.st_mode):
            target = Path(os.readlink(current))
            if not target.is_absolute():
                target = current.parent / target
            if not os.path.exists(target):
                raise BgviewError(f"refusing {path}: {current} is a dangling symbolic link")
            pending[:0] = list(target.parts[1:])
            current = Path(target.anchor)
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise BgviewError(f"cannot create {path}: {current} is not a directory")
        if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
            raise BgviewError(f"refusing {path}: {current} is writable by other users")
