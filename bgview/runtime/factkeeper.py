"""The supervisor's keeper of its job's facts: when to look, what changed, what to tell.

The supervisor calls :meth:`FactKeeper.output` with every batch of output it writes, and
:meth:`FactKeeper.tick` when :meth:`FactKeeper.due` comes (its event loop's ``poll`` wakes for
it: nothing else runs on a timer). The keeper is the one writer of ``facts.json``, rewritten
only when a fact changed (:meth:`~bgview.runtime.facts.Facts.significant`), and it appends the
events people and agents should hear of to the project's ``notices.log``
(:func:`~bgview.runtime.journal.append_event`).

When it looks:

- about once a second (:data:`REFRESH`), the job's processes (CPU, memory), its listening
  ports, and whether it waits for input (:mod:`bgview.runtime.procfacts`);
- :data:`QUIET` seconds after the job's last output, once: whether it waits for input, so a
  job blocked on a prompt is told within a moment of the quiet period, not a second later;
- while a job given a port (or ``auto``) condition is not ready yet, its ports every
  :data:`PROBE_FAST` second for its first seconds, then every :data:`PROBE_SLOW` (a listen
  makes no output to wake the loop, and whoever waits for readiness wants it soon);
- when a watch's cooldown ends.

**Waiting for input**: the pty's foreground process group (``tcgetpgrp`` on the master) has a
process blocked reading the terminal (:func:`~bgview.runtime.procfacts.reads_terminal`), and
the job printed nothing for :data:`QUIET` seconds. The last partial line is the prompt. It is
told once per wait: output, or the process no longer reading, ends the wait.

**Watching** (``notify_on``): a matching line is told at once; matches within the
:data:`COOLDOWN` after it are counted and told as one event when it ends; after :data:`CAP`
events, one more says the watch stopped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import sys
import termios
import time

from bgview.runtime.facts import (
    MAX_PORTS,
    MAX_PROCESSES,
    FactEvent,
    FactKind,
    Facts,
    PortFact,
    ProcessFact,
    ReadyKind,
)
from bgview.runtime.fsio import FULL_DISK, DirFd
from bgview.runtime.journal import append_event
from bgview.runtime.outputfacts import BUDGET, OutputScan
from bgview.runtime.procfacts import Ports, Sample, Sampler, reads_terminal, socket_inodes
from bgview.runtime.record import JobFiles, Request

REFRESH = 0.95
"""Seconds between looks at the processes: just under one, so that a change is in the record
within a second of it, the look and the write included."""
QUIET = 3.0
"""Seconds without output after which a job blocked reading its terminal waits for input."""
PROBE_FAST, PROBE_FAST_FOR = 0.05, 5.0
PROBE_SLOW, PROBE_SLOW_UNTIL = 0.25, 60.0
WRITE_GAP = 0.25
"""At most four rewrites of ``facts.json`` a second for changes the output made (readiness is
written at once)."""
COOLDOWN = 2.0
CAP = 20


class FactKeeper:
    """Gathers one job's facts for its supervisor (see the module's docstring)."""

    def __init__(self, job: DirFd, project: DirFd, request: Request, root: int, master: int):
        self.job, self.project, self.request = job, project, request
        self.master = master
        """The pty's master, or -1 once it is closed (then nothing can wait for input)."""
        self.sampler = Sampler(root)
        self.ports = Ports()
        self.scan = OutputScan()
        now = time.monotonic()
        self.started = now - max(0.0, time.time() - request.started_at)
        self.condition = request.ready
        self.facts = Facts(ready=False if self.condition is not None else None)
        self.written: tuple[object, ...] | None = None
        self.last_write = 0.0
        self.dirty = False
        """A fact changed since ``facts.json`` was written (the first look writes it)."""
        if self.condition is not None and self.condition.kind is ReadyKind.PATTERN:
            self.scan.ready = _compile(self.condition.pattern or "")
            if self.scan.ready is None:
                self._set(ready_detail="cannot become ready: its pattern is not a regex")
        if request.notify_on:
            self.scan.watch = _compile(request.notify_on)
        self.last_output = now
        self.quiet_checked = False
        """Whether the look due :data:`QUIET` seconds after the last output was made."""
        self.next_refresh = now + 0.2  # the first look soon: a short job still shows its pid
        self.last_refresh = 0.0
        self.next_probe = now + PROBE_FAST
        self.sent = 0
        self.pending = 0
        self.cooldown = request.notify_cooldown or COOLDOWN
        self.cooldown_until: float | None = None
        self.due_at = 0.0
        self._plan()

    # ---- what the supervisor calls -----------------------------------------------------------

    def output(self, data: bytes) -> None:
        """A batch of the job's output, as written to its log."""
        now = time.monotonic()
        self.last_output = now
        self.quiet_checked = False
        scan = self.scan
        scan.feed(data)
        if self.facts.waiting_for_input:
            self._set(waiting_for_input=False, prompt=None)
        if scan.urls_changed:
            scan.urls_changed = False
            self._set(urls=tuple(scan.urls))
        if self.facts.ready is False:
            if scan.ready_line is not None:
                self._ready(scan.ready_line, now)
            elif self._auto() and scan.urls:
                self._ready(scan.urls[0], now)
        if scan.failed:
            self._given_up(scan.failed)
        if scan.matched:
            self._matches(now)
        if self.dirty or self.cooldown_until is not None:
            self._plan()  # a write, or a cooldown's end, may be due sooner

    def due(self) -> float:
        """When :meth:`tick` next has something to do (monotonic seconds). Worked out after
        each tick and each change, not on each call: the supervisor asks on every turn of its
        loop, thousands of times a second under a firehose. It may come early (output moved
        the quiet period on): the tick then finds nothing to do."""
        return self.due_at

    def _plan(self) -> None:
        times = [self.next_refresh]
        if not self.quiet_checked and self.master >= 0:
            times.append(self.last_output + QUIET)
        if self.cooldown_until is not None:
            times.append(self.cooldown_until)
        if self.dirty:
            times.append(self.last_write + WRITE_GAP)
        if self._probe_every() is not None:
            times.append(self.next_probe)
        self.due_at = min(times)

    def tick(self) -> None:
        """Do what is due: look at the processes, end a cooldown, write what changed."""
        now = time.monotonic()
        if self.cooldown_until is not None and now >= self.cooldown_until:
            self._cooldown_over(now)
        quiet = not self.quiet_checked and now >= self.last_output + QUIET
        probe = self._probe_every()
        if now >= self.next_refresh or quiet:
            self.refresh(now)
        elif probe is not None and now >= self.next_probe:
            self._look_at_ports(self.sampler.sample(measure=False), now)
        if probe is not None and now >= self.next_probe:
            self.next_probe = now + probe
        if self.dirty and now >= self.last_write + WRITE_GAP:
            self.write(now)
        self._plan()

    def final(self) -> Facts:
        """The last facts, for the final record; a job that never became ready says so."""
        facts = self.facts.ended()
        if facts.ready is False and facts.ready_detail is None:
            facts = dataclasses.replace(facts, ready_detail="it ended before it was ready")
        return facts

    # ---- looking -----------------------------------------------------------------------------

    def refresh(self, now: float) -> None:
        """Sample the processes and their ports; see whether the job waits for input."""
        self.next_refresh = now + REFRESH
        self.last_refresh = now
        samples = self.sampler.sample()
        self._set(
            cpu_percent=round(sum(s.cpu_percent for s in samples), 1),
            rss_bytes=sum(s.rss_bytes for s in samples),
            process_count=len(samples),
            processes=tuple(
                ProcessFact(s.pid, s.command, s.cpu_percent, s.rss_bytes)
                for s in samples[:MAX_PROCESSES]
            ),
        )
        self._look_at_ports(samples, now)
        if now >= self.last_output + QUIET:
            self.quiet_checked = True
            waiting = self._reading_terminal(samples)
        else:
            waiting = False
        if waiting != self.facts.waiting_for_input:
            prompt = self.scan.prompt() if waiting else None
            self._set(waiting_for_input=waiting, prompt=prompt)
            if waiting:
                self._event(FactEvent(FactKind.INPUT, prompt or ""))

    def _look_at_ports(self, samples: list[Sample], now: float) -> None:
        holders: dict[int, int] = {}
        for item in samples:
            for inode in socket_inodes(item.pid):
                holders.setdefault(inode, item.pid)
        found = self.ports.look(holders, now)
        ports = tuple(PortFact(port, address, pid) for port, address, pid in found[:MAX_PORTS])
        self._set(ports=ports)
        if self.facts.ready is False and ports and self.condition is not None:
            if self._auto():
                self._ready(self._url_for(ports[0].port) or f"port {ports[0].port}", now)
            elif self.condition.kind is ReadyKind.PORT:
                wanted = self.condition.port or 0
                if any(p.port == wanted for p in ports):
                    self._ready(self._url_for(wanted) or f"port {wanted}", now)

    def _reading_terminal(self, samples: list[Sample]) -> bool:
        if self.master < 0:
            return False
        try:
            foreground = os.tcgetpgrp(self.master)
            canonical = bool(termios.tcgetattr(self.master)[3] & termios.ICANON)
        except (OSError, termios.error):
            return False
        return any(
            item.pgid == foreground
            and item.state == "S"
            and reads_terminal(item.pid, item.tty, canonical)
            for item in samples
        )

    def _probe_every(self) -> float | None:
        """How often to look at the ports while a port condition waits; ``None`` if not."""
        if self.facts.ready is not False or self.condition is None:
            return None
        if self.condition.kind is ReadyKind.PATTERN:
            return None
        age = time.monotonic() - self.started
        if age < PROBE_FAST_FOR:
            return PROBE_FAST
        return PROBE_SLOW if age < PROBE_SLOW_UNTIL else None

    # ---- readiness ---------------------------------------------------------------------------

    def _auto(self) -> bool:
        return self.condition is not None and self.condition.kind is ReadyKind.AUTO

    def _url_for(self, port: int) -> str | None:
        """The newest URL the job printed for ``port``."""
        for url in self.scan.urls:
            if f":{port}/" in url + "/":
                return url
        return None

    def _ready(self, detail: str, now: float) -> None:
        """The job met its condition: look at its processes and ports now (a server that
        printed its URL listens already), record it, tell it."""
        after = round(now - self.started, 3)
        self.scan.ready = None
        self._set(ready=True, ready_after=after, ready_detail=detail)
        if now - self.last_refresh > 0.05:
            self.refresh(now)
        self._event(FactEvent(FactKind.READY, detail, seconds=after))  # written at once

    # ---- watching ----------------------------------------------------------------------------

    def _matches(self, now: float) -> None:
        scan = self.scan
        count, first = scan.matched, scan.first_match
        scan.matched, scan.first_match = 0, None
        self._set(matches=self.facts.matches + count)
        if first is not None and not scan.count_only:
            self._tell(FactEvent(FactKind.MATCH, first, self.request.notify_on or ""))
            count -= 1
            if scan.watch is None:
                return  # that was the last one the cap allows
            scan.count_only = True
            self.cooldown_until = now + self.cooldown
        self.pending += count

    def _cooldown_over(self, now: float) -> None:
        if self.pending and self.scan.watch is not None:
            pattern = self.request.notify_on or ""
            self._tell(FactEvent(FactKind.MATCHES, "", pattern, self.pending, self.cooldown))
            self.pending = 0
            self.cooldown_until = now + self.cooldown if self.scan.watch is not None else None
            return
        self.scan.count_only = False
        self.cooldown_until = None

    def _tell(self, event: FactEvent) -> None:
        """A match event, counted against the cap; the last one allowed stops the watch."""
        self._event(event)
        self.sent += 1
        if self.sent >= CAP:
            total = self.facts.matches
            self._stop_watch(f"after {total} match{'es' if total != 1 else ''}", total)

    def _stop_watch(self, why: str, count: int = 0) -> None:
        self.scan.watch = None
        self.scan.count_only = False
        self.cooldown_until = None
        self.pending = 0
        self._set(watch_stopped=why)
        self._event(FactEvent(FactKind.WATCH_STOPPED, why, self.request.notify_on or "", count))

    def _given_up(self, which: list[str]) -> None:
        why = f"its pattern took too long to match (over {BUDGET:g}s of CPU on one block of output)"
        for what in which:
            if what == "watch":
                self._stop_watch(why)
            elif self.facts.ready is False:
                self._set(ready_detail=f"cannot become ready: {why}")
        which.clear()

    # ---- recording ---------------------------------------------------------------------------

    def _set(self, **changes: object) -> None:
        self.facts = dataclasses.replace(self.facts, **changes)  # type: ignore[arg-type]
        self.dirty = True

    def _event(self, event: FactEvent) -> None:
        """Append an event to ``notices.log``; on a full disk it is lost, not the job.

        ``facts.json`` is written first: whoever is told of the event and then reads the job
        finds the facts it speaks of (one who sees the facts first finds the notice a moment
        later, on its next look)."""
        self.write(time.monotonic())
        try:
            append_event(self.project, self.job.path.name, event.to_dict())
        except OSError as exc:
            _log(f"could not record a {event.kind.value} notice: {exc.strerror}")

    def write(self, now: float) -> None:
        """Rewrite ``facts.json`` if a fact changed enough to tell."""
        self.dirty = False
        self.last_write = now
        key = self.facts.significant()
        if key == self.written:
            return
        facts = dataclasses.replace(self.facts, updated_at=time.time())
        try:
            self.job.write_json_atomic(JobFiles.FACTS, facts.to_dict())
        except OSError as exc:
            if exc.errno not in FULL_DISK:
                raise
            return  # the next change tries again
        self.written = key


def _compile(pattern: str) -> re.Pattern[str] | None:
    """The pattern (checked by the starter; a record edited by hand may hold anything)."""
    try:
        return re.compile(pattern, re.MULTILINE)
    except (re.error, RecursionError, OverflowError) as exc:
        _log(f"ignored the pattern {pattern[:60]!r}: {exc}")
        return None


def _log(message: str) -> None:
    """A line in ``supervisor.log``; never an error of its own."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"bgview supervisor: {message}\n")
        sys.stderr.flush()
