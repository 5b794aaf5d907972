"""Fast tests of the viewer's pure parts: line rendering, the line index, the words and
colours of a job, the typed events, and the watcher's reading of file-system changes."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bgview.runtime import Runtime
from bgview.runtime.events import EventKind, JobEvent, chip_text, diff
from bgview.runtime.model import Job, JobStatus
from bgview.runtime.present import format_duration as duration
from bgview.runtime.present import sort_key
from bgview.runtime.watch import JobWatcher
from bgview.ui.ansi import MAX_LINE_BYTES, render_line
from bgview.ui.format import status_text, toast_severity, toast_text
from bgview.ui.log_index import LineIndex
from tests.ui.store_builder import StoreBuilder

# ---- one line of terminal output, as a terminal shows it -------------------------------------


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        (b"plain text", "plain text"),  # the fast path: nothing to do
        (b"\x1b[31mred\x1b[0m and not", "red and not"),  # colours are styles, not characters
        (b"50%\r100%", "100%"),  # \r returns to column 0; the rest overwrites
        (b"12345\rab", "ab345"),  # …only as far as it writes, like a terminal
        (b"old text\r\x1b[Knew", "new"),  # erase to end of line after \r
        (b"abc\x1b[2Kx", "   x"),  # erase the whole line, the cursor stays
        (b"abcdef\rab\x1b[1Kx", "  xdef"),  # erase to the start, the cursor's column included
        (b"a\x1b[2Jb\x1b[10;3Hc", "abc"),  # screen clears and cursor moves never get through
        (b"\x1b]0;title\x07shown", "shown"),  # a window title is not output
        (b"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),  # hyperlinks: keep the text
        (b"bell\x07 and \x1b(B charset", "bell and  charset"),  # other controls vanish
        (b"ab\x08c", "ac"),  # backspace steps left
        (b"tab\there", "tab     here"),  # tabs to 8 columns
        (b"line\r", "line"),  # CRLF's CR is not an overwrite
        (b"caf\xc3\xa9 \xff", "café �"),  # invalid UTF-8 is replaced, not fatal
    ],
)
def test_render_line(raw: bytes, plain: str) -> None:
    assert render_line(raw).plain == plain


def test_render_line_keeps_colour_across_carriage_returns() -> None:
    """A coloured progress bar redrawn with \\r keeps its colour in its final state."""
    text = render_line(b"\x1b[32m[##  ] 50%\r[####] 100%\x1b[0m done")
    assert text.plain == "[####] 100% done"
    styles = {str(span.style) for span in text.spans if span.start == 0}
    assert any("color(2)" in s or "green" in s for s in styles)


def test_render_line_cuts_a_huge_line() -> None:
    text = render_line(b"x" * (MAX_LINE_BYTES * 4))
    assert text.plain.startswith("x" * 100)
    assert text.plain.endswith("… (line cut)")
    assert len(text.plain) < MAX_LINE_BYTES + 20


# ---- the line index ---------------------------------------------------------------------------


def test_line_index_feeds_partial_lines_and_drops_the_front() -> None:
    index = LineIndex(100)
    assert index.feed(b"one\ntw") == 2
    assert index.partial
    assert index.feed(b"o\nthree\n") == 1  # "two" completed, "three" added
    assert [index.span(n) for n in range(len(index))] == [(100, 104), (104, 108), (108, 114)]
    index.drop_front(2)
    assert (index.first, index.base, len(index)) == (2, 108, 1)
    assert index.span(2) == (108, 114)
    with pytest.raises(IndexError):
        index.span(0)


def test_line_index_prepends_earlier_output() -> None:
    index = LineIndex(10, first=5)
    index.feed(b"xx\nyy\n")
    assert index.prepend(4, b"12\n45\n") == 2
    assert index.first == 3
    assert [index.span(n) for n in range(3, 7)] == [(4, 7), (7, 10), (10, 13), (13, 16)]


def test_line_index_stays_within_its_budget() -> None:
    index = LineIndex()
    index.feed(b"x" * 99 + b"\n")
    assert index.over_budget() == 0
    line = b"y" * 1023 + b"\n"
    index.feed(line * 40_000)  # 40 MB: past the window
    drop = index.over_budget()
    index.drop_front(drop)
    assert index.size <= 17 * 1024 * 1024
    assert index.span(index.last - 1)[1] == index.end


# ---- a job in words ---------------------------------------------------------------------------

JOB = Job(
    id="bash_3",
    project="/p",
    command="make",
    argv=("bash", "-c", "make"),
    cwd="/p",
    status=JobStatus.EXITED,
    exit_code=0,
    started_at=1000.0,
    ended_at=1012.4,
    output_bytes=1_468_006,
)


@pytest.mark.parametrize(
    ("changes", "toast", "severity", "status"),
    [
        ({}, "bash_3 exited 0 · 1.4MB · 12s", "information", "✓ exited"),
        ({"exit_code": 2}, "bash_3 exited 2 · 1.4MB · 12s", "error", "✗ exited"),
        (
            {"status": JobStatus.KILLED, "signal": "SIGTERM", "exit_code": None},
            "bash_3 killed (SIGTERM) · 1.4MB · 12s",
            "warning",
            "✗ killed",
        ),
        ({"status": JobStatus.TIMEOUT}, "bash_3 timed out · 1.4MB · 12s", "warning", "◷ timeout"),
        (
            {"status": JobStatus.FAILED, "reason": "command not found: nmp"},
            "bash_3 failed: command not found: nmp",
            "error",
            "✗ failed",
        ),
        (
            {"output_bytes": 812, "ended_at": 1001.5},
            "bash_3 exited 0 · 812B · 1.5s",
            "information",
            "✓ exited",
        ),
    ],
)
def test_job_in_words(changes: dict[str, object], toast: str, severity: str, status: str) -> None:
    job = replace(JOB, **changes)  # type: ignore[arg-type]
    assert toast_text(job) == toast
    assert toast_severity(job) == severity
    assert status_text(job).plain == status  # readable without colour


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.42, "0.4s"), (12.7, "12s"), (185.5, "3m05s"), (8040, "2h14m")],
)
def test_duration(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_running_jobs_sort_first_then_newest() -> None:
    old_running = replace(JOB, id="bash_1", status=JobStatus.RUNNING, started_at=1.0)
    new_ended = replace(JOB, id="bash_9", started_at=50.0)
    old_ended = replace(JOB, id="bash_2", started_at=2.0)
    new_running = replace(JOB, id="bash_8", status=JobStatus.RUNNING, started_at=40.0)
    jobs = sorted([old_running, new_ended, old_ended, new_running], key=sort_key)
    assert [j.id for j in jobs] == ["bash_8", "bash_1", "bash_9", "bash_2"]


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "⚙ 0 Background Jobs"), (1, "⚙ 1 Background Job"), (12, "⚙ 12 Background Jobs")],
)
def test_chip_text(n: int, text: str) -> None:
    assert chip_text(n) == text


def test_chip_text_needs_no_textual() -> None:
    """The REPL's toolbar imports the chip without paying for Textual."""
    import subprocess
    import sys

    code = "import sys, bgview.runtime.events; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- events -----------------------------------------------------------------------------------

