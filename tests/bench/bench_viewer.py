"""The viewer's speed budgets, measured in a real terminal (a pty, or tmux) beside its peers.

- tail latency: a line appended to a job's log, until it is on the screen of a tmux pane — the
  viewer, ``tail -f`` (the floor) and Toolong on the same file, each in its own pane, the same
  harness (:mod:`tests.bench.tmuxpane`) and the same run;
- a 1 GiB log: from process start until its last line is on screen, and the peak RSS — the
  viewer and Toolong;
- firehose: a job writing as fast as it can for 10 s while the viewer follows it: how long a
  key press (``/`` opening the search line) takes to show, and the RSS;
- 10,000 finished jobs in the store (the store bench's builder): process start to the first
  frame, and to the first frame with the newest job on it;
- idle CPU (% of one core over 30 s): the viewer with three running jobs that print nothing,
  and with one job printing a line a second, next to a bare Textual app in the same run.

``python -m tests.bench.bench_viewer idle tail`` runs only the parts named (``tail``,
``biglog``, ``firehose``, ``many``, ``idle``).

Toolong runs from its own venv in ``.bench/toolong`` (it pins an old Textual); it is installed
there on first use. Everything the bench writes lives in ``.bench/`` and is deleted after.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bgview.runtime import Runtime
from bgview.runtime.store import Project
from tests.bench import bench_store
from tests.bench.tmuxpane import TmuxPane
from tests.bench.viewer_kit import (
    TOOLONG,
    chosen_parts,
    cpu_seconds,
    env_for,
    fake_job,
    peer,
    percentile,
    scratch,
    toolong_available,
    viewer,
)
from tests.ui.ptyterm import PtyTerm

SAMPLES = 150
JOBS = 10_000
"""Finished jobs in the store for the first-frame figures."""
GIB = 1024**3
IDLE_SECONDS = 30.0
"""How long idle CPU is measured for (after :data:`SETTLE`)."""
SETTLE = 3.0
"""Seconds left to a program after its first frame before its CPU is counted."""
BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("BARE-TEXTUAL-READY")

Bare().run()
"""
"""The floor for idle CPU: a Textual app that shows one line and does nothing."""


def tail_latency(pane: TmuxPane, log: Path, ready: str) -> list[float]:
    """Milliseconds from appending a line to the log until it is on the pane's screen."""
    if pane.seen(ready, 30) is None:
        raise RuntimeError(f"{ready!r} never showed")
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    latencies = []
    try:
        for i in range(SAMPLES):
            marker = f"MARK{i:06d}x"
            start = time.perf_counter()
            os.write(fd, f"{marker} a line a job wrote\n".encode())
            seen = pane.seen(marker, 3.0)
            if seen is not None:
                latencies.append(max(0.0, seen - start) * 1000)
            time.sleep(random.uniform(0.03, 0.09))  # pacing, out of phase with any poll
    finally:
        os.close(fd)
    return latencies


def bench_tail(rows: list[tuple[str, ...]], have_toolong: bool) -> None:
    with scratch("tail") as base:
        home, project_path = base / "home", base / "proj"
        project_path.mkdir()
        project = Project.open(project_path, root=home).ensure()
        job_dir = fake_job(project, 1, running=True, log=b"READY-TO-TAIL\n")
        log = job_dir / "output.log"
        results: dict[str, list[float]] = {}
        ours = [sys.executable, "-m", "bgview", "--project", str(project_path)]
        env = dict(os.environ)
        tools: list[tuple[str, Callable[[], TmuxPane], str]] = [
            ("bgview", lambda: TmuxPane(ours, env=env_for(home), cwd=project_path), "q"),
            ("tail -f", lambda: TmuxPane(["tail", "-f", str(log)], env=env, cwd=base), "C-c"),
        ]
        if have_toolong:
            theirs = [str(TOOLONG), str(log)]
            tools.append(("Toolong", lambda: TmuxPane(theirs, env=env, cwd=base), "C-q"))
        for number, (name, start, quit_keys) in enumerate(tools):
            ready = f"READY-TO-TAIL-{number}"  # each tool opens at the tail: a fresh last line
            with open(log, "a") as handle:
                handle.write(ready + "\n")
            pane = start()
            try:
                results[name] = tail_latency(pane, log, ready)
            finally:
                pane.close(quit_keys)
    mine_all, floor = results["bgview"], results["tail -f"]
    theirs_all = results.get("Toolong")
    for p, budget in ((50, 1.5), (99, 2.0)):
        mine, tails = percentile(mine_all, p), percentile(floor, p)
        peer_text = "Toolong n/a"
        if theirs_all:
            peer_text = f"Toolong {percentile(theirs_all, p):.1f} ms"
        rows.append(
            (
                f"tail latency p{p} (tmux)",
                f"{mine:.1f} ms = {mine / max(tails, 1e-3):.1f}× tail -f",
                f"≤ {budget}× tail -f",
                f"tail -f {tails:.2f} ms",
                peer_text,
            )
        )
    missed = SAMPLES - len(mine_all)
    if missed:
        rows.append(("tail lines never shown", str(missed), "0", "", ""))


