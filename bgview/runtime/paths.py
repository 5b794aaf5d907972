"""Where the store lives and which project a directory belongs to.

Stdlib only: the supervisor and ``bgview run`` import this on their start-up path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

try:  # the built-in SHA-256: hashlib would load OpenSSL, milliseconds on `bgview run`'s path
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Python < 3.12
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[assignment,unused-ignore]

_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def store_root() -> Path:
    """``$BGVIEW_HOME``, else ``${XDG_STATE_HOME:-~/.local/state}/bgview``."""
    home = os.environ.get("BGVIEW_HOME")
    if home:
        return Path(home).expanduser().absolute()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).expanduser().absolute() / "bgview"


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
