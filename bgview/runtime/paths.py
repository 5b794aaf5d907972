"""Where the store lives and which project a directory belongs to.

Stdlib only: the supervisor and ``bgview run`` import this on their start-up path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from bgview.runtime.errors import BgviewError

try:  # the built-in SHA-256: hashlib would load OpenSSL, milliseconds on `bgview run`'s path
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Python < 3.12
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[assignment,unused-ignore]

_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def store_root() -> Path:
    """``$BGVIEW_HOME``, else ``${XDG_STATE_HOME:-~/.local/state}/bgview``.

    A relative ``XDG_STATE_HOME`` is ignored, as the XDG base directory spec says (it would
    name a different store in every directory). Where no home directory can be found
    (``HOME`` unset, no password entry), a :class:`BgviewError` says what to set.
    """
    home = os.environ.get("BGVIEW_HOME")
    if home:
        return Path(home).expanduser().absolute()
    state = Path(os.environ.get("XDG_STATE_HOME") or "").expanduser()
    if not state.is_absolute():
        try:
            state = Path.home() / ".local" / "state"
        except (RuntimeError, KeyError):
            raise BgviewError(
                "cannot tell where the store is: no home directory (set BGVIEW_HOME)"
            ) from None
    return state / "bgview"


def project_root(cwd: str | os.PathLike[str] | None = None) -> Path:
    """The project a directory belongs to: ``$BGVIEW_PROJECT``, else its git root, else itself.

    The git root is found by walking up to a ``.git`` entry rather than running ``git``: it
    costs microseconds instead of the milliseconds of a subprocess on ``bgview run``'s path.
    """
    override = os.environ.get("BGVIEW_PROJECT")
    if override and cwd is None:
        return Path(override).expanduser().resolve()
    start = Path(cwd if cwd is not None else os.getcwd()).expanduser().resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def digest(data: bytes) -> str:
    """SHA-256 of ``data`` in hex (the built-in one: see the import above)."""
    return str(_sha256(data).hexdigest())


def project_key(project: Path) -> str:
    """A stable directory name for a project: readable basename plus a short hash of the path."""
    digest = _sha256(str(project).encode("utf-8", "surrogateescape")).hexdigest()[:10]
    base = _SLUG_UNSAFE.sub("-", project.name or "root").strip("-")[:40] or "root"
    return f"{base}-{digest}"
