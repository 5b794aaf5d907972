"""Reading a job's output: cursor reads for agents, and peeks that move nothing.

A *read* belongs to a consumer (default ``agent``) and returns only what that consumer has not
seen: complete lines, cleaned (:mod:`bgview.runtime.clean`), optionally filtered, at most
30,000 characters per call. A partial line waits for its newline — or for the job's end, after
which every last byte is delivered. Output that moves the cursor is read through a terminal of
the job's size, whose state is kept beside the consumer's cursor from one read to the next
(:mod:`bgview.runtime.emulation`): its lines are given once final, a full-screen program as its
current screen. A *peek* returns raw bytes by offset and moves no cursor;
the viewer only ever peeks.

Offsets are logical: bytes since the job started, even after the log's size cap dropped the
oldest ones (:mod:`bgview.runtime.logstate`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bgview.runtime import dirtymap
from bgview.runtime.cursor import CursorLock
from bgview.runtime.emulation import Emulation, Saved, job_size, load_saved, store_saved
from bgview.runtime.errors import InvalidRequest
from bgview.runtime.limits import DEFAULT_TAIL, MAX_CHARS, MAX_TAIL
from bgview.runtime.linefilter import count_lines, filter_block, filter_line, select_lines
from bgview.runtime.logblocks import READ_CHUNK, blocks, looked_at, split_lines
from bgview.runtime.logstate import consistent_read
from bgview.runtime.model import Job
from bgview.runtime.patterns import UserPattern, compile_pattern
from bgview.runtime.ptyexec import PTY_COLS, PTY_ROWS
from bgview.runtime.readresult import Output, Peek
from bgview.runtime.store import Project

NOTE_ROOM = 200
"""Characters of a read's budget kept for :meth:`Output.render`'s notes, so the rendered text
with its notes stays within the cap (for caps of at least ten times this; a smaller cap keeps a
tenth, and its notes may pass it)."""


def _cut_line(text: str, budget: int) -> str:
    """The start of a line too long for one read, with a note of how much was left out."""
    body = text.rstrip("\n")
    head = max(0, budget - len(_line_cut_note(len(body))))
    return body[:head] + _line_cut_note(len(body) - head)


def _line_cut_note(cut: int) -> str:
    return f" [… line cut: {cut:,} more characters]\n"


@dataclass
class _Scan:
    text: str
    lines: int
    next_offset: int
    skipped: int
    more: bool
    unread: int
    screen: Saved | None = None
    """The terminal to go on from at ``next_offset`` (:mod:`bgview.runtime.emulation`)."""


class _Parts:
    """A read's text as it is gathered, within its character budget; the sink a terminal
    gives its final lines to (:class:`~bgview.runtime.emulation.Sink`)."""

    def __init__(self, budget: int, keep: UserPattern | None, drop: UserPattern | None) -> None:
        self.pieces: list[str] = []
        self.lines = 0
        self.budget = budget
        self.keep, self.drop = keep, drop

    def add(self, text: str, count: int) -> None:
        self.pieces.append(text)
        self.lines += count
        self.budget -= len(text)

    def _select(self, text: str) -> tuple[str, int]:
        if self.keep is None and self.drop is None:
            return text, count_lines(text)
        return select_lines(text, self.keep, self.drop)

    def offer(self, lines: list[str]) -> int:
        kept, count = self._select("".join(lines))
        if len(kept) <= self.budget:
            self.add(kept, count)
            return len(lines)
        for taken, line in enumerate(lines):
            kept, count = self._select(line)
            if len(kept) > self.budget:
                if not self.lines:  # one line larger than a whole read: give its start
                    self.add(_cut_line(kept, self.budget), 1)
                    return taken + 1
                return taken
            self.add(kept, count)
        return len(lines)

    def show(self, note: str, lines: list[str]) -> bool:
        kept, count = self._select("".join(line + "\n" for line in lines))
        if not count:
            return True
        text = f"{note}\n{kept}"
        if len(text) > self.budget and self.lines:
            return False
        self.add(text if len(text) <= self.budget else _cut_line(text, self.budget), count + 1)
        return True


def scan(
    fd: int,
    dropped: int,
    offset: int,
    final: bool,
    keep: UserPattern | None = None,
    drop: UserPattern | None = None,
    max_chars: int = MAX_CHARS,
    screen: Saved | None = None,
    winsize: Callable[[], tuple[int, int]] = lambda: (PTY_COLS, PTY_ROWS),
    job_dir: Path | None = None,
    read_ahead: bool = True,
) -> _Scan:
    """Read cleaned lines from logical ``offset``; the heart of :func:`read`. ``screen`` is
    the terminal a previous read left (used only if it is for ``offset``); ``winsize`` gives the
    job's terminal size, asked only when output needs it; ``job_dir``, where the log's map of
    regions that need cleaning is (:mod:`~bgview.runtime.dirtymap`). A filtered read reads
    and looks at the log on a second thread (:class:`~bgview.runtime.logblocks.ReadAhead`)
    unless ``read_ahead`` is false: the same blocks, the same answer, only sooner."""
    patterns = [p for p in (keep, drop) if p is not None]
    if patterns:  # the fallback's time bound is per read (not per wait), for both at once
        deadline = time.monotonic() + max(p.budget for p in patterns)
        for pattern in patterns:
            pattern.restart_clock(deadline)
    skipped = max(0, dropped - offset)
    offset = max(offset, dropped)
    # Keep room for the notes render() adds (a cut, dropped bytes) inside the cap.
    max_chars -= NOTE_ROOM if max_chars >= 10 * NOTE_ROOM else max_chars // 10
    size = os.fstat(fd).st_size if fd >= 0 else 0
    # After the size: the map then covers every byte up to it, or it is gone (given up).
    regions = dirtymap.load(job_dir) if job_dir is not None and size else None
    pos = offset - dropped
    if pos > size:
        pos = 0  # the log was truncated or replaced by hand: what is there now is all new
        screen = None
    if screen is not None and screen.offset != pos + dropped:
        screen = None
    emulation = Emulation(fd, screen, winsize)
    parts = _Parts(max_chars, keep, drop)
    more = not emulation.drain(parts)  # lines the last read's cap kept back come first
    if fd >= 0 and pos < size and not more:
        ahead = read_ahead and bool(patterns) and size - pos > READ_CHUNK
        with looked_at(blocks(fd, pos, size, final), ahead) as looked:
            for start, block, end, plain in looked:
                if not plain and regions is not None:
                    plain = regions.plain(start + dropped, len(block))
                cleaned = emulation.classify(block, end, plain)
                if cleaned is True:  # through the terminal
                    fed = emulation.feed(block, end, start, final, parts)
                    pos = start + fed
                    if emulation.term is not None and emulation.term.pending:
                        more = True  # the cap: what did not fit is kept with the terminal
                        break
                    if fed < end:
                        break  # a long line's last rewrite waits for the rest of it
                    continue
                if not emulation.drain(parts):  # a settled terminal's last lines first
                    more = True
                    break
                text, count = filter_block(block, end, keep, drop, cleaned, True if plain else None)
                if len(text) <= parts.budget:
                    parts.add(text, count)
                    pos = start + end
                    emulation.plain_read(block, end, start)
                    continue
                # The block does not fit: take whole lines while they do, and stop before the
                # first that does not, so the next read resumes exactly there.
                more = True
                for raw in split_lines(block[:end]):
                    text, count = filter_line(raw, keep, drop, emulation.size[0])
                    if len(text) > parts.budget:
                        if not parts.lines:  # one line larger than a whole read: give its start
                            parts.add(_cut_line(text, parts.budget), 1)
                            pos += len(raw)
                        break
                    parts.add(text, count)
                    pos += len(raw)
                break
    if not more:
        more = not emulation.finish(final, parts)
    return _Scan(
        "".join(parts.pieces),
        parts.lines,
        pos + dropped,
        skipped,
        more,
        max(0, size - pos),
        emulation.save(pos + dropped),
    )


def read(
    project: Project,
    job_id: str,
    *,
    consumer: str = "agent",
    filter: str | None = None,
    exclude: str | None = None,
    wait: float | None = None,
    max_chars: int = MAX_CHARS,
) -> Output:
    """The consumer's new complete lines since its last read, and move its cursor past them.

    With ``wait``, block up to that many seconds for new output or the job's end.
    """
    keep = compile_pattern(filter, "filter")
    drop = compile_pattern(exclude, "exclude")
    if wait is not None and not (0 <= wait <= 3600):
        raise InvalidRequest(f"wait {wait:g}s is out of range (0 to 3600)")
    deadline = time.monotonic() + (wait or 0.0)
    log_path = project.job_dir(job_id) / "output.log"
    while True:
        with CursorLock(project, job_id, consumer) as cursor:
            offset = cursor.get()
            job = project.load(job_id)  # the status first: if ended, every byte is on disk
            final = job.status.ended
            saved = load_saved(cursor.path)
            result = consistent_read(
                job.dir,
                partial(
                    scan,
                    offset=offset,
                    final=final,
                    keep=keep,
                    drop=drop,
                    max_chars=max_chars,
                    screen=saved,
                    winsize=partial(job_size, job.dir),
                    job_dir=job.dir,
                ),
            )
            # The terminal first: if the cursor's move is lost, lines may be read again,
            # never skipped.
            store_saved(cursor.path, result.screen, saved)
            if result.next_offset != offset:
                cursor.set(result.next_offset)
        if result.lines or result.skipped or final or time.monotonic() >= deadline:
            return Output(
                job,
                result.text,
                result.lines,
                offset,
                result.next_offset,
                result.skipped,
                result.more,
                result.unread,
            )
        _wait_for_change(log_path, job, deadline)


def skip_to(project: Project, job_id: str, offset: int, *, consumer: str = "agent") -> int:
    """Move the consumer's cursor to logical ``offset``: its next read starts there.

    For output the consumer was shown another way (a REPL streamed it live), so that a read
    gives only what came after. An offset past the output's present end stops at the end (a
    cursor beyond it would read as a log replaced by hand, and start over). Returns where the
    cursor now is.
    """
    if offset < 0:
        raise InvalidRequest(f"offset {offset} is out of range (it must be 0 or more)")
    job = project.load(job_id)  # an unknown id is an error, not a new cursor directory

    def end(fd: int, dropped: int) -> int:
        return dropped + (os.fstat(fd).st_size if fd >= 0 else 0)

    with CursorLock(project, job_id, consumer) as cursor:
        offset = min(offset, consistent_read(job.dir, end))
        cursor.set(offset)
    return offset


def _wait_for_change(log_path: os.PathLike[str], job: Job, deadline: float) -> None:
    """Sleep in small steps until the log grows, the job's record changes, or the deadline."""
    meta = job.dir / "result.json"  # appears when the job ends

    def state() -> tuple[int, float]:
        try:
            size = os.stat(log_path).st_size
        except OSError:
            size = -1
        try:
            mtime = os.stat(meta).st_mtime
        except OSError:
            mtime = -1.0
        return size, mtime

    before = state()
    checks = 0
    while time.monotonic() < deadline:
        time.sleep(0.005)
        checks += 1
        if state() != before or checks % 100 == 0:  # every half second, look for a lost job
            return


