"""bgview: background jobs for terminal coding agents, kept on disk and watched live.

The package root re-exports the runtime's Python API; the faces (``bgview.ui``,
``bgview.host``, ``bgview.agent``) are imported only by those who use them.
"""

from __future__ import annotations

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
