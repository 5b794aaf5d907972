"""The job table's columns: what each shows, and how wide each is for the room there is.

Every column but the command is as wide as its widest cell (``bash_1000``, ``22m13s``,
``running (supervisor stopped)``: nothing is cut); the command takes what is left and ends in
``…`` when it must. When the room is short, the status column gives up its long forms first
(:data:`bgview.ui.format.SUPERVISOR_STOPPED`), down to the shortest (never narrower than the
usual ``● running``), then where a job serves is shortened (``http://localhost:5173/`` →
``localhost:5173`` → ``:5173``). The columns of facts (where it serves, CPU, memory) take no
room at all while no job has any (:data:`OPTIONAL`).
Pure functions: tested without an app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rich.cells import cell_len
from rich.text import Text

from bgview.runtime.model import Job, JobStatus
from bgview.runtime.present import format_size, label
from bgview.ui.format import (
    PHASE_TEXT,
    Clock,
    Phase,
    cpu_text,
    exit_text,
    memory_text,
    phase,
    restarts_text,
    runtime_text,
    serves_forms,
    status_forms,
)


@dataclass(frozen=True)
class Column:
    """One column of the job table."""

    key: str
    label: str
    justify: Literal["left", "right"] = "left"


COLUMNS = (
    Column("id", "ID"),
    Column("status", "Status"),
    Column("serves", "Serves"),
    Column("command", "Command"),
    Column("cpu", "CPU", "right"),
    Column("mem", "Mem", "right"),
    Column("restarts", "Restarts", "right"),
    Column("time", "Time", "right"),
    Column("output", "Output", "right"),
    Column("exit", "Exit"),
)
FIXED = tuple(column.key for column in COLUMNS if column.key != "command")
"""The columns as wide as their content."""
OPTIONAL = ("serves", "cpu", "mem", "restarts")
"""Columns of facts, and the restart count: no room at all (not even their header's) while
no job has any."""
PAD = 1
"""Blank cells either side of every cell."""
MIN_COMMAND = 12
"""The status column's long forms give way before the command is narrower than this."""
STATUS_FLOOR = 9
"""What the status column keeps however short the room: ``● running``, ``◷ timeout``."""


def cells(job: Job, clock: Clock, *, show_project: bool = False) -> dict[str, Text]:
    """The cells of ``job``'s row, styled (the status in its longest form)."""
    serves = serves_forms(job)
    return {
        "id": Text(job.id, style="bold"),
        "status": status_forms(job)[0],
        "serves": Text(serves[0] if serves else "", style="cyan"),
        "command": Text(label(job, show_project=show_project)),
        "cpu": Text(cpu_text(job)),
        "mem": Text(memory_text(job)),
        "restarts": Text(restarts_text(job), style="yellow" if job.restarts else ""),
        "time": Text(runtime_text(job, clock)),
        "output": Text(format_size(job.output_bytes)),
        "exit": exit_text(job),
    }


def widths_of(job: Job, clock: Clock) -> dict[str, int]:
    """How wide each fixed column must be for ``job``'s cells (cheap: 10,000 jobs are
    measured as the table fills, so statuses and exits are measured once per kind)."""
    longest, shortest = _status_widths(
        job.status, job.exit_code, job.running and job.supervisor_stopped, phase(job)
    )
    serves = serves_forms(job)
    return {
        "id": cell_len(job.id),
        "status": longest,
        "status_short": shortest,
        "serves": _optional("Serves", cell_len(serves[0]) if serves else 0),
        "serves_short": cell_len(serves[-1]) if serves else 0,
        "cpu": _optional("CPU", len(cpu_text(job))),
        "mem": _optional("Mem", len(memory_text(job))),
        "restarts": _optional("Restarts", len(restarts_text(job))),
        "time": len(runtime_text(job, clock)),
        "output": len(format_size(job.output_bytes)),
        "exit": _exit_width(job.status, job.exit_code, job.signal),
    }


def _optional(label: str, width: int) -> int:
    """An optional column's width for a cell ``width`` wide: none for an empty cell, else at
    least its header's."""
    return max(width, len(label)) if width else 0


@lru_cache(maxsize=64)
def _status_widths(
    status: JobStatus, exit_code: int | None, stopped: bool, now: Phase
) -> tuple[int, int]:
    job = Job("bash_0", "", "", (), "", status, exit_code=exit_code, supervisor_stopped=stopped)
    forms = status_forms(job)
    if now:  # the phase's own words (its facts are not in this stand-in job)
        width = cell_len(PHASE_TEXT[now][0])
        return width, width
    return forms[0].cell_len, forms[-1].cell_len


@lru_cache(maxsize=256)
def _exit_width(status: JobStatus, exit_code: int | None, signal: str | None) -> int:
    job = Job("bash_0", "", "", (), "", status, exit_code=exit_code, signal=signal)
    return exit_text(job).cell_len


def header_widths() -> dict[str, int]:
    """The fixed columns' widths for the headers alone (and ``status_short``: the widest of
    the statuses' shortest forms, how far the status column may shrink)."""
    widths = {
        column.key: 0 if column.key in OPTIONAL else cell_len(column.label)
        for column in COLUMNS
        if column.key in FIXED
    }
    return {**widths, "status_short": 0, "serves_short": 0}


def fit(width: int, natural: Mapping[str, int]) -> dict[str, int]:
    """Each column's width in a table ``width`` cells wide, given the fixed columns' natural
    widths (the widest cell of each)."""
    widths = {key: natural.get(key, 0) if key in OPTIONAL else natural[key] for key in FIXED}
    command = width - sum(w + 2 * PAD for w in widths.values() if w) - 2 * PAD
    floors = {
        "status": max(STATUS_FLOOR, natural.get("status_short", 0)),
        "serves": max(len("Serves"), natural.get("serves_short", 0)),
    }
    for key, floor in floors.items():
        if command >= MIN_COMMAND or not widths[key]:
            continue
        give = min(widths[key] - floor, MIN_COMMAND - command)
        if give > 0:
            widths[key] -= give
            command += give
    widths["command"] = max(command, 1)
    return widths


def status_cell(job: Job, width: int) -> Text:
    """The longest form of ``job``'s status that fits ``width`` (cut with ``…`` if none)."""
    forms = status_forms(job)
    for form in forms:
        if form.cell_len <= width:
            return form
    return forms[-1]


def serves_cell(job: Job, width: int) -> Text:
    """The longest form of where ``job`` serves that fits ``width`` (cut with ``…`` if none)."""
    forms = serves_forms(job)
    for form in forms:
        if cell_len(form) <= width:
            return Text(form, style="cyan")
    return Text(forms[-1] if forms else "", style="cyan")
