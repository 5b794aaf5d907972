"""The data of a tool's result (MCP ``structuredContent``), in the shapes of :mod:`outputs`.

The text of a result is for a model to read; this is for the harness around it: ids, states,
lines and notices as JSON values, built from the same job records and reads as the text, so
the two never disagree.
"""

from __future__ import annotations

from typing import Any

from bgview.agent.outputs import ENDED
from bgview.runtime import Job, Output
from bgview.runtime.notices import Notice

Data = dict[str, Any]


def job_data(job: Job) -> Data:
    """A job's fields an agent acts on (:data:`~bgview.agent.outputs.JOB_FIELDS`)."""
    facts = job.facts
    return {
        "id": job.id,
        "name": job.name,
        "status": job.status.value,
        "exit_code": job.exit_code,
        "signal": job.signal,
        "killed_by": job.killed_by,
        "reason": job.reason,
        "keep": job.keep,
        "wall_seconds": round(job.wall_seconds(), 3),
        "output_bytes": job.output_bytes,
        "log_path": str(job.log_path),
        "ready": job.ready,
        "ready_detail": facts.ready_detail,
        "urls": list(facts.urls),
        "ports": sorted({p.port for p in facts.ports}),
        "waiting_for_input": facts.waiting_for_input,
        "prompt": facts.prompt,
        "restarts": job.restarts,
        "restart_of": job.restart_of,
    }


def read_data(output: Output) -> Data:
    """What one cursor read gave (:data:`~bgview.agent.outputs.READ_FIELDS`)."""
    text = output.text
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()  # the newline ends the last line; it does not begin another
    return {
        "lines": lines if text else [],
        "dropped": output.skipped,
        "next": output.next_offset,
        "more": output.more,
        "unread": output.unread,
    }


def notice_data(notice: Notice) -> Data:
    """One notice as data: whose, what kind, the job's status now and its line."""
    kind = ENDED if notice.event is None else notice.event.kind.value
    return {
        "id": notice.job.id,
        "kind": kind,
        "status": notice.job.status.value,
        "text": notice.text,
    }
