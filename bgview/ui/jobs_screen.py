"""The job table with the highlighted job's live log: the viewer's main screen.

It owns everything live: the store watcher (a thread turning file-system changes into
:class:`~bgview.runtime.events.JobEvent` batches), the clock tick for running jobs, the toasts,
and the job actions. Another Textual app can ``push_screen(JobsScreen(...))`` and get all of it.

Bindings:

| key | action |
| --- | --- |
| enter | open the highlighted job full-screen |
| esc | clear a search or filter; in a host REPL (or pushed in another app), go back |
| k | kill the highlighted job (its whole process group) |
| r | restart a finished job (same command, cwd and name) |
| d | delete a finished job (never a running one) |
| / | search the log; n / N next and previous match |
| f | keep only the log lines matching a pattern |
| end | follow new output again |
| q, ctrl+c | quit |
"""

from __future__ import annotations

import shlex
import threading
import time
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.widgets import DataTable, Static

from bgview.runtime import control
from bgview.runtime.errors import BgviewError
from bgview.runtime.events import EventKind, JobEvent, running_count
from bgview.runtime.model import Job
from bgview.runtime.paths import store_root
from bgview.runtime.prune import prune
from bgview.runtime.store import Project
from bgview.runtime.text import visible
from bgview.runtime.watch import JobWatcher
from bgview.ui.footer import JobsFooter
from bgview.ui.format import Clock, toast_severity, toast_text
from bgview.ui.job_screen import JOB_BINDINGS, JobsActions, JobScreen
from bgview.ui.job_table import JobTable
from bgview.ui.log_panel import LogPanel
from bgview.ui.log_screen import LogScreen
from bgview.ui.messages import ActionFailed, StoreChanged

JOB_ACTIONS = frozenset(
    {
        "open_job",
        "kill",
        "restart",
        "delete",
        "search",
        "next_match",
        "previous_match",
        "filter",
        "follow",
    }
)
"""Actions that need a job: hidden from the footer while the store is empty."""
SIZE_SECONDS = 0.25
"""How often the output column catches up with growing logs."""
TICK_SECONDS = 1.0
"""How often running jobs' runtimes move on screen."""
RESCAN_AFTER = 1.0
"""When the one look at the whole store after start-up happens (see ``JobWatcher.rescan``)."""
RECHECK_SECONDS = 1.0
"""How often running jobs are read again: a supervisor killed outright writes nothing, and
reading its job is what records it lost (within 2 s, with this)."""


class EmptyState(Static):
    """What an empty store shows: how to start a job."""

    DEFAULT_CSS = """
    EmptyState { width: auto; max-width: 100%; height: auto; padding: 1 2; border: round $primary; }
    """


