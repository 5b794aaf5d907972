"""``list_shells``: the project's jobs as a table for the model and as records for a harness."""

from __future__ import annotations

from collections.abc import Sequence

from bgview.agent.results import Data
from bgview.runtime import Job, present

LIST_LIMIT = 30
"""``list_shells`` shows every running job and the most recent ended ones, this many in all."""


def listing(jobs: Sequence[Job]) -> tuple[str, Data]:
    """The table (running jobs first, then what each running job is doing) and its data:
    the same jobs with every field of ``bgview list --json``, and how many were left out."""
    if not jobs:
        return "no jobs in this project yet\n", {"jobs": [], "hidden": 0}
    running = [j for j in jobs if j.running]
    ended = [j for j in jobs if not j.running]
    shown_ended = ended[-max(0, LIST_LIMIT - len(running)) :] if len(running) < LIST_LIMIT else []
    shown = present.order(running + shown_ended)
    cells = [
        (*row[:-1], row[-1] + ("  [kept]" if job.keep and job.running else ""))
        for job, row in zip(shown, present.rows(running + shown_ended), strict=True)
    ]
    lines = present.table(cells)
    hidden = len(ended) - len(shown_ended)
    if hidden:
        lines.append(f"({hidden} older ended job{'s' if hidden != 1 else ''} not shown)")
    facts = [
        f"{job.id}: {line}" for job in present.order(running) for line in present.fact_lines(job)
    ]
    if facts:
        lines += ["", *facts]
    data = {"jobs": [job.to_json() for job in shown], "hidden": hidden}
    return "\n".join(lines) + "\n", data
