"""How jobs are put into words and colours: table cells, the toast, the detail header.

Pure functions (Rich ``Text`` at most), so they are tested without an app. Every status is
readable without colour: a symbol and a word; the colour only repeats what they say. What came
from a job (command, name, project, reason) is made :func:`visible` here: Rich passes ESC
through, so a name holding ``ESC ] 0 ;`` would otherwise reach the terminal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from rich.text import Text

from bgview.runtime.model import Job, JobStatus
from bgview.runtime.present import format_duration, format_size, restart_count
from bgview.runtime.text import visible

Clock = Callable[[], float]
Severity = Literal["information", "warning", "error"]

STATUS_STYLE: dict[JobStatus, tuple[str, str]] = {
    JobStatus.RUNNING: ("●", "bold green"),
    JobStatus.EXITED: ("✓", "green"),
    JobStatus.KILLED: ("✗", "yellow"),
    JobStatus.TIMEOUT: ("◷", "yellow"),  # not ⏱: emoji-wide in many terminals, it skews columns
    JobStatus.FAILED: ("✗", "bold red"),
    JobStatus.LOST: ("?", "magenta"),
}


def failed(job: Job) -> bool:
    """Whether the job's end is a failure a user should see in red."""
    if job.status is JobStatus.EXITED:
        return job.exit_code != 0
    return job.status in (JobStatus.FAILED, JobStatus.LOST)


def status_text(job: Job) -> Text:
    """``● running``, ``✓ exited``, ``✗ exited`` (red), ``✗ killed``…"""
    return status_forms(job)[0]


SUPERVISOR_STOPPED = ("running (supervisor stopped)", "running (sup. stopped)", "sup. stopped")
"""A running job whose supervisor is stopped (SIGSTOP), from the longest way to say it to the
shortest: a narrow status column takes the first that fits."""


Phase = Literal["input", "starting", "ready", "restarting", ""]
"""What a running job is doing, as its status says it (``""``: nothing to add)."""

PHASE_TEXT: dict[str, tuple[str, str]] = {
    "input": ("⌨ input", "bold black on yellow"),
    "starting": ("◌ starting", "yellow"),
    "ready": ("● ready", "bold green"),
    "restarting": ("↻ restarting", "yellow"),
}
"""How the status reads and looks for each :data:`Phase`: waiting for input stands out most,
as the one that needs a person."""


def phase(job: Job) -> Phase:
    """``input`` while the job waits for input (whatever its readiness), else ``starting`` or
    ``ready`` for a job given a readiness condition; ``""`` otherwise or once it has ended."""
    if not job.running or job.supervisor_stopped:
        return ""
    if job.waiting_to_restart:
        return "restarting"  # its restart policy waits out the backoff: nothing runs
    if job.facts.waiting_for_input:
        return "input"
    if job.ready is None:
        return ""
    return "ready" if job.ready else "starting"


def status_forms(job: Job) -> list[Text]:
    """The status cell, longest first (only a stopped supervisor has shorter forms)."""
    symbol, style = STATUS_STYLE[job.status]
    if job.status is JobStatus.EXITED and job.exit_code != 0:
        symbol, style = "✗", "bold red"
    if job.running and job.supervisor_stopped:
        return [Text(f"{symbol} {words}", style="bold yellow") for words in SUPERVISOR_STOPPED]
    now = phase(job)
    if now:
        words, style = PHASE_TEXT[now]
        return [Text(words, style=style)]
    return [Text(f"{symbol} {job.status.value}", style=style)]


def serves_forms(job: Job) -> list[str]:
    """Where a running job serves, longest first: the newest URL it printed as printed, then
    without its scheme and trailing ``/``, then ``:PORT``; or ``:PORT`` of the first port it
    listens on. Nothing for a job that serves nowhere (or has ended, or waits to restart)."""
    if not job.running or job.waiting_to_restart:
        return []
    facts = job.facts
    if facts.urls:
        url = visible(facts.urls[0])
        forms = [url]
        bare = url.split("://", 1)[-1].rstrip("/")
        if bare != url:
            forms.append(bare)
        port = _port_of(bare)
        if port is None and facts.ports:
            port = facts.ports[0].port
        if port is not None and f":{port}" != forms[-1]:
            forms.append(f":{port}")
        return forms
    if facts.ports:
        return [f":{facts.ports[0].port}"]
    return []


def _port_of(address: str) -> int | None:
    """The port in ``host:port/path`` (``None`` if it names none)."""
    host = address.split("/", 1)[0]
    _, colon, port = host.rpartition(":")
    return int(port) if colon and port.isdigit() and 0 < int(port) < 65536 else None


def cpu_text(job: Job) -> str:
    """``12%`` of one core, all its processes together; nothing for a job with no facts."""
    if not job.running or not job.facts.process_count:
        return ""
    return f"{job.facts.cpu_percent:.0f}%"


def restarts_text(job: Job) -> str:
    """``1/5``: how many times its restart policy restarted it, of how many it may."""
    return restart_count(job)


def memory_text(job: Job) -> str:
    """``14MB`` resident, all its processes together; nothing for a job with no facts."""
    if not job.running or not job.facts.process_count:
        return ""
    return format_size(job.facts.rss_bytes)


def exit_text(job: Job) -> Text:
    """The exit code, the signal, or nothing while running."""
    if job.status is JobStatus.EXITED and job.exit_code is not None:
        return Text(str(job.exit_code), style="red" if job.exit_code else "")
    if job.signal:
        return Text(visible(job.signal), style="yellow")
    if job.status is JobStatus.FAILED:
        return Text("—", style="red")
    return Text("")


def runtime_text(job: Job, clock: Clock = time.time) -> str:
    """Wall time so far (ticking while running, measured by ``clock``) or in all."""
    return format_duration(job.wall_seconds(clock()))


def toast_text(job: Job) -> str:
    """``bash_3 exited 0 · 1.4MB · 12s``: what the toast says when a job ends (sizes and
    times written as everywhere else: :mod:`bgview.runtime.present`)."""
    size = format_size(job.output_bytes)
    wall = format_duration(job.wall_seconds())
    if job.gave_up:
        n = job.restarts
        code, sig = job.exit_code, visible(job.signal or "")
        how = f"exited {code}" if code is not None else f"killed by {sig}"
        what = f"gave up after {n} restart{'s' if n != 1 else ''}: {how}"
    elif job.status is JobStatus.EXITED:
        what = f"exited {job.exit_code}"
    elif job.status is JobStatus.KILLED:
        what = f"killed ({job.signal})" if job.signal else "killed"
    elif job.status is JobStatus.TIMEOUT:
        what = "timed out"
    elif job.status is JobStatus.FAILED:
        return f"{job.id} failed: {visible(job.reason or 'could not start')}"
    elif job.status is JobStatus.LOST:
        what = "lost"
    else:
        what = "running"
    return f"{job.id} {what} · {size} · {wall}"


def toast_severity(job: Job) -> Severity:
    """Red for a failure, yellow for killed or timed out, plain otherwise."""
    if failed(job):
        return "error"
    if job.status in (JobStatus.KILLED, JobStatus.TIMEOUT):
        return "warning"
    return "information"


def clock_time(stamp: float | None) -> str:
    """A timestamp as local ``YYYY-MM-DD HH:MM:SS`` (``—`` when unknown)."""
    if not stamp:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))
