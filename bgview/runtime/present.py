"""One presentation of a job, in plain text, for every face: the CLI, the shell, the agents'
``list_shells``, and the words the viewer puts beside its colours.

Sizes are written one way (``812B``, ``2.5KB``, ``14MB``), durations one way (``0.4s``,
``12s``, ``3m05s``, ``2h14m``), a status one way (``exited 1``, ``killed SIGTERM by user``),
and jobs come in one order: running first, then newest first. What a running job is doing
shows beside its status in a table (``starting``, ``running http://localhost:5173/``,
``running ⌨ input``), and in full in :func:`fact_lines`. Whatever came from a job (its
command, name, project, reason) is made :func:`~bgview.runtime.text.visible`, so every string
here is safe to print.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from bgview.runtime.facts import shown_pattern
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.text import visible


def format_size(n: int) -> str:
    """``812B``, ``12KB``, ``1.4MB``: short, like ``ls -h``."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "B":
                return f"{int(value)}B"
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_duration(seconds: float) -> str:
    """``0.4s``, ``12s``, ``3m05s``, ``2h14m``: short, and steady as it ticks."""
    if seconds < 10:
        return f"{max(seconds, 0.0):.1f}s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def status_words(job: Job) -> str:
    """``running``, ``exited 1``, ``killed SIGTERM by user``: the status in words, readable
    without colour."""
    if job.status is JobStatus.EXITED:
        return f"exited {job.exit_code}"
    if job.status is JobStatus.KILLED:
        by = f" by {visible(job.killed_by)}" if job.killed_by else ""
        return f"killed {visible(job.signal or '')}".strip() + by
    if job.running and job.supervisor_stopped:
        return "running (supervisor stopped)"
    if job.waiting_to_restart:
        return "restarting"
    return str(job.status.value)


def restart_line(job: Job, now: float) -> str:
    """A job's restart policy and where it is in it, in words: ``1 of 5 (on-failure, 1s
    backoff) · last run: exit 1 · next run in 3.2s``; nothing without a policy."""
    rule = job.restart_policy
    if rule is None:
        return ""
    words = f"{job.restarts} of {rule.max_restarts} ({rule.describe_short()})"
    ended = [run for run in job.runs if run.ended_at is not None]
    if ended:
        words += f" · last run: {visible(ended[-1].how())}"
    if job.waiting_to_restart and job.restart_at is not None:
        words += f" · next run in {format_duration(job.restart_at - now)}"
    if job.gave_up:
        words += " · gave up"
    return words


def restart_count(job: Job) -> str:
    """``1/5``: a job with a restart policy, how many times it was restarted of how many it
    may be; nothing for a job without one."""
    rule = job.restart_policy
    return f"{job.restarts}/{rule.max_restarts}" if rule is not None else ""


INPUT_MARK = "⌨ input"
"""How a table says a job waits for input."""


def serves(job: Job) -> str | None:
    """Where a running job serves: the newest URL it printed, else ``port N`` of the first
    port it listens on; ``None`` if neither (or it has ended, or waits to restart)."""
    if not job.running or job.waiting_to_restart:
        return None
    if job.facts.urls:
        return job.facts.urls[0]
    if job.facts.ports:
        return f"port {job.facts.ports[0].port}"
    return None


def status_cell(job: Job) -> str:
    """A table's status: :func:`status_words`, ``starting`` for a running job that is not
    ready yet, ``↻1/5`` for a job its policy restarted (or waits to), then where it serves
    and :data:`INPUT_MARK` if it waits for input."""
    words = status_words(job)
    if job.starting and not job.supervisor_stopped and not job.waiting_to_restart:
        words = "starting"
    if job.restarts or job.waiting_to_restart:
        words += f" ↻{restart_count(job)}"
    if not job.running or job.waiting_to_restart:
        return words
    where = serves(job)
    if where is not None:
        words += f" {visible(where)}"
    if job.facts.waiting_for_input:
        words += f" {INPUT_MARK}"
    return words


