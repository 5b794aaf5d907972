"""Watching the job store: file-system changes in, typed :class:`JobEvent` batches out.

The viewer and the REPL learn of new jobs, growing logs and ended jobs from here instead of
polling every job's record. Only the job directories a change touched are read again, so a
store of a thousand jobs costs nothing while it is quiet.

watchfiles is imported inside :meth:`JobWatcher.watch`, never at module import, so
``bgview run`` (which imports the runtime) never pays for it. Its defaults (group changes for
up to 1.6 s, look every 50 ms) suit a dev server's reloader, not a live log: we look every
:data:`STEP_MS` and never group for longer than :data:`DEBOUNCE_MS`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from bgview.runtime.events import EventKind, JobEvent, diff
from bgview.runtime.fsio import private_dir, read_json
from bgview.runtime.jobread import load_job
from bgview.runtime.logstate import read_state
from bgview.runtime.model import Job
from bgview.runtime.record import JobFiles
from bgview.runtime.store import ID_RE, LOG, META, Project, all_projects

STEP_MS = 2
"""How long watchfiles waits for more changes once it has some: the floor of our latency."""
DEBOUNCE_MS = 20
"""The longest it groups changes under a firehose: at most ~50 batches a second."""
RELOAD_NAMES = JobFiles.RECORD
"""Files whose change means the job's record must be read again."""
FACTS_EVERY = 1.0
"""The least time between two reads of a job for a change of its ``facts.json`` alone: a busy
job's supervisor rewrites it every second, and a change that comes sooner is read by the next
look at running jobs (:meth:`JobWatcher.recheck_running`, once a second) instead."""
_RECORD_TEMPS = tuple(f".{name}" for name in (META, JobFiles.STATE, JobFiles.RESULT))


