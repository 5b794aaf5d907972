"""The jobs screen's job keys (k, i, a, r, d), and which of them the highlighted job allows.

:class:`~bgview.ui.job_actions.JobActions` does the work for whatever job it is given; this
mixin gives it the job under the table's cursor, says which keys that job allows (none
without a job; kill, type and attach only while it runs; restart and delete only once it has
ended), and puts a restarted job's new row under the cursor. It is apart from
:mod:`bgview.ui.jobs_screen` so that the screen keeps to the feed, the table and the log pane,
and these rules are read in one place.
"""

from __future__ import annotations

from textual import on

from bgview.runtime.model import Job
from bgview.runtime.text import visible
from bgview.ui.job_actions import JobActions
from bgview.ui.job_table import JobTable
from bgview.ui.messages import JobRestarted

JOB_ACTIONS = frozenset(
    {
        "open_job",
        "kill",
        "type_line",
        "attach",
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
RUNNING_ONLY = frozenset({"kill", "type_line", "attach"})
"""Actions for a running job only."""
ENDED_ONLY = frozenset({"restart", "delete"})
"""Actions for an ended job only (a running one is to be killed first)."""


class HighlightedJobActions(JobActions):
    """The job actions of a screen with a :class:`~bgview.ui.job_table.JobTable`, on the job
    its cursor is on."""

    def _refresh_empty(self) -> None:
        """The table gained or lost its only row: show or hide the screen's empty state (the
        jobs screen's own; nothing here)."""

    def _selected_job(self) -> Job | None:
        return self.query_one(JobTable).selected()

    def _job_allows(self, action: str) -> bool:
        """Whether the highlighted job allows ``action`` (any action outside
        :data:`JOB_ACTIONS` needs no job): the footer lists only keys that do something."""
        if action not in JOB_ACTIONS:
            return True
        job = self._selected_job()
        if job is None:
            return False  # nothing to act on: keep the footer to what can be done
        if action in RUNNING_ONLY and not job.running:
            return False
        return not (action in ENDED_ONLY and job.running)  # kill it first

    def action_kill(self) -> None:
        job = self._selected_job()
        if job is not None:
            self.kill_job(job)

    def action_type_line(self) -> None:
        job = self._selected_job()
        if job is not None:
            self.type_into(job)

    def action_attach(self) -> None:
        job = self._selected_job()
        if job is not None:
            self.attach_to(job)

    def action_restart(self) -> None:
        job = self._selected_job()
        if job is not None:
            self.restart_job(job)

    def action_delete(self) -> None:
        job = self._selected_job()
        if job is not None:
            self.delete_job(job)

    @on(JobRestarted)
    def _restarted(self, message: JobRestarted) -> None:
        table = self.query_one(JobTable)
        if str(message.new.dir) not in table.jobs:  # the feed tells of it in a moment
            table.upsert(message.new)
            self._refresh_empty()
        table.move_to(message.new.dir)
        self.app.notify(
            f"restarted {message.old.id} as {message.new.id}: {visible(message.shown)}",
            markup=False,
        )