def write_big_log(path: Path, size: int) -> None:
    """``size`` bytes of realistic lines (one block written over and over), then a last line."""
    line = b"2026-11-21T00:00:00.000Z INFO worker-7 request handled path=/api/items status=200\n"
    block = line * ((1 << 20) // len(line))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        written = 0
        while written < size:
            written += os.write(fd, block)
        os.write(fd, b"THE-LAST-LINE of a gigabyte\n")
    finally:
        os.close(fd)


def open_big(term: PtyTerm, timeout: float) -> tuple[float | None, float]:
    """Seconds from process start until the last line is on screen, and the peak RSS (MB)."""
    seen = term.seen("THE-LAST-LINE", timeout)
    time.sleep(0.5)  # let it settle: memory taken just after the first frame counts too
    _, peak = term.rss_mb()
    return (None if seen is None else seen - term.started), peak


def bench_big_log(rows: list[tuple[str, ...]], have_toolong: bool) -> None:
    with scratch("biglog") as base:
        home, project_path = base / "home", base / "proj"
        project_path.mkdir()
        project = Project.open(project_path, root=home).ensure()
        job_dir = fake_job(project, 1, running=False)
        write_big_log(job_dir / "output.log", GIB)
        term = viewer(home, project_path, "THE-LAST-LINE")
        try:
            ours, our_rss = open_big(term, 30)
        finally:
            term.close("q")
        theirs, their_rss = None, 0.0
        if have_toolong:
            term = peer([str(TOOLONG), str(job_dir / "output.log")], base, "THE-LAST-LINE")
            try:
                theirs, their_rss = open_big(term, 45)
            finally:
                term.close("\x11")
    shown = f"{ours:.2f} s" if ours is not None else "never"
    compared = (
        f"Toolong {theirs:.1f} s ({theirs / ours:.0f}× slower)"
        if theirs is not None and ours
        else ("Toolong > 45 s" if have_toolong else "Toolong n/a")
    )
    rows.append(("1 GiB log: last line on screen", shown, "≤ 1.5 s", "", compared))
    peer_rss = f"Toolong {their_rss:.0f} MB ({their_rss / our_rss:.0f}×)" if their_rss else ""
    rows.append(("1 GiB log: peak RSS", f"{our_rss:.0f} MB", "≤ 120 MB", "", peer_rss))


def bench_firehose(rows: list[tuple[str, ...]]) -> None:
    """Keys that move between a finished job and the firehose, each answered when the log
    bar names the job the cursor moved to (the bar is drawn only when what it says changes)."""
    with scratch("firehose") as base:
        home, project_path = base / "home", base / "proj"
        project_path.mkdir()
        rt = Runtime(project_path, home=home)
        done = rt.start("echo a finished job")
        rt.wait(done.id, timeout=10)
        job = rt.start("yes 'firehose 0123456789 abcdefghijklmnopqrstuvwxyz'", max_log=64 << 20)
        term = viewer(home, project_path, "firehose 0123456789")
        latencies: list[float] = []
        peak_rss = 0.0
        try:
            if term.seen("firehose 0123456789", 20) is None:
                raise RuntimeError("the viewer never showed the firehose")
            end = time.perf_counter() + 10
            while time.perf_counter() < end:
                for key, shows in (("\x1b[B", f"{done.id} · "), ("\x1b[A", f"{job.id} · ")):
                    term.expect(shows)
                    pressed = time.perf_counter()
                    term.send(key)  # down to the finished job, up to the firehose
                    seen = term.seen(shows, 2.0)
                    latencies.append((seen - pressed) * 1000 if seen is not None else 2000.0)
                    time.sleep(random.uniform(0.1, 0.2))
                    peak_rss = max(peak_rss, term.rss_mb()[0])
            written = rt.job(job.id).output_bytes
        finally:
            rt.kill(job.id, grace=0.5)
            term.close("q")
    rate = written / 1e6 / 10
    rows.append(
        (
            "firehose: key answered p99",
            f"{percentile(latencies, 99):.0f} ms",
            "≤ 200 ms",
            f"p50 {percentile(latencies, 50):.0f} ms, {len(latencies)} keys",
            f"job wrote ~{rate:.0f} MB/s",
        )
    )
    rows.append(("firehose: RSS (max)", f"{peak_rss:.0f} MB", "≤ 150 MB", "", ""))


def bench_many_jobs(rows: list[tuple[str, ...]]) -> None:
    """The first frame ("loading jobs"), and the first with the newest job on it, for a store
    of :data:`JOBS` finished jobs written as the store bench writes them."""
    with scratch("many") as base:
        home, project_path = base / "home", base / "proj"
        project_path.mkdir()
        rt = Runtime(project_path, home=home)
        bench_store.fill(rt, JOBS)
        newest = rt.project.job_ids()[-1]
        firsts, newests = [], []
        for _ in range(3):
            argv = [sys.executable, "-m", "bgview", "--project", str(project_path)]
            term = PtyTerm(argv, env=env_for(home), cwd=project_path, expect=("loading", newest))
            try:
                seen = term.seen(newest, 20)
                first = term.seen("loading", 0.1) or seen
                newests.append((seen - term.started) if seen is not None else float("inf"))
                firsts.append((first - term.started) if first is not None else float("inf"))
            finally:
                term.close("q")
    for what, times in (("first frame", firsts), ("newest job on screen", newests)):
        rows.append(
            (
                f"{JOBS:,} jobs: {what}",
                f"{statistics.median(times):.2f} s",
                "≤ 1 s",
                f"median of {len(times)} ({min(times):.2f}–{max(times):.2f} s)",
                "",
            )
        )


def idle_percent(term: PtyTerm, ready: str) -> float:
    """% of one core ``term``'s program uses over :data:`IDLE_SECONDS`, once it showed
    ``ready`` and had :data:`SETTLE` seconds to settle."""
    if term.seen(ready, 30) is None:
        raise RuntimeError(f"{ready!r} never showed")
    time.sleep(SETTLE)
    cpu, wall = cpu_seconds(term.proc.pid), time.perf_counter()
    time.sleep(IDLE_SECONDS)
    return (cpu_seconds(term.proc.pid) - cpu) / (time.perf_counter() - wall) * 100


def bench_idle(rows: list[tuple[str, ...]]) -> None:
    """What the viewer costs when little happens, next to a bare Textual app."""
    with scratch("idle") as base:
        home, project_path = base / "home", base / "proj"
        project_path.mkdir()
        rt = Runtime(project_path, home=home)
        term = peer([sys.executable, "-c", BARE_APP], base, "BARE-TEXTUAL-READY")
        try:
            bare = idle_percent(term, "BARE-TEXTUAL-READY")
        finally:
            term.close("\x11")
        quiet = [rt.start("exec sleep 1000") for _ in range(3)]
        term = viewer(home, project_path, quiet[-1].id)
        try:
            still = idle_percent(term, quiet[-1].id)
        finally:
            term.close("q")
            for job in quiet:
                rt.kill(job.id, grace=0.5)
        ticking = rt.start("while true; do echo tick $(date +%s); sleep 1; done")
        term = viewer(home, project_path, "tick ")
        try:
            slow = idle_percent(term, "tick ")
        finally:
            term.close("q")
            rt.kill(ticking.id, grace=0.5)
    floor = f"bare Textual {bare:.2f} %"
    seconds = f"{IDLE_SECONDS:.0f} s"
    rows.append(("idle CPU: 3 quiet jobs", f"{still:.2f} %", "≤ 0.5 %", floor, seconds))
    rows.append(("idle CPU: a line a second", f"{slow:.2f} %", "≤ 1 %", floor, seconds))


PARTS = {
    "tail": lambda rows, peers: bench_tail(rows, peers),
    "biglog": lambda rows, peers: bench_big_log(rows, peers),
    "firehose": lambda rows, peers: bench_firehose(rows),
    "many": lambda rows, peers: bench_many_jobs(rows),
    "idle": lambda rows, peers: bench_idle(rows),
}
"""The parts of the bench, by the name that runs one alone."""


def main(parts: list[str] | None = None) -> None:
    chosen = chosen_parts(parts, PARTS)
    have_toolong = bool({"tail", "biglog"} & set(chosen)) and toolong_available()
    rows: list[tuple[str, ...]] = []
    for name in chosen:
        PARTS[name](rows, have_toolong)
    header = ("figure", "measured", "budget", "floor / detail", "peer")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main(sys.argv[1:])