class JobWatcher:
    """Jobs of one project (or of every project) and the events that change them.

    Call :meth:`scan` once for the current jobs, then iterate :meth:`watch` (in a thread) for
    batches of events. :meth:`recheck_running` re-reads only running jobs: a supervisor that
    dies by SIGKILL writes nothing, and reading its job is what records it ``lost``.
    """

    def __init__(self, project: Project | None, *, root: Path | None = None) -> None:
        """Watch ``project``; or, with ``project=None``, every project under store ``root``."""
        if project is None and root is None:
            raise ValueError("give a project, or the store root for every project")
        self.project = project
        self.root = root
        self._jobs: dict[Path, Job] = {}
        self._projects: dict[Path, Path] = {}
        """Store directory of a project -> the project's own path (from project.json)."""
        self._read_at: dict[Path, float] = {}
        """When each job was last read (``time.monotonic()``): its facts are not read again
        sooner than :data:`FACTS_EVERY`."""
        self._lock = threading.Lock()

    # ---- what is there now -------------------------------------------------------------------

    def watched_path(self) -> Path:
        """The directory watched recursively; created (private) if it does not exist yet."""
        if self.project is not None:
            self.project.ensure()
            return self.project.dir
        assert self.root is not None
        return private_dir(self.root / "projects")

    def projects(self) -> list[Project]:
        if self.project is not None:
            return [self.project]
        assert self.root is not None
        return all_projects(self.root)

    def scan(self) -> list[Job]:
        """Every job now, oldest first per project; remembered as the base for later events."""
        jobs: list[Job] = []
        for project in self.projects():
            self._projects[project.dir] = project.path
            jobs.extend(project.jobs())
        with self._lock:
            self._jobs = {job.dir: job for job in jobs}
        return jobs

    def jobs(self) -> list[Job]:
        """The latest snapshot of every known job."""
        with self._lock:
            return list(self._jobs.values())

    def rescan(self) -> list[JobEvent]:
        """Read the whole store again and report what changed since the last look.

        Once, just after the watch starts: a job that started between :meth:`scan` and the
        moment the file-system watch was in place would otherwise go unseen until it changes.
        """
        dirs: set[Path] = set()
        for project in self.projects():
            self._projects.setdefault(project.dir, project.path)
            dirs.update(project.jobs_dir / job_id for job_id in project.job_ids())
        with self._lock:
            known = set(self._jobs)
            running = {job.dir for job in self._jobs.values() if job.running}
        # An ended job's record never changes: only new, running and vanished jobs are read.
        return self._reload(sorted((dirs - known) | running | (known - dirs), key=_id_number))

    def watched_dirs(self) -> list[Path]:
        """The directories whose entries tell of jobs (and, for every project, of projects)
        appearing and going, and of notices: what a feed watches besides the running jobs'
        own."""
        if self.project is not None:
            self.project.ensure()
            # Its own directory too: its notices.log growing is a NOTICE (see EventKind).
            return [self.project.dir, self.project.jobs_dir]
        assert self.root is not None
        projects = private_dir(self.root / "projects")
        dirs = [projects]
        for project in self.projects():
            self._projects.setdefault(project.dir, project.path)
            dirs.append(project.jobs_dir)
        # Every project's own directory, also one still being made (no project.json yet):
        # its project.json and jobs/ appearing are what says there is a new project to watch.
        try:
            names = os.listdir(projects)
        except OSError:
            names = []
        dirs += [projects / name for name in names if (projects / name).is_dir()]
        return dirs

    def reload(self, job_dirs: Sequence[Path]) -> list[JobEvent]:
        """Read these jobs again and report what changed."""
        return self._reload(job_dirs)

    def look(self) -> list[JobEvent]:
        """Without watching: jobs that appeared or went, and the running jobs read again —
        a listing of each jobs directory and one record per running job, not the whole store."""
        dirs: set[Path] = set()
        for project in self.projects():
            self._projects.setdefault(project.dir, project.path)
            dirs.update(project.jobs_dir / job_id for job_id in project.job_ids())
        with self._lock:
            known = set(self._jobs)
            running = {job.dir for job in self._jobs.values() if job.running}
        return self._reload(sorted((dirs ^ known) | running, key=_id_number))

    def recheck_running(self) -> list[JobEvent]:
        """Read running jobs again (cheap: one record each); catches a vanished supervisor."""
        with self._lock:
            running = [job.dir for job in self._jobs.values() if job.running]
        return self._reload(running)

    # ---- what changes ------------------------------------------------------------------------

    def watch(
        self, stop: threading.Event, *, step: int = STEP_MS, debounce: int = DEBOUNCE_MS
    ) -> Iterator[list[JobEvent]]:
        """Batches of events until ``stop`` is set. Blocking: run it in a thread.

        ``step`` and ``debounce`` (milliseconds) trade latency for wake-ups: a watcher that
        only needs starts and ends (a REPL's chip) can look less often than a live log.
        """
        import watchfiles  # lazily: see the module docstring

        path = self.watched_path()
        for changes in watchfiles.watch(
            path,
            watch_filter=None,
            debounce=debounce,
            step=step,
            stop_event=stop,
            rust_timeout=500,
            raise_interrupt=False,
        ):
            events = self.classify(path for _, path in changes)
            if events:
                yield events

    def classify(self, paths: Iterator[str] | Sequence[str]) -> list[JobEvent]:
        """Turn changed paths into events (public so it can be tested without a watcher)."""
        reload: set[Path] = set()
        grown: set[Path] = set()
        facts: set[Path] = set()
        for raw in paths:
            job_dir, name = _job_dir_of(Path(raw))
            if job_dir is None:
                continue
            if name is None or name in RELOAD_NAMES or name.startswith(_RECORD_TEMPS):
                reload.add(job_dir)
            elif name == LOG or name.startswith(".output.log"):
                grown.add(job_dir)
            elif name == JobFiles.FACTS:  # renamed into place whole: its temp is not looked at
                facts.add(job_dir)
        if facts - reload:
            now = time.monotonic()
            with self._lock:
                due = {d for d in facts if now - self._read_at.get(d, 0.0) >= FACTS_EVERY}
            reload |= due
        events = self._reload(sorted(reload, key=_id_number))
        for job_dir in sorted(grown - reload, key=_id_number):
            event = self._output_event(job_dir)
            if event is not None:
                events.append(event)
        return events

    def _reload(self, job_dirs: Sequence[Path]) -> list[JobEvent]:
        events: list[JobEvent] = []
        for job_dir in job_dirs:
            new = load_job(job_dir, self._project_path(job_dir.parent.parent))
            with self._lock:
                old = self._jobs.get(job_dir)
                if new is None and old is not None and (job_dir / META).exists():
                    continue  # a record caught mid-replace; the next change brings it
                if new is None:
                    self._jobs.pop(job_dir, None)
                    self._read_at.pop(job_dir, None)
                else:
                    self._jobs[job_dir] = new
                    self._read_at[job_dir] = time.monotonic()
            events.extend(diff(old, new, job_dir))
            if old is not None and new is not None and new.output_bytes != old.output_bytes:
                events.append(JobEvent(EventKind.OUTPUT, job_dir, new, new.output_bytes))
        return events

    def _output_event(self, job_dir: Path) -> JobEvent | None:
        with self._lock:
            job = self._jobs.get(job_dir)
        if job is None:
            # A log written before its record was seen: read the record now.
            events = self._reload([job_dir])
            return events[-1] if events else None
        try:
            size = os.stat(job_dir / LOG).st_size
        except FileNotFoundError:
            return None
        return JobEvent(EventKind.OUTPUT, job_dir, job, read_state(job_dir)[1] + size)

    def _project_path(self, project_dir: Path) -> Path:
        known = self._projects.get(project_dir)
        if known is None:
            info = read_json(project_dir / "project.json") or {}
            known = Path(str(info.get("path") or project_dir))
            self._projects[project_dir] = known
        return known


def _job_dir_of(path: Path) -> tuple[Path | None, str | None]:
    """``(job directory, file name inside it)`` for a path under ``…/jobs/bash_N``.

    The name is ``None`` when the path is the job directory itself (created or removed).
    Changes deeper down (read cursors) and outside job directories are not ours to report.
    """
    parts = path.parts
    for i in range(len(parts) - 1, 0, -1):
        if parts[i - 1] == "jobs" and ID_RE.fullmatch(parts[i]):
            rest = parts[i + 1 :]
            if len(rest) > 1:
                return None, None
            return Path(*parts[: i + 1]), (rest[0] if rest else None)
    return None, None


def _id_number(job_dir: Path) -> tuple[str, int]:
    return str(job_dir.parent), int(job_dir.name[5:])
