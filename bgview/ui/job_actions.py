"""The job actions of the viewer — kill, restart, delete, type a line — each run in a worker.

The runtime does the work (a kill can take its grace period; a start or a prune touches the
disk), never the UI thread. When it is done the feed is told (``feed.note``) which job changed,
and re-reads it in its own thread: the rows change as for any other change in the store, and
the toast for a kill comes from the job's end, as it would for a kill from elsewhere.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.screen import Screen

from bgview.runtime import control
from bgview.runtime.errors import BgviewError
from bgview.runtime.feed import JobFeed
from bgview.runtime.model import Job
from bgview.runtime.prune import prune
from bgview.runtime.store import Project
from bgview.runtime.text import visible
from bgview.ui.confirm import ConfirmDelete
from bgview.ui.input_box import InputBox, hides_input
from bgview.ui.messages import ActionDone, ActionFailed, JobRestarted

if TYPE_CHECKING:
    from bgview.runtime.attaching import Attachment

KILL_GRACE = 3.0
"""Seconds between SIGTERM and SIGKILL for ``k``."""


class JobActions(Screen[None]):
    """A screen that acts on jobs of its :attr:`feed` (the jobs screen; a job's own screen
    asks the one below it)."""

    feed: JobFeed

    def quit_viewer(self) -> None:
        """``q``: end the viewer."""
        self.app.exit()

    def kill_job(self, job: Job) -> None:
        """Kill the job's whole process group."""
        if not job.running:
            self.app.notify(f"{job.id} has already ended ({job.status.value})", markup=False)
            return
        self.app.notify(f"killing {job.id} …", timeout=2, markup=False)
        self._kill(job)

    @work(thread=True, group="actions")
    def _kill(self, job: Job) -> None:
        try:
            control.kill(project_of(job), job.id, grace=KILL_GRACE, by="user")
        except (BgviewError, OSError) as exc:
            self.post_message(ActionFailed(f"could not kill {job.id}: {visible(str(exc))}"))
            return
        self.feed.note([job.dir])

    def restart_job(self, job: Job) -> None:
        """Start a finished job again with the same command, cwd, name, options and owner."""
        if job.running:
            self.app.notify(f"{job.id} is still running: kill it first (k)", markup=False)
            return
        self._restart(job)

    @work(thread=True, group="actions")
    def _restart(self, job: Job) -> None:
        shown = job.command if _is_shell(job) else shlex.join(job.argv)
        try:
            new = control.restart(project_of(job), job.id, grace=KILL_GRACE, by="user")
        except (BgviewError, OSError) as exc:
            self.post_message(ActionFailed(f"could not restart {job.id}: {visible(str(exc))}"))
            return
        self.feed.note([new.dir])
        self.post_message(JobRestarted(job, new, shown))

    def delete_job(self, job: Job) -> None:
        """Delete a finished job and its log, once the user says yes."""
        if job.running:
            self.app.notify(
                f"{job.id} is running: kill it first (k)", severity="warning", markup=False
            )
            return

        def answered(delete: bool | None) -> None:
            if delete:
                self._delete(job)

        self.app.push_screen(ConfirmDelete(job), callback=answered)

    @work(thread=True, group="actions")
    def _delete(self, job: Job) -> None:
        try:
            removed = prune(project_of(job), ids=[job.id])
        except (BgviewError, OSError) as exc:
            self.post_message(ActionFailed(f"could not delete {job.id}: {visible(str(exc))}"))
            return
        self.feed.note([job.dir])
        if removed:
            self.post_message(ActionDone(f"deleted {job.id} and its log"))
        else:
            self.post_message(ActionFailed(f"{job.id} was not deleted (it may be running)"))

    def type_into(self, job: Job) -> None:
        """``i``: a line typed in a box, sent to the job's terminal with Enter. The box opens
        once the job's pty says whether it echoes (a few milliseconds), hidden if it does not."""
        if not job.running:
            self.app.notify(f"{job.id} has ended: it takes no input", markup=False)
            return
        self._open_input(job)

    @work(thread=True, group="actions")
    def _open_input(self, job: Job) -> None:
        hidden = hides_input(job)
        self.app.call_from_thread(self._show_input, job, hidden)

    def _show_input(self, job: Job, hidden: bool) -> None:
        def answered(line: str | None) -> None:
            if line is not None:
                self._send_line(job, line)

        self.app.push_screen(InputBox(job, hidden=hidden), callback=answered)

    @work(thread=True, group="actions")
    def _send_line(self, job: Job, line: str) -> None:
        try:
            control.send(project_of(job), job.id, line)
        except (BgviewError, OSError) as exc:
            self.post_message(ActionFailed(f"could not type into {job.id}: {visible(str(exc))}"))
            return
        # Never the line itself: it may be a password.
        self.post_message(ActionDone(f"sent a line to {job.id}"))

    def attach_to(self, job: Job) -> None:
        """``a``: the job's live terminal, full-screen, until ``ctrl+]``."""
        if not job.running:
            self.app.notify(f"{job.id} has ended: there is nothing to attach to", markup=False)
            return
        self._start_attaching(job)

    @work(thread=True, group="actions")
    def _start_attaching(self, job: Job) -> None:
        from bgview.runtime.attaching import Attachment

        try:
            attachment = Attachment(project_of(job), job.id)
            seed = attachment.seed()
        except (BgviewError, OSError) as exc:
            self.post_message(ActionFailed(f"could not attach to {job.id}: {visible(str(exc))}"))
            return
        self.app.call_from_thread(self._show_attached, job, attachment, seed)

    def _show_attached(self, job: Job, attachment: Attachment, seed: bytes) -> None:
        from bgview.ui.attach import AttachScreen

        self.app.push_screen(AttachScreen(job, attachment, seed, attachment.size_before))

    @on(ActionDone)
    def _action_done(self, message: ActionDone) -> None:
        self.app.notify(message.text, markup=False)

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        self.app.notify(message.text, severity="error", markup=False)


def _is_shell(job: Job) -> bool:
    """Whether the job ran a shell string (``bash -c <command>``), shown as given."""
    return len(job.argv) == 3 and job.argv[1] == "-c" and job.argv[2] == job.command


def project_of(job: Job) -> Project:
    """The store entry a job belongs to, straight from where the job lives."""
    return Project(Path(job.project), job.dir.parent.parent)
