"""The job runtime: the store on disk, per-job supervisors, reading, notices.

It imports no UI library (no Textual, no prompt_toolkit), so starting a job stays fast.
"""

from __future__ import annotations

from bgview.runtime.api import Runtime, Session
from bgview.runtime.errors import BgviewError, InvalidRequest, NoSuchJob
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.notices import Notice, notice_text
from bgview.runtime.output import Output, Peek

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
