"""One job full-screen: what it is (command, cwd, pid, status, times) and, while it runs, what
it is doing (its processes with their CPU, memory and ports, where it serves, its readiness,
the prompt it waits at) above its log.

Bindings:

| key | action |
| --- | --- |
| esc | back to the job table |
| k | kill the job (its whole process group) |
| r | restart a finished job (same command, cwd, name and owner) |
| i | type a line into the job's terminal (hidden when it does not echo) |
| a | attach: the job's live terminal, keys go to it until ctrl+] |
| / | search the log; n / N next and previous match |
| f | keep only the lines matching a pattern |
| end | follow new output again |
| q, ctrl+c | quit (pushed in another app: leave the viewer) |
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widgets import Static

from bgview.runtime.events import EventKind
from bgview.runtime.feed import JobFeed
from bgview.runtime.model import Job
from bgview.runtime.present import format_duration, format_size, restart_line
from bgview.runtime.text import visible
from bgview.ui.footer import JobsFooter
from bgview.ui.format import Clock, clock_time, exit_text, runtime_text, status_text
from bgview.ui.job_actions import JobActions
from bgview.ui.last_output import quiet_text
from bgview.ui.live import FeedLink
from bgview.ui.log_panel import LogPanel
from bgview.ui.log_screen import LogScreen
from bgview.ui.log_view import LogView
from bgview.ui.messages import JobsChanged

TICK_SECONDS = 1.0
"""How often a running job's runtime moves in the header."""
MAX_SHOWN_PROCESSES = 8
"""Processes listed in the header; the rest are counted."""

JOB_BINDINGS: list[BindingType] = [
    Binding(
        "k", "kill", "Kill", tooltip="Kill the job and its whole process group", id="bgview.kill"
    ),
    Binding(
        "r",
        "restart",
        "Restart",
        tooltip="Start a finished job again: same command and cwd",
        id="bgview.restart",
    ),
    Binding(
        "i",
        "type_line",
        "Type",
        tooltip="Type a line into the job's terminal (hidden at a password prompt)",
        id="bgview.type",
    ),
    Binding(
        "a",
        "attach",
        "Attach",
        tooltip="The job's live terminal: keys go to the job until ctrl+] detaches",
        id="bgview.attach",
    ),
    Binding(
        "slash", "search", "Search", key_display="/", tooltip="Search the log", id="bgview.search"
    ),
    Binding("n", "next_match", "Next", tooltip="Next match of the search", id="bgview.next-match"),
    Binding(
        "N",
        "previous_match",
        "Prev",
        key_display="N",
        tooltip="Previous match",
        id="bgview.previous-match",
    ),
    Binding(
        "f",
        "filter",
        "Filter",
        tooltip="Keep only the lines matching a pattern",
        id="bgview.filter",
    ),
    Binding(
        "end",
        "follow",
        "Follow",
        priority=True,
        tooltip="Follow new output again",
        id="bgview.follow",
    ),
    Binding("q", "quit", "Quit", tooltip="Quit the viewer", id="bgview.quit"),
    Binding("ctrl+c", "quit", "Quit", show=False, priority=True, tooltip="Quit the viewer"),
]
"""The job actions, shared by the table screen and this one."""


class JobHeader(Static):
    """The job's command, cwd, pid, status and times."""

    DEFAULT_CSS = """
    JobHeader { height: auto; padding: 0 1; background: $boost; }
    """

    def show(self, job: Job, clock: Clock) -> None:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        title = Text.assemble((job.id, "bold"), "  ", status_text(job), "  ", exit_text(job))
        grid.add_row("job", title)
        # The command on its own lines (a heredoc reads as one); the rest on one line each.
        grid.add_row("command", Text(_named(job) + visible(job.command, multiline=True)))
        grid.add_row("cwd", Text(visible(job.cwd)))
        grid.add_row("pid", Text(str(job.pid or "—")))
        times = f"started {clock_time(job.started_at)}"
        if job.ended_at:
            times += f" · ended {clock_time(job.ended_at)}"
        times += f" · {runtime_text(job, clock)}"
        quiet = quiet_text(job, clock())
        if quiet:
            times += f" · {quiet}"
        grid.add_row("time", Text(times))
        if job.restart_policy is not None:
            grid.add_row("restarts", Text(restart_line(job, clock())))
        if job.restart_of:
            grid.add_row("restart of", Text(visible(job.restart_of)))
        if job.killed_by:
            grid.add_row("killed by", Text(visible(job.killed_by)))
        if job.reason:
            grid.add_row("reason", Text(visible(job.reason), style="red"))
        if job.output_lost:
            grid.add_row("output", Text(visible(job.output_lost), style="bold red"))
        if job.running and not job.waiting_to_restart:  # between runs nothing runs
            _add_facts(grid, job)
        self.update(grid)


def _add_facts(grid: Table, job: Job) -> None:
    """What a running job is doing: readiness, the prompt it waits at, where it serves, its
    processes (parents before children, as the supervisor lists them)."""
    facts = job.facts
    if facts.waiting_for_input:
        prompt = f"  {visible(facts.prompt)}" if facts.prompt else ""
        grid.add_row("input", Text.assemble(("⌨ waiting for input", "bold yellow"), prompt))
    if job.ready_condition is not None:
        if job.ready:
            after = format_duration(facts.ready_after or 0.0)
            detail = visible(facts.ready_detail or "")
            grid.add_row(
                "ready", Text.assemble(("● ready", "bold green"), f" after {after}  {detail}")
            )
        else:
            wants = visible(job.ready_condition.describe())
            grid.add_row("ready", Text.assemble(("◌ starting", "yellow"), f"  waits for {wants}"))
    if facts.urls:
        grid.add_row("urls", Text(" ".join(visible(u) for u in facts.urls[:3]), style="cyan"))
    if facts.processes:
        grid.add_row("processes", processes_table(job))


