"""The job runtime: the store on disk, per-job supervisors, reading, notices.

It imports no UI library (no Textual, no prompt_toolkit), so starting a job stays fast. The
names below are loaded on first use (PEP 562): ``bgview run`` and every supervisor import
this package, and neither should pay for the reading and notice code they do not use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bgview.runtime.api import Runtime, Session
    from bgview.runtime.errors import BgviewError, InvalidRequest, NoSuchJob
    from bgview.runtime.model import Job, JobStatus
    from bgview.runtime.notices import Notice, notice_text
    from bgview.runtime.readresult import Output, Peek

_HOMES = {
    "BgviewError": "errors",
    "InvalidRequest": "errors",
    "Job": "model",
    "JobStatus": "model",
    "NoSuchJob": "errors",
    "Notice": "notices",
    "Output": "readresult",
    "Peek": "readresult",
    "Runtime": "api",
    "Session": "api",
    "notice_text": "notices",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
    "notice_text",
]