RUNNING = replace(JOB, status=JobStatus.RUNNING, exit_code=None, ended_at=None)


@pytest.mark.parametrize(
    ("old", "new", "kinds"),
    [
        (None, RUNNING, [EventKind.STARTED]),  # a new job
        (None, JOB, [EventKind.STARTED, EventKind.ENDED]),  # over before we looked: still a toast
        (RUNNING, JOB, [EventKind.ENDED]),
        (RUNNING, replace(RUNNING, pid=7), [EventKind.CHANGED]),
        (RUNNING, RUNNING, []),  # nothing new, nothing said
        (JOB, None, [EventKind.REMOVED]),
        (None, None, []),
    ],
)
def test_diff(old: Job | None, new: Job | None, kinds: list[EventKind]) -> None:
    events = diff(old, new, Path("/s/jobs/bash_3"))
    assert [e.kind for e in events] == kinds
    assert all(isinstance(e, JobEvent) and e.job_id == "bash_3" for e in events)


# ---- the watcher ------------------------------------------------------------------------------


def test_watcher_classifies_paths(home: Path, tmp_path: Path) -> None:
    """Record changes re-read the job; log changes are output; cursors and strangers are not."""
    store = StoreBuilder(home, tmp_path / "proj")
    job_dir = store.add("make", b"hi\n", status="running")
    try:
        watcher = JobWatcher(store.project)
        assert [j.id for j in watcher.scan()] == ["bash_1"]
        assert watcher.classify([str(job_dir / "cursors" / "agent"), str(tmp_path)]) == []
        with open(job_dir / "output.log", "ab") as log:
            log.write(b"more\n")
        (output,) = watcher.classify([str(job_dir / "output.log")])
        assert (output.kind, output.size) == (EventKind.OUTPUT, 8)
        store.close()  # the "supervisor" dies without a word: reading the job records it lost
        ended, grown = watcher.classify([str(job_dir / "meta.json")])
        assert (ended.kind, grown.kind, grown.size) == (EventKind.ENDED, EventKind.OUTPUT, 8)
        assert ended.job is not None and ended.job.status is JobStatus.LOST
    finally:
        store.close()


