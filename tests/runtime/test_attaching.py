"""The job's side of an attachment (:class:`~bgview.runtime.attaching.Attachment`), with real
jobs in real ptys: while watched it holds the log open and reads it only when inotify says it
changed, so these check what that must never cost — a byte handed over twice or not at all,
across the log's trims, and the output of a job whose log did not exist yet."""

from __future__ import annotations

import re
import sys
import time

import pytest

from bgview.runtime import Runtime
from bgview.runtime.attaching import Attachment

PY = sys.executable
ANSWER = """
import sys
for i in range(120):
    sys.stdin.readline()
    print(f"{i:04d}" + "x" * 1500, flush=True)
"""
"""A line of 1.5 KB for each Enter typed: the log's 64 KiB cap is crossed every ~40 lines."""


def _follow(attachment: Attachment, until: bytes, got: bytes = b"", timeout: float = 10.0) -> bytes:
    """``got`` and what the attachment hands over, until ``until`` is in them."""
    deadline = time.monotonic() + timeout
    while until not in got:
        assert time.monotonic() < deadline, f"never saw {until!r}; the end: {got[-200:]!r}"
        attachment.wait(0.5)
        while data := attachment.output():
            got += data
    return got


def test_every_line_is_handed_over_once_in_order_across_the_logs_trims(rt: Runtime) -> None:
    job = rt.start([PY, "-c", ANSWER], max_log=64 * 1024)
    with Attachment(rt.project, job.id) as attachment:
        assert attachment.watched
        attachment.seed()
        got = b""
        for i in range(120):
            attachment.keys(b"\r")
            got = _follow(attachment, f"{i:04d}".encode(), got)
        got = _follow(attachment, b"0119" + b"x" * 1500 + b"\n", got)
    numbers = [int(n) for n in re.findall(rb"^(\d{4})x{1500}$", got, re.MULTILINE)]
    assert numbers == list(range(120))
    assert len(got) == rt.job(job.id).output_bytes  # each byte once (the pty adds no \r)
    assert rt.job(job.id).dropped_bytes > 64 * 1024  # the log was trimmed while attached


def test_output_of_a_job_that_prints_only_when_typed_to_is_handed_over(rt: Runtime) -> None:
    job = rt.start('read -r line; echo "got [$line]"; read -r again')
    with Attachment(rt.project, job.id) as attachment:
        attachment.seed()
        assert attachment.output() == b""  # nothing new: no look at the log needed
        attachment.keys(b"hello\r")
        got = _follow(attachment, b"got [hello]")
    assert got.startswith(b"hello")  # the echo first, once
    assert got.count(b"hello") == 2


CURSES = """
import curses

def main(scr):
    curses.halfdelay(1)
    def show():
        scr.erase()
        scr.addstr(0, 0, f"size {curses.COLS}x{curses.LINES}")
        scr.refresh()
    show()
    while True:
        if scr.getch() == curses.KEY_RESIZE:
            curses.update_lines_cols()
            show()

curses.wrapper(main)
"""
"""A full-screen program that draws its size, and draws it again when the terminal's changes."""


def test_a_curses_program_follows_the_size_an_attachment_gives_it(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # stale ones from whoever started it are not passed on
    monkeypatch.setenv("LINES", "24")
    job = rt.start([PY, "-c", CURSES], size=(80, 24))
    with Attachment(rt.project, job.id) as attachment:
        got = _follow(attachment, b"size 80x24", attachment.seed())
        attachment.resize(100, 30)  # htop, vim: curses takes the pty's size, not the env's
        _follow(attachment, b"size 100x30", got)
    rt.kill(job.id, grace=0.5)