def peek(
    project: Project, job_id: str, *, tail: int = DEFAULT_TAIL, offset: int | None = None
) -> Peek:
    """The last ``tail`` bytes, or up to ``tail`` bytes from ``offset``; no cursor moves."""
    if not (0 < tail <= MAX_TAIL):
        raise InvalidRequest(f"tail {tail} is out of range (1 to {MAX_TAIL:,} bytes)")
    if offset is not None and offset < 0:
        raise InvalidRequest(f"offset {offset} is out of range (it must be 0 or more)")
    job = project.load(job_id)

    def take(fd: int, dropped: int) -> tuple[bytes, int, int]:
        size = os.fstat(fd).st_size if fd >= 0 else 0
        end = dropped + size
        start = max(end - tail, dropped) if offset is None else min(max(offset, dropped), end)
        stop = min(start + tail, end)
        data = os.pread(fd, stop - start, start - dropped) if fd >= 0 and stop > start else b""
        return data, start, dropped

    data, start, dropped = consistent_read(job.dir, take)
    return Peek(job, data, start, start + len(data), dropped)


def wait_for_pattern(
    project: Project, job_id: str, pattern: str, timeout: float | None
) -> tuple[Job, bool]:
    """Wait until a cleaned line of output matches ``pattern`` (``True``) or the job ends or
    the timeout passes (``False``). Reads from the start of the output; moves no cursor."""
    regex = compile_pattern(pattern, "--for")
    deadline = None if timeout is None else time.monotonic() + timeout
    offset = 0
    screen: Saved | None = None
    job_dir = project.job_dir(job_id)
    winsize = partial(job_size, job_dir)
    while True:
        job = project.load(job_id)
        final = job.status.ended
        found = consistent_read(
            job_dir,
            partial(
                scan,
                offset=offset,
                final=final,
                keep=regex,
                screen=screen,
                winsize=winsize,
                job_dir=job_dir,
            ),
        )
        if found.lines:
            return job, True
        offset, screen = found.next_offset, found.screen
        if found.more:
            continue  # a read's worth of non-matching text: look on at once
        if final:
            return job, False
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return job, False
        _wait_for_change(job_dir / "output.log", job, time.monotonic() + min(remaining or 0.5, 0.5))


__all__ = [
    "MAX_CHARS",
    "READ_CHUNK",
    "Output",
    "Peek",
    "peek",
    "read",
    "scan",
    "select_lines",
    "skip_to",
    "wait_for_pattern",
]
