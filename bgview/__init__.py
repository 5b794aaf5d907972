"""bgview: background jobs for terminal coding agents, kept on disk and watched live.

The package root re-exports the runtime's Python API; the faces (``bgview.ui``,
``bgview.host``, ``bgview.agent``) are imported only by those who use them.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~6 ms (mypy knows)
if TYPE_CHECKING:
    from typing import Any

    from bgview.runtime import (
        BgviewError,
        InvalidRequest,
        Job,
        JobStatus,
        NoSuchJob,
        Notice,
        Output,
        Peek,
        Runtime,
        Session,
        notice_text,
    )


def __getattr__(name: str) -> Any:
    """The runtime's names, loaded on first use: ``bgview run`` imports this package and
    should not pay for what it does not use (PEP 562)."""
    if name.startswith("_") or name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("bgview.runtime"), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "BgviewError",
    "InvalidRequest",
    "Job",
    "JobStatus",
    "NoSuchJob",
    "Notice",
    "Output",
    "Peek",
    "Runtime",
    "Session",
    "__version__",
    "notice_text",
]