def processes_table(job: Job) -> Table:
    """The job's processes: pid, CPU, memory, the ports each listens on, command; the total."""
    facts = job.facts
    ports: dict[int | None, list[str]] = {}
    for port in facts.ports:
        ports.setdefault(port.pid, []).append(f":{port.port}")
    table = Table(box=None, padding=(0, 1), show_edge=False, pad_edge=False)
    table.add_column("pid", justify="right", style="dim")
    table.add_column("cpu", justify="right")
    table.add_column("mem", justify="right")
    table.add_column("ports", style="cyan")
    table.add_column("command", overflow="ellipsis", no_wrap=True)
    for process in facts.processes[:MAX_SHOWN_PROCESSES]:
        depth = "" if process.pid == job.pid else "└ "
        table.add_row(
            str(process.pid),
            f"{process.cpu_percent:.0f}%",
            format_size(process.rss_bytes),
            " ".join(ports.get(process.pid, [])),
            Text(depth + visible(process.command)),
        )
    more = facts.process_count - min(len(facts.processes), MAX_SHOWN_PROCESSES)
    total = f"{facts.process_count} process{'es' if facts.process_count != 1 else ''}"
    table.add_row(
        "",
        Text(f"{facts.cpu_percent:.0f}%", style="bold"),
        Text(format_size(facts.rss_bytes), style="bold"),
        "",
        Text(f"{total}" + (f" ({more} more not shown)" if more > 0 else ""), style="dim"),
    )
    return table


def _named(job: Job) -> str:
    """``(dev) `` before the command of a named job."""
    return f"({visible(job.name)}) " if job.name else ""


class JobScreen(LogScreen):
    """A job's details and its log, full-screen; ``esc`` returns to the table.

    It follows its job in the feed (:class:`~bgview.ui.live.FeedLink`, this job only) and
    counts the running jobs for its chip; the job actions are the jobs screen's below it.
    """

    DEFAULT_CSS = """
    JobScreen {
        & > #job-log { height: 1fr; }
        /* Toasts over the header, never over the log's newest lines. */
        & > ToastRack { dock: top; align: right top; margin-bottom: 0; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the job table", id="bgview.back"),
        *JOB_BINDINGS,
    ]

    running: reactive[int] = reactive(0)
    """Jobs running now (the footer's chip shows it)."""

    def __init__(self, job: Job, clock: Clock, feed: JobFeed) -> None:
        super().__init__()
        self.job = job
        self.clock = clock
        self._link = FeedLink(feed, self, only=job.dir)

    def compose(self) -> ComposeResult:
        yield JobHeader(id="job-header")
        yield LogPanel(id="job-log")
        yield JobsFooter(id="footer").data_bind(JobScreen.running)

    def on_mount(self) -> None:
        known = self._link.open()
        self.job = known[0] if known else self.job
        self.running = self._link.running
        self.query_one(JobHeader).show(self.job, self.clock)
        panel = self.query_one(LogPanel)
        panel.show(self.job.dir, self.job.id, self.job.output_lost, ended=self.job.status.ended)
        self.query_one(LogView).focus()
        self.set_interval(TICK_SECONDS, self.tick)

    def on_unmount(self) -> None:
        self._link.close()

    @on(JobsChanged)
    def _jobs_changed(self, message: JobsChanged) -> None:
        events = self._link.take(message)
        self.running = self._link.running
        panel = self.query_one(LogPanel)
        for event in events:
            if event.kind is not EventKind.OUTPUT and event.job is not None:
                self.show_job(event.job)
            panel.update_log()

    def show_job(self, job: Job) -> None:
        """A fresh snapshot of the job (status, pid, end)."""
        self.job = job
        self.query_one(JobHeader).show(job, self.clock)
        self.refresh_bindings()
        self.query_one(LogPanel).show(job.dir, job.id, job.output_lost, ended=job.status.ended)

    def tick(self) -> None:
        if self.job.running:
            self.query_one(JobHeader).show(self.job, self.clock)

    # The job actions are the table screen's: it owns the feed.
    def _owner(self) -> JobActions | None:
        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, JobActions):
                return screen
        return None

    def action_back(self) -> None:
        panel = self.query_one(LogPanel)
        if not panel.clear_query():
            self.dismiss()

    def action_quit(self) -> None:
        """Quit bgview (pushed in another app: leave the viewer, this screen and the table)."""
        owner = self._owner()
        if owner is None:
            self.app.exit()
        else:
            owner.quit_viewer()

    def action_kill(self) -> None:
        owner = self._owner()
        if owner is not None:
            owner.kill_job(self.job)

    def action_restart(self) -> None:
        owner = self._owner()
        if owner is not None:
            owner.restart_job(self.job)
            self.dismiss()

    def action_type_line(self) -> None:
        owner = self._owner()
        if owner is not None:
            owner.type_into(self.job)

    def action_attach(self) -> None:
        owner = self._owner()
        if owner is not None:
            owner.attach_to(self.job)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        panel = self.query_one(LogPanel)
        if action in ("kill", "type_line", "attach"):
            return self.job.running
        if action == "restart":
            return not self.job.running
        if action in ("next_match", "previous_match"):
            return panel.search is not None  # offered while a search is on
        if action == "follow" and panel.view.follow:
            return False  # already following
        # End moves the cursor in the query line rather than following.
        return not (
            action == "follow" and self.focused is not None and self.focused.id == "log-query"
        )