def fact_lines(job: Job) -> list[str]:
    """What a running job is doing, in words, for a listing with room for it (an agent's
    ``list_shells``): its processes, CPU and memory; its ports and URLs; its readiness; its
    prompt; its watch. Nothing for a job that has ended."""
    if not job.running:
        return []
    facts = job.facts
    lines = []
    if facts.process_count:
        n = facts.process_count
        lines.append(
            f"{n} process{'es' if n != 1 else ''}, {facts.cpu_percent:.1f}% CPU, "
            f"{format_size(facts.rss_bytes)} resident"
        )
    if facts.ports:
        ports = ", ".join(f"{p.address}:{p.port} (pid {p.pid})" for p in facts.ports[:5])
        lines.append(f"listening on {ports}")
    if facts.urls:
        lines.append("urls: " + " ".join(visible(u) for u in facts.urls[:3]))
    condition = job.ready_condition
    if condition is not None:
        if job.ready:
            after = format_duration(facts.ready_after or 0.0)
            lines.append(f"ready after {after}: {visible(facts.ready_detail or '')}")
        else:
            why = f" ({visible(facts.ready_detail)})" if facts.ready_detail else ""
            lines.append(f"starting: not ready yet ({visible(condition.describe())}){why}")
    if facts.waiting_for_input:
        prompt = f': "{visible(facts.prompt)}"' if facts.prompt else ""
        lines.append(f"waiting for input{prompt}")
    if job.notify_on is not None:
        why = visible(facts.watch_stopped or "")
        stopped = f"; stopped {why}" if why.startswith("after") else f"; stopped: {why}"
        lines.append(
            f"watching {visible(shown_pattern(job.notify_on))}: {facts.matches} matches"
            + (stopped if why else "")
        )
    return lines


def label(job: Job, *, show_project: bool = False) -> str:
    """The command on one line, with the job's name and (for ``--all``) its project."""
    parts = []
    if show_project:
        parts.append(f"[{os.path.basename(job.project)}]")
    if job.name:
        parts.append(f"({job.name})")
    if job.restart_of:
        parts.append(f"(restart of {job.restart_of})")
    parts.append(job.command)
    return visible(" ".join(parts))


def order(jobs: Sequence[Job]) -> list[Job]:
    """Jobs waiting for input first (they need you), then the others that run, then the
    ended; newest first within each: the order of every listing and the viewer."""
    return sorted(jobs, key=sort_key)


def sort_key(job: Job) -> tuple[int, float, int]:
    rank = (0 if job.facts.waiting_for_input else 1) if job.running else 2
    return (rank, -job.started_at, -int(job.id[5:]))


HEADERS = ("ID", "STATUS", "TIME", "OUTPUT", "COMMAND")


def rows(
    jobs: Sequence[Job], *, show_project: bool = False, now: float | None = None
) -> list[tuple[str, ...]]:
    """The cells of each job, in :func:`order`: id, status (:func:`status_cell`), time,
    output, command."""
    return [
        (
            job.id,
            status_cell(job),
            format_duration(job.wall_seconds(now)),
            format_size(job.output_bytes),
            label(job, show_project=show_project),
        )
        for job in order(jobs)
    ]


def table(
    cells: Sequence[tuple[str, ...]],
    headers: Sequence[str] = HEADERS,
    *,
    width: int | None = None,
) -> list[str]:
    """Aligned lines (the last column unpadded), each cut to ``width`` with ``…`` if given."""
    count = len(headers)
    widths = [max(len(row[i]) for row in [*cells, tuple(headers)]) for i in range(count - 1)]
    lines = []
    for row in [tuple(headers), *cells]:
        line = "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True))
        line = f"{line}  {row[-1]}".rstrip()
        if width is not None and len(line) > width:
            line = line[: max(width - 1, 20)] + "…"
        lines.append(line)
    return lines
