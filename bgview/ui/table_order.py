"""The job table's rows in order: every job by its row key, sorted as ``bgview list`` sorts,
the widest cell of each column, and the changes held back for the next tick.

Plain Python, apart from the widget that draws it (:mod:`bgview.ui.job_table`): a sorted list
of ``(sort_key, row key)`` kept in step by binary search, so a job starting or ending moves one
row instead of sorting the table again, and a row's place is found without a scan. Row keys
are the jobs' directories (ids repeat across projects under ``--all``).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from dataclasses import replace

from bgview.runtime.model import Job
from bgview.runtime.present import sort_key
from bgview.ui.format import Clock
from bgview.ui.table_layout import header_widths, widths_of

RowKey = tuple[tuple[int, float, int], str]
"""A row's place: the job's sort key, then its directory (unique)."""


class JobOrder:
    """Jobs by row key, and the order of their rows."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        """Row key (the job's directory) -> the latest snapshot."""
        self._order: list[RowKey] = []
        self.natural = header_widths()
        """The widest cell of each fixed column so far."""
        self.unmeasured: list[Job] = []
        """Jobs of the first look not measured yet (see :meth:`load`)."""
        self.waiting: set[str] = set()
        """Row keys of the jobs waiting for input."""
        self._sizes: dict[str, int] = {}
        self._facts: dict[str, Job] = {}

    def __len__(self) -> int:
        return len(self._order)

    def load(self, jobs: Iterable[Job], clock: Clock, measured: int) -> None:
        """Every job at once (the first look at the store): one sort. The first ``measured``
        rows are measured now, the others are left in :attr:`unmeasured`."""
        for job in jobs:
            self.jobs[str(job.dir)] = job
        self._order = sorted((sort_key(job), key) for key, job in self.jobs.items())
        self.natural = header_widths()
        for key in self.rows(0, measured):
            self.measure(self.jobs[key], clock)
        self.unmeasured = [self.jobs[key] for key in self.rows(measured)]
        self.waiting = {key for key, job in self.jobs.items() if waits(job)}

    def note_waiting(self, key: str, job: Job | None) -> int:
        """Whether the job under ``key`` (``None``: gone) waits for input; how many do."""
        if job is not None and waits(job):
            self.waiting.add(key)
        else:
            self.waiting.discard(key)
        return len(self.waiting)

    def measure(self, job: Job, clock: Clock) -> bool:
        """Take ``job``'s cells into the columns' widths; whether a column grew."""
        grown = False
        natural = self.natural
        for column, width in widths_of(job, clock).items():
            if width > natural[column]:
                natural[column] = width
                grown = True
        return grown

    def measure_some(self, count: int, clock: Clock) -> bool:
        """Measure ``count`` more of :attr:`unmeasured`; whether a column grew."""
        step, self.unmeasured = self.unmeasured[:count], self.unmeasured[count:]
        grown = False
        for job in step:
            if self.jobs.get(str(job.dir)) is job:  # not replaced meanwhile (then measured)
                grown = self.measure(job, clock) or grown
        return grown

    # ---- changes held for the next tick -------------------------------------------------

    def hold_size(self, key: str, size: int) -> None:
        self._sizes[key] = size

    def hold_facts(self, job: Job) -> None:
        self._facts[str(job.dir)] = job

    def held(self, key: str) -> int | None:
        """Forget what was held for ``key`` (its record came whole); the size held, if any."""
        self._facts.pop(key, None)
        return self._sizes.pop(key, None)

    def apply_held(self) -> set[str]:
        """Put in the sizes and facts held since the last tick; the keys of their rows."""
        facts, self._facts = self._facts, {}
        sizes, self._sizes = self._sizes, {}
        for key, job in facts.items():
            if key in self.jobs:
                self.jobs[key] = job
        for key, size in sizes.items():
            old = self.jobs.get(key)
            if old is not None and old.output_bytes != size:
                self.jobs[key] = replace(old, output_bytes=size)
        return {key for key in facts.keys() | sizes.keys() if key in self.jobs}

    def key_at(self, row: int) -> str:
        return self._order[row][1]

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[str]:
        """Row keys from row ``start`` on, in order."""
        for _, key in self._order[start:stop]:
            yield key

    def row_of(self, key: str) -> int | None:
        job = self.jobs.get(key)
        if job is None:
            return None
        return bisect_left(self._order, (sort_key(job), key))

    def put(self, job: Job) -> bool:
        """Add or replace the job; whether rows came or moved (else only its row changed)."""
        key = str(job.dir)
        old = self.jobs.get(key)
        self.jobs[key] = job
        if old is None:
            insort(self._order, (sort_key(job), key))
            return True
        if sort_key(old) != sort_key(job):
            del self._order[bisect_left(self._order, (sort_key(old), key))]
            insort(self._order, (sort_key(job), key))
            return True
        return False

    def pop(self, key: str) -> Job | None:
        self.held(key)
        job = self.jobs.pop(key, None)
        if job is not None:
            del self._order[bisect_left(self._order, (sort_key(job), key))]
        return job


def waits(job: Job) -> bool:
    """Whether ``job`` runs and waits for input (its row stands out)."""
    return job.running and job.facts.waiting_for_input


def facts_only(old: Job, new: Job) -> bool:
    """Whether ``new`` differs from ``old`` in its facts alone."""
    return old.facts != new.facts and replace(new, facts=old.facts) == old