class JobsScreen(LogScreen, JobsActions):
    """Every job of a project (or of all projects) and the highlighted one's live log."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "open_job",
            "Open",
            tooltip="Open the highlighted job full-screen",
            id="bgview.open",
        ),
        Binding(
            "escape",
            "back",
            "Back",
            tooltip="Clear the search or filter, or go back",
            id="bgview.back",
        ),
        Binding("left", "back_left", "Back", show=False, priority=True),
        *JOB_BINDINGS[:2],
        Binding(
            "d", "delete", "Delete", tooltip="Delete a finished job and its log", id="bgview.delete"
        ),
        *JOB_BINDINGS[2:],
    ]

    def __init__(
        self,
        project: str | Path | None = None,
        *,
        all_projects: bool = False,
        clock: Clock | None = None,
        host_mode: bool = False,
        home: Path | None = None,
        watch: bool = True,
    ) -> None:
        """``watch=False`` shows the store as it is now and never changes (snapshots)."""
        super().__init__()
        self.home = home if home is not None else store_root()
        self.all_projects = all_projects
        self.project = None if all_projects else Project.open(project, root=self.home)
        self.clock: Clock = clock or time.time
        self.host_mode = host_mode
        self.live = watch
        self.watcher = JobWatcher(self.project, root=self.home)
        self._stop = threading.Event()
        self._pending: list[JobEvent] = []
        """Events from the watcher's thread not yet applied (see :meth:`_watch`)."""
        self._pending_lock = threading.Lock()
        self._sizes: dict[Path, int] = {}
        self._sizes_scheduled = False
        self._detail: JobScreen | None = None

    def compose(self) -> ComposeResult:
        yield JobTable(self.clock, show_project=self.all_projects, id="jobs")
        with Middle(id="empty"), Center():
            # Text, not markup: the project's path is a directory name, and "[" is common in those.
            yield EmptyState(Text(self._empty_text()))
        yield LogPanel(id="log-panel")
        yield JobsFooter(id="footer")

    def _empty_text(self) -> str:
        where = "any project" if self.project is None else visible(str(self.project.path))
        return (
            f"No background jobs in {where} yet.\n\n"
            "Start one from a shell:   bgview run 'npm run dev'\n"
            "or from an agent:         bash(command, run_in_background=true)\n\n"
            "They show up here as they start."
        )

    def on_mount(self) -> None:
        table = self.query_one(JobTable)
        table.load(self.watcher.scan())
        self._refresh_empty()
        self._show_selected()
        self._set_running()
        table.focus()
        if self.live:
            self.set_interval(TICK_SECONDS, self._tick)
            self.set_interval(RECHECK_SECONDS, self._recheck)
            self._watch()
            # Whatever started between the first scan and the watch being in place.
            self.set_timer(RESCAN_AFTER, self._rescan)

    def on_unmount(self) -> None:
        self._stop.set()

    # ---- the store, as it changes -------------------------------------------------------------

    @work(thread=True, exclusive=True, group="watch")
    def _watch(self) -> None:
        """Batches of events from the file system, handed to the UI thread.

        Under a firehose batches come faster than a busy UI takes them: they are merged while
        one message is on its way, so the queue never grows and a key press never waits
        behind a backlog of stale log updates.
        """
        for events in self.watcher.watch(self._stop):
            with self._pending_lock:
                idle = not self._pending
                self._pending.extend(events)
            if idle:
                self.post_message(StoreChanged([]))

    def _rescan(self) -> None:
        events = self.watcher.rescan()
        if events:
            self.apply(events)

    def _recheck(self) -> None:
        events = self.watcher.recheck_running()
        if events:
            self.apply(events)

    @on(StoreChanged)
    def _store_changed(self, message: StoreChanged) -> None:
        with self._pending_lock:
            pending, self._pending = self._pending, []
        self.apply(_merge_output(message.events + pending))

    def apply(self, events: list[JobEvent]) -> None:
        """Bring the table, the log, the chip and the detail screen up to date."""
        table = self.query_one(JobTable)
        panel = self.query_one(LogPanel)
        resort = False
        for event in events:
            job = event.job
            if event.kind is EventKind.REMOVED:
                table.discard(event.job_dir)
                resort = True
                continue
            if job is None:
                continue
            if event.kind is EventKind.OUTPUT:
                self._sizes[event.job_dir] = event.size
                if not self._sizes_scheduled:
                    self._sizes_scheduled = True
                    self.set_timer(SIZE_SECONDS, self._flush_sizes)
            else:
                resort |= table.upsert(job)
            if event.kind is EventKind.ENDED:
                self.app.notify(
                    toast_text(job),
                    severity=toast_severity(job),
                    markup=False,
                    timeout=8,
                )
            if panel.view.job_dir == event.job_dir:
                if event.kind is not EventKind.OUTPUT and job.output_lost != panel.warning:
                    panel.show(job.dir, job.id, job.output_lost)
                panel.update_log()
            if self._detail is not None and self._detail.job.dir == event.job_dir:
                if event.kind is not EventKind.OUTPUT:
                    self._detail.show_job(job)
                self._detail.query_one(LogPanel).update_log()
        if resort:
            table.resort()
            self._refresh_empty()
            self._show_selected()
        self._set_running()
        if any(event.kind is not EventKind.OUTPUT for event in events):
            self.refresh_bindings()  # a job started or ended: what k, r and d offer may change

    def _flush_sizes(self) -> None:
        """The output column, a few times a second at most (a firehose grows it constantly)."""
        self._sizes_scheduled = False
        sizes, self._sizes = self._sizes, {}
        table = self.query_one(JobTable)
        for job_dir, size in sizes.items():
            table.set_size(job_dir, size)

    def _set_running(self) -> None:
        running = running_count(self.query_one(JobTable).jobs.values())
        self.query_one(JobsFooter).running = running
        if self._detail is not None and self._detail.is_attached:
            self._detail.set_running(running)

    def _tick(self) -> None:
        self.query_one(JobTable).tick()
        if self._detail is not None and self._detail.is_attached:
            self._detail.tick()

    def _refresh_empty(self) -> None:
        empty = not self.query_one(JobTable).jobs
        if empty != self.has_class("-empty"):
            self.set_class(empty, "-empty")
            self.refresh_bindings()

    # ---- the highlighted job ------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#jobs")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_selected()
        self.refresh_bindings()  # kill for a running job, restart and delete for an ended one

    def _show_selected(self) -> None:
        job = self.query_one(JobTable).selected()
        panel = self.query_one(LogPanel)
        if job is None:
            panel.show(None, "no job selected")
        else:
            panel.show(job.dir, job.id, job.output_lost)

    @on(LogPanel.BindingsChanged)
    def _bindings_changed(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#jobs")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_job()

    def action_open_job(self) -> None:
        job = self.query_one(JobTable).selected()
        if job is None:
            return
        running = running_count(self.query_one(JobTable).jobs.values())
        self._detail = JobScreen(job, self.clock, running)
        self.app.push_screen(self._detail, callback=self._detail_closed)

    def _detail_closed(self, _: None) -> None:
        self._detail = None
        self.query_one(LogPanel).update_log()

    def action_back(self) -> None:
        if self.query_one(LogPanel).clear_query():
            return
        self._leave()

    def action_back_left(self) -> None:
        self._leave()

    def _leave(self) -> None:
        if self.host_mode:
            self.app.exit()
        elif len(self.app.screen_stack) > 1 and self.app.screen_stack[0] is not self:
            self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The footer lists only keys that do something now, so it fits a narrow terminal.
        if action == "back_left":
            return self.host_mode
        if action in JOB_ACTIONS:
            job = self.query_one(JobTable).selected()
            if job is None:
                return False  # nothing to act on: keep the footer to what can be done
            if action == "kill" and not job.running:
                return False
            if action in ("restart", "delete") and job.running:
                return False  # kill it first
        panel = self.query_one(LogPanel)
        if action == "back":  # leaves a REPL's viewer, a pushed screen, or a search
            return (
                self.host_mode
                or self.app.screen_stack[0] is not self
                or panel.search is not None
                or panel.filter is not None
            )
        if action in ("next_match", "previous_match"):
            return panel.search is not None
        if action == "follow" and panel.view.follow:
            return False  # already following
        # End moves the cursor in the query line rather than following.
        return not (
            action == "follow" and self.focused is not None and self.focused.id == "log-query"
        )

    # ---- job actions ----------------------------------------------------------------------------

    def action_kill(self) -> None:
        job = self.query_one(JobTable).selected()
        if job is not None:
            self.kill_job(job)

    def kill_job(self, job: Job) -> None:
        """Kill the job's whole process group (in a worker: it can take the grace period)."""
        if not job.running:
            self.app.notify(f"{job.id} has already ended ({job.status.value})", markup=False)
            return
        self.app.notify(f"killing {job.id} …", timeout=2, markup=False)
        self._kill(job)

    @work(thread=True, group="actions")
    def _kill(self, job: Job) -> None:
        try:
            ended = control.kill(_project_of(job), job.id, grace=3.0, by="user")
        except (BgviewError, OSError) as exc:
            self.post_message(ActionFailed(f"could not kill {job.id}: {visible(str(exc))}"))
            return
        self.post_message(StoreChanged(self.watcher.classify([str(ended.dir / "meta.json")])))

    def action_restart(self) -> None:
        job = self.query_one(JobTable).selected()
        if job is not None:
            self.restart_job(job)

    def restart_job(self, job: Job) -> None:
        """Start a finished job again with the same command, cwd, name and options."""
        if job.running:
            self.app.notify(f"{job.id} is still running: kill it first (k)", markup=False)
            return
        # A shell string ran as ``bash -c <command>``: start the string; an argv ran as is.
        shell = len(job.argv) == 3 and job.argv[1] == "-c" and job.argv[2] == job.command
        command: str | list[str] = job.command if shell else list(job.argv)
        try:
            new = control.start(
                _project_of(job),
                control.StartRequest(
                    command, name=job.name, timeout=job.timeout, cwd=job.cwd, keep=job.keep
                ),
            )
        except BgviewError as exc:
            self.app.notify(visible(str(exc)), severity="error", markup=False)
            return
        self.apply(self.watcher.classify([str(new.dir / "meta.json")]))
        table = self.query_one(JobTable)
        if str(new.dir) not in table.jobs:  # the watcher's thread saw it first: not applied yet
            table.upsert(new)
            table.resort()
        table.move_cursor(row=table.get_row_index(str(new.dir)), animate=False)
        shown = job.command if shell else shlex.join(job.argv)
        self.app.notify(f"restarted {job.id} as {new.id}: {visible(shown)}", markup=False)

    def action_delete(self) -> None:
        job = self.query_one(JobTable).selected()
        if job is None:
            return
        if job.running:
            self.app.notify(
                f"{job.id} is running: kill it first (k)", severity="warning", markup=False
            )
            return
        removed = prune(_project_of(job), ids=[job.id])
        if removed:
            self.apply(self.watcher.classify([str(job.dir)]))
            self.app.notify(f"deleted {job.id} and its log", markup=False)

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        self.app.notify(visible(message.text), severity="error", markup=False)


def _merge_output(events: list[JobEvent]) -> list[JobEvent]:
    """Keep only the last ``OUTPUT`` event of each job: the log is read up to its end anyway."""
    last = {e.job_dir: i for i, e in enumerate(events) if e.kind is EventKind.OUTPUT}
    return [
        e for i, e in enumerate(events) if e.kind is not EventKind.OUTPUT or last[e.job_dir] == i
    ]


def _project_of(job: Job) -> Project:
    """The store entry a job belongs to, straight from where the job lives."""
    return Project(Path(job.project), job.dir.parent.parent)