def test_watcher_rescan_reports_what_changed_unseen(home: Path, tmp_path: Path) -> None:
    """A job that appeared (or went) between the first scan and the watch is reported once."""
    store = StoreBuilder(home, tmp_path / "proj")
    try:
        first = store.add("make", b"", status="exited", exit_code=0)
        watcher = JobWatcher(store.project)
        watcher.scan()
        store.add("make test", b"", status="running")
        shutil.rmtree(first)
        kinds = sorted((e.job_id, e.kind.value) for e in watcher.rescan())
        assert kinds == [("bash_1", "removed"), ("bash_2", "started")]
        assert watcher.rescan() == []
    finally:
        store.close()


def test_watcher_reports_a_real_job_from_start_to_end(rt: Runtime) -> None:
    """Started, output, ended: what the viewer hears of a real job, through watchfiles."""
    watcher = JobWatcher(rt.project)
    watcher.scan()
    stop = threading.Event()
    seen: list[JobEvent] = []
    done = threading.Event()

    def listen() -> None:
        for events in watcher.watch(stop):
            seen.extend(events)
            if any(e.kind is EventKind.ENDED and e.job_id != "bash_1" for e in events):
                done.set()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    try:
        # Ready when it hears something: type into a job until its echo is reported.
        echo = rt.start("cat")
        deadline = time.monotonic() + 10
        while not any(e.job_id == echo.id and e.kind is EventKind.OUTPUT for e in list(seen)):
            assert time.monotonic() < deadline, "the watcher never reported anything"
            rt.write_stdin(echo.id, "ping\n")
            done.wait(0.05)
        job = rt.start("echo one; sleep 0.2; echo two")
        assert done.wait(10), [e.kind for e in seen]
    finally:
        stop.set()
        thread.join(5)
    kinds = [e.kind for e in seen if e.job_id == job.id]
    assert kinds[0] is EventKind.STARTED
    assert EventKind.OUTPUT in kinds
    assert kinds.count(EventKind.ENDED) == 1
    final = next(e for e in seen if e.kind is EventKind.ENDED and e.job_id == job.id)
    assert final.job is not None and final.job.exit_code == 0


