"""The job table with the highlighted job's live log: the viewer's main screen.

Its jobs come from the one live feed of the store (:class:`~bgview.runtime.feed.JobFeed`,
its own unless one is given): the feed reads the store in its own thread, and its batches
arrive here as :class:`~bgview.ui.messages.JobsChanged` (:mod:`bgview.ui.live`). Until the
feed's first look is done the table shows that it is loading. Nothing here reads the store;
the job actions run in workers (:mod:`bgview.ui.job_actions`) and tell the feed what they
changed; which job they act on, and which of them it allows, is
:mod:`bgview.ui.highlighted_actions`'s. Another Textual app can
``push_screen(JobsScreen(...))``: the layout is in this screen's own CSS, and ``q`` there
leaves the screen, not the app.

Bindings:

| key | action |
| --- | --- |
| enter | open the highlighted job full-screen |
| esc | clear a search or filter; in a host REPL (or pushed in another app), go back |
| k | kill the highlighted job (its whole process group) |
| i | type a line into the highlighted job's terminal (hidden when it does not echo) |
| a | attach: the job's live terminal, keys go to it until ctrl+] |
| r | restart a finished job (same command, cwd, name and owner) |
| d | delete a finished job (never a running one), once you say yes |
| / | search the log; n / N next and previous match |
| f | keep only the log lines matching a pattern |
| end | follow new output again |
| q, ctrl+c | quit (pushed in another app: leave the screen) |
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.reactive import reactive
from textual.widgets import Static

from bgview.runtime.events import EventKind, JobEvent
from bgview.runtime.feed import JobFeed
from bgview.runtime.paths import store_root
from bgview.runtime.store import Project
from bgview.runtime.text import visible
from bgview.ui.desktop_notify import notify_ended
from bgview.ui.footer import JobsFooter
from bgview.ui.format import Clock
from bgview.ui.highlighted_actions import HighlightedJobActions
from bgview.ui.job_screen import JOB_BINDINGS, JobScreen
from bgview.ui.job_table import JobTable
from bgview.ui.live import FeedLink
from bgview.ui.log_panel import LogPanel
from bgview.ui.log_screen import LogScreen
from bgview.ui.messages import FeedLoaded, JobsChanged
from bgview.ui.ticker import Ticker
from bgview.ui.toasts import GATHER, TIMEOUT, EndedJobs, ended_toast, fact_toast

_STRUCTURAL = frozenset({EventKind.STARTED, EventKind.ENDED, EventKind.REMOVED})


def _draws(event: JobEvent, shown: Path | None) -> bool:
    """Whether ``event`` draws a frame at once: new output of the log on screen, or a job
    that started, ended or went (a running job's new facts wait for the tick)."""
    return event.kind in _STRUCTURAL or (event.kind is EventKind.OUTPUT and event.job_dir == shown)


class EmptyState(Static):
    """What an empty store shows: how to start a job."""

    DEFAULT_CSS = """
    EmptyState { width: auto; max-width: 100%; height: auto; padding: 1 2; border: round $primary; }
    """


class JobsScreen(LogScreen, HighlightedJobActions):
    """Every job of a project (or of all projects) and the highlighted one's live log."""

    DEFAULT_CSS = """
    JobsScreen {
        layout: vertical;
        & > #jobs { height: 40%; min-height: 5; border-bottom: solid $primary 40%; }
        & > #empty { display: none; }
        & > #log-panel { height: 1fr; }
        &.-empty > #jobs, &.-empty > #log-panel { display: none; }
        &.-empty > #empty { display: block; height: 1fr; }
        /* Toasts over the table's lower rows, never over the log's newest lines. */
        & > ToastRack { dock: top; height: 40%; align: right bottom; margin: 0; padding-bottom: 1; }
    }
    """

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

    running: reactive[int] = reactive(0)
    """Jobs running now (the footer's chip shows it)."""
    loaded: reactive[bool] = reactive(False)
    """Whether the feed's first look at the store has arrived (before: "loading")."""

    def __init__(
        self,
        project: str | Path | None = None,
        *,
        all_projects: bool = False,
        clock: Clock | None = None,
        host_mode: bool = False,
        home: Path | None = None,
        watch: bool = True,
        feed: JobFeed | None = None,
    ) -> None:
        """``feed``: the live feed of these jobs, if the host has one (it is then neither
        started nor stopped here). ``watch=False`` shows the store as the feed first finds
        it and never changes (snapshots)."""
        super().__init__()
        self.home = home if home is not None else store_root()
        self.all_projects = all_projects
        self.project = None if all_projects else Project.open(project, root=self.home)
        self.clock: Clock = clock or time.time
        self.host_mode = host_mode
        self.live = watch
        self.feed = feed if feed is not None else JobFeed(self.project, root=self.home)
        self._own_feed = feed is None
        self._link = FeedLink(self.feed, self)
        self._ended = EndedJobs()
        self._pane_due = False
        self._opened = time.time()
        """When this screen first looked at the store: facts older than that are no news."""
        self._ticker: Ticker | None = None

    def compose(self) -> ComposeResult:
        yield JobTable(self.clock, show_project=self.all_projects, id="jobs")
        with Middle(id="empty"), Center():
            # Text, not markup: the project's path is a directory name, and "[" is common in those.
            yield EmptyState(Text(self._empty_text()))
        yield LogPanel(id="log-panel")
        yield JobsFooter(id="footer").data_bind(JobsScreen.running)

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
        table.loading = True
        table.focus()
        self.query_one(LogPanel).show(None, "loading jobs …")
        known = self._link.open()
        looked = self._link.loaded  # asked before our own feed starts: it may be done at once
        if self._own_feed:
            # Once the first frame ("loading jobs") is drawn: a big store's first read would
            # hold the GIL against it (10,000 jobs: a second).
            self.call_after_refresh(self.feed.start)
        if known or looked:  # a host's feed that has looked already: its jobs now
            self._first_look([JobEvent(EventKind.STARTED, job.dir, job) for job in known])
        else:  # its first batch is on its way (none, for an empty store: then this says so)
            self.run_worker(self._link.wait_loaded, thread=True, group="feed")
        if self.live:
            self._ticker = Ticker(self, self._tick)

    def on_unmount(self) -> None:
        self._stop_feed()

    def _stop_feed(self) -> None:
        self._link.close()
        if self._own_feed:
            self.feed.stop(wait=0)

    # ---- the store, as the feed tells it ----------------------------------------------------

    @on(JobsChanged)
    def _jobs_changed(self, message: JobsChanged) -> None:
        events = self._link.take(message)
        if self.loaded:
            self.apply(events)
        else:
            self._first_look(events)
        self.running = self._link.running

    @on(FeedLoaded)
    def _feed_loaded(self) -> None:
        if not self.loaded:
            self._first_look([])

    def _first_look(self, events: list[JobEvent]) -> None:
        """Every job the feed found, at once; then what changed since."""
        table = self.query_one(JobTable)
        table.load(e.job for e in events if e.kind is EventKind.STARTED and e.job is not None)
        table.loading = False
        self.loaded = True
        self.running = self._link.running
        self.apply([e for e in events if e.kind is not EventKind.STARTED])
        self._refresh_empty()
        self._show_pane()
        if not self.live:
            self._stop_feed()

    def apply(self, events: list[JobEvent]) -> None:
        """Bring the table, the log and the toasts up to date with these events."""
        table = self.query_one(JobTable)
        panel = self.query_one(LogPanel)
        for event in events:
            job = event.job
            if event.kind is EventKind.REMOVED:
                table.discard(event.job_dir)
                continue
            if job is None:
                continue
            if event.kind is EventKind.OUTPUT:
                table.set_size(event.job_dir, event.size)
            else:
                old = table.jobs.get(str(event.job_dir))
                table.upsert(job)
                told = fact_toast(old, job, self._opened) if old is not None else None
                if told is not None:
                    self.app.notify(told[0], severity=told[1], markup=False, timeout=TIMEOUT)
            if event.kind is EventKind.ENDED and self._ended.add(job, time.monotonic()):
                self.set_timer(GATHER, self._toast_ended)
            if panel.view.job_dir == event.job_dir:
                if event.kind is not EventKind.OUTPUT:  # its bar: ended, output lost
                    panel.show(job.dir, job.id, job.output_lost, ended=job.status.ended)
                panel.update_log()
        if self._ticker is not None and any(_draws(e, panel.view.job_dir) for e in events):
            self._ticker.along()
        if any(event.kind in _STRUCTURAL for event in events):
            # A job started, ended or went: what k, r and d offer may change. Not for a running
            # job's record changing (its facts, each second): rebuilding the footer then cost
            # more than the rest of an idle viewer together.
            self._refresh_empty()
            self.refresh_bindings()

    def _toast_ended(self) -> None:
        wait = self._ended.due(time.monotonic())
        if wait > 0:  # more ended meanwhile: wait for the rest of them
            self.set_timer(wait, self._toast_ended)
            return
        jobs = self._ended.take_jobs()
        if jobs:
            text, severity = ended_toast(jobs)
            self.app.notify(text, severity=severity, markup=False, timeout=TIMEOUT)
            notify_ended(self.app, jobs)  # on the desktop too, if asked and not in front

    def _tick(self) -> None:
        self.query_one(JobTable).tick()

    def _refresh_empty(self) -> None:
        empty = self.loaded and not self.query_one(JobTable).jobs
        if empty != self.has_class("-empty"):
            self.set_class(empty, "-empty")
            self.refresh_bindings()

    # ---- the highlighted job ------------------------------------------------------------------

    @on(JobTable.Highlighted, "#jobs")
    def _highlighted(self, event: JobTable.Highlighted) -> None:
        # The pane follows the cursor once the keys in hand are handled: at key-repeat speed
        # it opens the log the cursor stops on, not every log it passes.
        if not self._pane_due:
            self._pane_due = True
            self.call_after_refresh(self._show_pane)

    def _show_pane(self) -> None:
        """The one place that decides what the log pane shows: the job under the cursor."""
        self._pane_due = False
        # The footer with the log: kill for a running job, restart and delete for an ended one.
        # Both lay the screen out again; in one frame they cost a key one layout, not two.
        self.refresh_bindings()
        job = self.query_one(JobTable).selected()
        panel = self.query_one(LogPanel)
        if job is None:
            panel.show(None, "no job selected" if self.loaded else "loading jobs …")
            return
        other = panel.view.job_dir != job.dir
        panel.show(job.dir, job.id, job.output_lost, ended=job.status.ended)
        if other:
            # Opening another log of the same length leaves the view's size and scroll as they
            # were, so nothing else would repaint it: it must not keep the last job's lines.
            panel.view.refresh()

    @on(JobTable.Selected, "#jobs")
    def _selected(self, event: JobTable.Selected) -> None:
        event.stop()
        self.action_open_job()

    def action_open_job(self) -> None:
        job = self.query_one(JobTable).selected()
        if job is not None:
            detail = JobScreen(job, self.clock, self.feed)
            self.app.push_screen(detail, callback=self._detail_closed)

    def _detail_closed(self, _: None) -> None:
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
        elif self._pushed:
            self.dismiss()

    @property
    def _pushed(self) -> bool:
        """Pushed over another app's screen (not bgview's own base screen)."""
        return self.app.screen_stack[0] is not self

    def action_quit(self) -> None:
        self.quit_viewer()

    def quit_viewer(self) -> None:
        """Quit bgview; pushed in another app, leave this screen (and any above it)."""
        if not self._pushed:
            self.app.exit()
            return
        self.pop_until_active()
        self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The footer lists only keys that do something now, so it fits a narrow terminal.
        if action == "back_left":
            return self.host_mode
        if not self._job_allows(action):
            return False
        panel = self.query_one(LogPanel)
        if action == "back":  # leaves a REPL's viewer, a pushed screen, or a search
            return (
                self.host_mode
                or self._pushed
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
