"""One live feed of a project's jobs, for every face: the viewer, the shell, any host REPL.

A :class:`JobFeed` is the only face-side code that reads the store. It does its reading in a
thread of its own and hands out batches of typed :class:`~bgview.runtime.events.JobEvent`
(a job started, changed, ended, was removed, its log grew), each carrying its data, to whoever
subscribed. The faces never look at the disk for jobs themselves: state flows down from here.

How it learns of changes:

- inotify (:mod:`bgview.runtime.inotify`) on the jobs directory and on each running job's
  directory: woken by the kernel, never by a timer, so an idle viewer costs nothing;
- a supervisor killed outright writes nothing, and reading its job is what records it
  ``lost``: each running job's supervisor is watched through a pidfd, which the kernel wakes
  when it exits, so the job is read again at once. Running jobs are also read again every
  :data:`SLOW_RECHECK` seconds (a supervisor stopped by SIGSTOP), or every :data:`RECHECK`
  seconds where there are no pidfds; and a job whose facts changed sooner than the watcher
  reads them is read again when they are due;
- where the store cannot be watched (no inotify, no watches left), a cheap look every half
  second instead: which job directories exist, and the running jobs' records.

Under a firehose the batches are grouped (at most one every :data:`GROUP` seconds), so a face
is never handed more than it can draw. Stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bgview.runtime.events import EventKind, JobEvent
from bgview.runtime.inotify import IN_CREATE, IN_MOVED_TO, Change, Inotify, Unwatchable
from bgview.runtime.journal import NOTICES_LOG
from bgview.runtime.model import Job
from bgview.runtime.record import JobFiles
from bgview.runtime.store import Project
from bgview.runtime.watch import FACTS_EVERY, JobWatcher

RECHECK = 1.0
"""Seconds between looks at running jobs without pidfds (a vanished supervisor shows lost
within 2 s)."""
SLOW_RECHECK = 5.0
"""Seconds between looks at running jobs whose supervisors are watched through pidfds."""
FALLBACK = 0.5
"""Seconds between looks at the store when it cannot be watched."""
GROUP = 0.02
"""The least time between two batches: under a firehose, at most 50 a second."""

Listener = Callable[[list[JobEvent]], None]


class JobFeed:
    """A project's jobs (or every project's, with ``project=None``), live.

    :meth:`start` it once; listeners are called from the feed's thread with each batch (the
    first batch is every job there is, as ``STARTED`` events — empty for an empty store;
    :attr:`loaded` is set once the watch is in place, so nothing after it goes unseen).
    A face hands the batch over to its own thread (Textual: ``post_message``; asyncio:
    ``call_soon_threadsafe``). :meth:`jobs` is the latest snapshot, safe from any thread.
    """

    def __init__(
        self,
        project: Project | None,
        *,
        root: Path | None = None,
        recheck: float = RECHECK,
        fallback: float = FALLBACK,
    ) -> None:
        self.watcher = JobWatcher(project, root=root)
        self.recheck = recheck
        self.fallback = fallback
        self.loaded = threading.Event()
        """Set once the first batch (every job) has been handed out."""
        self.polling = False
        """The store could not be watched: it is looked at every :attr:`fallback` seconds."""
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._thread: threading.Thread | None = None
        self._last = 0.0
        self._noted: list[Path] = []
        self._pidfds: dict[Path, int] = {}
        """A pidfd for each running job's supervisor (readable once it has exited)."""
        self._facts_due: dict[Path, float] = {}
        """Jobs whose facts changed, and when to read them again (see :meth:`_facts_changed`)."""

    # ---- for faces ------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every batch from now on; returns how to stop."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def jobs(self) -> list[Job]:
        """Every job as last read."""
        return self.watcher.jobs()

    def start(self) -> JobFeed:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="bgview-feed", daemon=True)
            self._thread.start()
        return self

    def stop(self, wait: float = 1.0) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(wait)

    def note(self, job_dirs: list[Path]) -> None:
        """Read these jobs again now (a face just acted on them: killed, started, deleted)
        and hand out what changed, from the feed's thread."""
        with self._lock:
            self._noted.extend(job_dirs)
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"n")

    # ---- the thread -----------------------------------------------------------------------

    def _publish(self, events: list[JobEvent], *, always: bool = False) -> None:
        if (not events and not always) or self._stop.is_set():
            return
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(events)
        self._last = time.monotonic()

    def _run(self) -> None:
        # The store's directories are watched before it is read: whatever changes while it is
        # read is then an event, and the store (10,000 jobs: a second) is read only once.
        notify: Inotify | None = None
        watches: _Watches | None = None
        try:
            notify = Inotify()
            watches = _Watches(notify, self.watcher)
            watches.sync()
        except Unwatchable:
            watches = None
        try:
            # The first batch always comes, even for an empty store: a face knows it looked.
            jobs = self.watcher.scan()
            events = [JobEvent(EventKind.STARTED, j.dir, j, j.output_bytes) for j in jobs]
            self._publish(events, always=True)
            if self._stop.is_set():
                return
            if watches is not None:
                try:
                    self._watch(watches)
                    return
                except Unwatchable:  # no watches left for the running jobs' directories
                    pass
            self.polling = True
            self.loaded.set()
            self._poll()
        finally:
            if notify is not None:
                notify.close()

    def _watch(self, watches: _Watches) -> None:
        """Watch the store until stopped (its own directories are watched already)."""
        notify = watches.notify
        watches.sync()  # the running jobs' directories, now that they are known
        # Jobs still being created when the store was read are watched for their record;
        # running jobs are read again: what they did before their watch is not lost.
        watches.adopt_unknown()
        poller = select.poll()
        poller.register(notify.fd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        self._sync_pidfds(poller)
        self._publish(self.watcher.recheck_running())
        self.loaded.set()
        try:
            self._loop(watches, poller)
        finally:
            for fd in self._pidfds.values():
                os.close(fd)
            self._pidfds.clear()

    def _loop(self, watches: _Watches, poller: select.poll) -> None:
        notify = watches.notify
        supervisors = {fd: job_dir for job_dir, fd in self._pidfds.items()}
        recheck = self._recheck_every()
        next_check = time.monotonic() + recheck
        while not self._stop.is_set():
            due = min([next_check, *self._facts_due.values()])
            timeout = max(0.0, due - time.monotonic())
            ready = poller.poll(int(timeout * 1000) + 1)
            if self._stop.is_set():
                return
            events: list[JobEvent] = []
            if any(fd == self._wake_r for fd, _ in ready):
                _drain(self._wake_r)
                events += self._take_noted()
            ended = [supervisors[fd] for fd, _ in ready if fd in supervisors]
            if ended:  # a supervisor exited: its result, or its job lost
                events += self.watcher.reload(ended)
            if any(fd == notify.fd for fd, _ in ready):
                # Group a burst: what arrives within GROUP of the last batch waits for it.
                wait = self._last + GROUP - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                paths, lost = watches.paths(notify.read())
                events += watches.take_noticed()
                if lost:  # events were dropped, or a project appeared: look at it all
                    watches.sync()
                    watches.adopt_unknown()  # jobs of a new project still being created
                    events += self.watcher.rescan()
                else:
                    events += self.watcher.classify(paths)
                self._facts_changed(paths)
            now = time.monotonic()
            if now >= next_check:
                next_check = now + recheck
                events += self.watcher.recheck_running()
            elif self._facts_due and min(self._facts_due.values()) <= now:
                due_now = [d for d, at in self._facts_due.items() if at <= now]
                for job_dir in due_now:
                    del self._facts_due[job_dir]
                events += self.watcher.reload(due_now)
            if any(event.kind not in _NOT_STRUCTURAL for event in events):
                watches.sync()  # a job started or ended: its directory is watched or not
                self._sync_pidfds(poller)
                supervisors = {fd: job_dir for job_dir, fd in self._pidfds.items()}
                recheck = self._recheck_every()
                next_check = min(next_check, time.monotonic() + recheck)
            self._publish(events)

    def _facts_changed(self, paths: list[str]) -> None:
        """The watcher reads a job's facts at most every ``FACTS_EVERY`` seconds: a change that
        came sooner is read when that is up (the last of a burst, a job that went quiet)."""
        ending = os.sep + JobFiles.FACTS
        for path in paths:
            if path.endswith(ending):
                job_dir = Path(path).parent
                self._facts_due.setdefault(job_dir, time.monotonic() + FACTS_EVERY + 0.05)

    def _recheck_every(self) -> float:
        """Seconds between looks at running jobs: slow while every one has a pidfd."""
        running = sum(1 for job in self.watcher.jobs() if job.running)
        return max(self.recheck, SLOW_RECHECK) if running == len(self._pidfds) else self.recheck

    def _sync_pidfds(self, poller: select.poll) -> None:
        """A pidfd for every running job's supervisor, none for the others."""
        running = {
            job.dir: job.supervisor_pid
            for job in self.watcher.jobs()
            if job.running and job.supervisor_pid
        }
        for job_dir in [d for d in self._pidfds if d not in running]:
            fd = self._pidfds.pop(job_dir)
            poller.unregister(fd)
            os.close(fd)
        opened: list[Path] = []
        for job_dir, pid in running.items():
            if job_dir in self._pidfds or pid is None:
                continue
            try:
                fd = os.pidfd_open(pid)
            except ProcessLookupError:
                opened.append(job_dir)  # gone already: read it again (lost, or its result)
                continue
            except (OSError, AttributeError):  # no pidfds here: the periodic look instead
                continue
            self._pidfds[job_dir] = fd
            poller.register(fd, select.POLLIN)
            opened.append(job_dir)
        if opened:
            # Read again from the feed's loop: a supervisor that died (its pid taken by another
            # process) just before its pidfd was taken would never wake it.
            self.note(opened)

    def _poll(self) -> None:
        """No inotify: look at the store every :attr:`fallback` seconds."""
        sizes: dict[Path, int] = {}
        while not self._stop.is_set():
            events = self._take_noted() + self.watcher.look() + self._notices_grown(sizes)
            self._publish(events)
            ready, _, _ = select.select([self._wake_r], [], [], self.fallback)
            if ready:
                _drain(self._wake_r)

    def _notices_grown(self, sizes: dict[Path, int]) -> list[JobEvent]:
        """Polling: a ``NOTICE`` event for each project whose ``notices.log`` changed size
        since the last look (``sizes``, kept by the caller)."""
        events = []
        for project in self.watcher.projects():
            try:
                size = os.stat(project.dir / NOTICES_LOG).st_size
            except OSError:
                size = 0
            if sizes.get(project.dir, size) != size:
                events.append(JobEvent(EventKind.NOTICE, project.dir, None))
            sizes[project.dir] = size
        return events

    def _take_noted(self) -> list[JobEvent]:
        with self._lock:
            noted, self._noted = self._noted, []
        return self.watcher.reload(noted) if noted else []


_NOT_STRUCTURAL = frozenset({EventKind.OUTPUT, EventKind.NOTICE})
"""Events after which no directory needs watching anew."""


class _Watches:
    """Which directories are watched: the store's project and jobs directories, and the
    directory of each running job (an ended job changes no more; its removal shows in its
    jobs directory)."""

    def __init__(self, notify: Inotify, watcher: JobWatcher) -> None:
        self.notify = notify
        self.watcher = watcher
        self.by_wd: dict[int, Path] = {}
        self.by_path: dict[Path, int] = {}
        self.new: set[Path] = set()
        """Job directories that appeared and have no readable record yet: watched, so the
        record's arrival (a moment after the directory's) is seen."""
        self.noticed: set[Path] = set()
        """Projects whose ``notices.log`` grew since :meth:`take_noticed`."""

    def take_noticed(self) -> list[JobEvent]:
        """A ``NOTICE`` event for each project whose ``notices.log`` grew."""
        noticed, self.noticed = self.noticed, set()
        return [JobEvent(EventKind.NOTICE, path, None) for path in sorted(noticed)]

    def _add(self, path: Path) -> None:
        if path in self.by_path:
            return
        try:
            wd = self.notify.add(path)
        except FileNotFoundError:
            return
        self.by_wd[wd] = path
        self.by_path[path] = wd

    def _drop(self, path: Path) -> None:
        wd = self.by_path.pop(path, None)
        if wd is not None:
            self.by_wd.pop(wd, None)
            self.notify.remove(wd)

    def sync(self) -> None:
        """Watch what needs watching now, stop watching what does not."""
        wanted: set[Path] = set(self.watcher.watched_dirs())
        known = set()
        for job in self.watcher.jobs():
            known.add(job.dir)
            if job.running:
                wanted.add(job.dir)
        self.new = {path for path in self.new - known if path.is_dir()}
        wanted |= self.new
        for path in list(self.by_path):
            if path not in wanted:
                self._drop(path)
        for path in sorted(wanted, key=lambda p: len(p.parts)):
            self._add(path)

    def adopt_unknown(self) -> None:
        """Watch every job directory the watcher has no record of (yet)."""
        # By name: 10,000 paths made and hashed were a fifth of a big store's first look.
        known = {str(job.dir) for job in self.watcher.jobs()}
        for project in self.watcher.projects():
            jobs_dir = project.jobs_dir
            prefix = f"{jobs_dir}{os.sep}"
            for job_id in project.job_ids():
                if prefix + job_id not in known:
                    path = jobs_dir / job_id
                    self.new.add(path)
                    self._add(path)

    def paths(self, changes: Iterable[Change]) -> tuple[list[str], bool]:
        """The changed paths under jobs directories, and whether the store must be looked at
        whole: events were lost (a full queue), or a project (or its jobs directory) appeared
        or went — the watches themselves must then change."""
        found: list[str] = []
        whole = False
        for change in changes:
            base = self.by_wd.get(change.wd)
            if change.overflow:
                whole = True
            elif base is None:
                continue
            elif base.name == "projects":  # the store's list of projects (``--all``)
                whole = True
                if change.name and change.mask & (IN_CREATE | IN_MOVED_TO):
                    # A new project: watched at once, so that its project.json and jobs/,
                    # written a moment later, are seen (it is not a project until then).
                    self._add(base / change.name)
            elif base.parent.name == "projects":  # a project's own directory
                whole = whole or change.name in ("jobs", "project.json")
                if change.name == NOTICES_LOG:
                    self.noticed.add(base)
            else:  # a jobs directory, or a running job's directory
                path = base / change.name if change.name else base
                if base.name == "jobs" and change.mask & (IN_CREATE | IN_MOVED_TO):
                    self.new.add(path)  # a job being created: watch it before its record lands
                    self._add(path)
                found.append(str(path))
        return found, whole


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 4096):
            pass