@pytest.mark.parametrize(
    ("query", "toast"),
    [
        # a regex that found nothing
        ("ERR(OR)?", "no match for 'ERR(OR)?'"),
        # not a regex at all: searched as plain text, and the toast says so
        ("([", "no match for '([' (not a valid regex: searched as plain text)"),
    ],
)
def test_no_match_toast_says_how_the_query_was_read(query: str, toast: str) -> None:
    from bgview.ui.log_panel import compile_query, no_match_text

    assert compile_query("([").search("a ([ b")  # taken literally, it still finds the text
    assert no_match_text(query) == toast


# ---- the feed, handed to Textual ----------------------------------------------------------------


class _Pump:
    """Stands in for a screen: records what is posted to it."""

    def __init__(self) -> None:
        self.posted: list[object] = []

    def post_message(self, message: object) -> bool:
        self.posted.append(message)
        return True


class _Feed:
    """Stands in for a JobFeed: hands its listener to the test."""

    def __init__(self, jobs: list[Job]) -> None:
        self.listener: Callable[[list[JobEvent]], None] | None = None
        self._jobs = jobs
        self.loaded = threading.Event()

    def subscribe(self, listener: Callable[[list[JobEvent]], None]) -> Callable[[], None]:
        self.listener = listener
        return lambda: None

    def jobs(self) -> list[Job]:
        return self._jobs


def _event(kind: EventKind, job: Job, size: int = 0) -> JobEvent:
    return JobEvent(kind, job.dir, job, size)


def test_feed_link_keeps_one_message_in_flight() -> None:
    """Batches that arrive while a message waits join it (output merged per job); once it is
    taken, the next batch is a new message; the running count rides along."""
    from bgview.ui.live import FeedLink
    from bgview.ui.messages import JobsChanged

    a = replace(RUNNING, id="bash_1", dir=Path("/s/jobs/bash_1"))
    b = replace(RUNNING, id="bash_2", dir=Path("/s/jobs/bash_2"))
    feed, pump = _Feed([a]), _Pump()
    link = FeedLink(feed, pump)  # type: ignore[arg-type]
    assert link.open() == [a]
    assert feed.listener is not None
    feed.listener([_event(EventKind.OUTPUT, a, 10)])
    feed.listener([_event(EventKind.STARTED, b), _event(EventKind.OUTPUT, a, 20)])
    feed.listener([_event(EventKind.OUTPUT, a, 30)])
    (message,) = pump.posted
    assert isinstance(message, JobsChanged) and message.running == 2
    events = link.take(message)
    assert [(e.kind, e.job_id, e.size) for e in events] == [
        (EventKind.STARTED, "bash_2", 0),
        (EventKind.OUTPUT, "bash_1", 30),  # only the last size of a's output
    ]
    assert link.running == 2
    feed.listener([_event(EventKind.ENDED, replace(a, status=JobStatus.EXITED, exit_code=0))])
    assert len(pump.posted) == 2
    second = pump.posted[1]
    assert isinstance(second, JobsChanged)
    assert [e.kind for e in link.take(second)] == [EventKind.ENDED]
    assert link.running == 1


def test_feed_link_for_one_job_still_counts_them_all() -> None:
    """A job's own screen hears of its job only, but of every start and end for its chip."""
    from bgview.ui.live import FeedLink
    from bgview.ui.messages import JobsChanged

    mine = replace(RUNNING, id="bash_1", dir=Path("/s/jobs/bash_1"))
    other = replace(RUNNING, id="bash_2", dir=Path("/s/jobs/bash_2"))
    feed, pump = _Feed([mine, other]), _Pump()
    link = FeedLink(feed, pump, only=mine.dir)  # type: ignore[arg-type]
    assert link.open() == [mine] and link.running == 2
    assert feed.listener is not None
    feed.listener([_event(EventKind.OUTPUT, other, 5)])
    assert pump.posted == []  # not ours, and the count is the same: nothing to say
    feed.listener([_event(EventKind.ENDED, replace(other, status=JobStatus.KILLED))])
    (message,) = pump.posted
    assert isinstance(message, JobsChanged)
    assert link.take(message) == [] and link.running == 1
