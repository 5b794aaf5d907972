"""The runtime's pty size (added for the shell): set at start, changed while running."""

from __future__ import annotations

import time

import pytest

from bgview.runtime import InvalidRequest, Runtime


def test_a_job_starts_with_the_size_it_was_given(rt: Runtime) -> None:
    # Its pty's size, and no COLUMNS or LINES (as in a tmux pane): curses would take them
    # over the pty's and never follow a resize.
    job = rt.start(["sh", "-c", "stty size; printenv COLUMNS LINES || echo unset"], size=(77, 11))
    done, ended = rt.wait(job.id, timeout=10)
    assert ended
    assert done.log_path.read_text().split() == ["11", "77", "unset"]


def test_the_default_size_is_unchanged(rt: Runtime) -> None:
    job = rt.start("stty size")
    done, _ = rt.wait(job.id, timeout=10)
    assert done.log_path.read_text().split() == ["40", "120"]


def test_resize_reaches_a_running_job_as_sigwinch(rt: Runtime) -> None:
    job = rt.start(
        "trap 'stty size; exit 0' WINCH; echo ready; while :; do sleep 0.02; done", size=(80, 24)
    )
    rt.wait(job.id, timeout=10, pattern="ready")
    rt.resize(job.id, 132, 50)
    done, ended = rt.wait(job.id, timeout=10)
    assert ended and done.exit_code == 0
    assert done.log_path.read_text().split()[-2:] == ["50", "132"]


@pytest.mark.parametrize("size", [(0, 10), (10, 0), (10_001, 10), (-1, -1)])
def test_impossible_sizes_are_refused(rt: Runtime, size: tuple[int, int]) -> None:
    with pytest.raises(InvalidRequest, match="out of range"):
        rt.start("true", size=size)


def test_resizing_an_ended_job_does_nothing(rt: Runtime) -> None:
    job = rt.start("true")
    rt.wait(job.id, timeout=10)
    started = time.monotonic()
    rt.resize(job.id, 100, 30)
    assert time.monotonic() - started < 1
