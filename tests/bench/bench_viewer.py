"""The viewer's speed budgets, measured in a real terminal (a pty) beside its peers.

- tail latency: a line appended to a job's log, until it reaches the terminal — the viewer,
  ``tail -f`` (the floor) and Toolong on the same file, same run;
- a 1 GiB log: from process start until its last line is on screen, and the peak RSS — the
  viewer and Toolong;
- firehose: a job writing as fast as it can for 10 s while the viewer follows it: how long a
  key press (``/`` opening the search line) takes to show, and the RSS;
- 1,000 jobs in the store: process start to the first frame with the newest job on it;
- idle CPU (% of one core over 30 s): the viewer with three running jobs that print nothing,
  and with one job printing a line a second, next to a bare Textual app in the same run.

``python -m tests.bench.bench_viewer idle tail`` runs only the parts named (``tail``,
``biglog``, ``firehose``, ``many``, ``idle``).

Toolong runs from its own venv in ``.bench/toolong`` (it pins an old Textual); it is installed
there on first use. Everything the bench writes lives in ``.bench/`` and is deleted after.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bgview.runtime import Runtime
from bgview.runtime.store import Project
from tests.ui.ptyterm import PtyTerm

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / ".bench"
TOOLONG = BENCH / "toolong" / "bin" / "tl"
SAMPLES = 150
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


# ---- a store to measure against ------------------------------------------------------------


@contextmanager
def scratch(name: str) -> Iterator[Path]:
    """A directory under ``.bench/`` that is gone afterwards."""
    path = BENCH / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def fake_job(project: Project, number: int, *, running: bool, log: bytes = b"") -> Path:
    """A job directory as the runtime writes it; "running" ones get a held supervisor lock."""
    job_dir = project.jobs_dir / f"bash_{number}"
    job_dir.mkdir(mode=0o700)
    now = time.time()
    meta = {
        "id": job_dir.name,
        "project": str(project.path),
        "command": f"./serve --worker {number}",
        "argv": ["bash", "-c", f"./serve --worker {number}"],
        "cwd": str(project.path),
        "status": "running" if running else "exited",
        "exit_code": None if running else 0,
        "started_at": now - 100 + number * 0.01,
        "ended_at": None if running else now - 50,
    }
    (job_dir / "meta.json").write_text(json.dumps(meta))
    (job_dir / "output.log").write_bytes(log)
    if running:
        fd = os.open(job_dir / "supervisor.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held until the bench exits: the "supervisor" lives
    else:
        (job_dir / "ended").touch()
    return job_dir


def env_for(home: Path) -> dict[str, str]:
    return {**os.environ, "BGVIEW_HOME": str(home)}


def viewer(home: Path, project: Path, expect: str) -> PtyTerm:
    """``bgview`` on ``project`` (named: the bench's directories sit inside this git checkout)."""
    argv = [sys.executable, "-m", "bgview", "--project", str(project)]
    return PtyTerm(argv, env=env_for(home), cwd=project, expect=(expect,))


def peer(argv: list[str], cwd: Path, expect: str) -> PtyTerm:
    return PtyTerm(argv, env=dict(os.environ), cwd=cwd, expect=(expect,))


def toolong_available() -> bool:
    if TOOLONG.exists():
        return True
    print("(installing Toolong into .bench/toolong for the comparison…)", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(BENCH / "toolong")], check=True)
        subprocess.run(
            [str(BENCH / "toolong" / "bin" / "pip"), "install", "-q", "toolong"],
            check=True,
            capture_output=True,
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"(Toolong could not be installed: {exc}; its columns stay empty)")
        return False
    return TOOLONG.exists()


# ---- the figures ----------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def tail_latency(term: PtyTerm, log: Path, ready: str) -> list[float]:
    """Milliseconds from appending a line to the log until it reaches the terminal."""
    if term.seen(ready, 30) is None:
        raise RuntimeError(f"{ready!r} never showed")
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    latencies = []
    try:
        for i in range(SAMPLES):
            marker = f"MARK{i:06d}x"
            term.expect(marker)
            start = time.perf_counter()
            os.write(fd, f"{marker} a line a job wrote\n".encode())
            seen = term.seen(marker, 3.0)
            if seen is not None:
                latencies.append((seen - start) * 1000)
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
        tools: list[tuple[str, Callable[[str], PtyTerm], str]] = [
            ("bgview", lambda ready: viewer(home, project_path, ready), "q"),
            ("tail -f", lambda ready: peer(["tail", "-f", str(log)], base, ready), "\x03"),
        ]
        if have_toolong:
            tools.append(
                ("Toolong", lambda ready: peer([str(TOOLONG), str(log)], base, ready), "\x11")
            )
        for number, (name, start, quit_keys) in enumerate(tools):
            ready = f"READY-TO-TAIL-{number}"  # each tool opens at the tail: a fresh last line
            with open(log, "a") as handle:
                handle.write(ready + "\n")
            term = start(ready)
            try:
                results[name] = tail_latency(term, log, ready)
            finally:
                term.close(quit_keys)
    ours = results["bgview"]
    floor = results["tail -f"]
    theirs = results.get("Toolong")
    for p, budget in ((50, 1.5), (99, 2.0)):
        mine, tails = percentile(ours, p), percentile(floor, p)
        peer_text = "Toolong n/a"
        if theirs:
            peer_text = (
                f"Toolong {percentile(theirs, p):.1f} ms ({percentile(theirs, p) / mine:.1f}×)"
            )
        rows.append(
            (
                f"tail latency p{p}",
                f"{mine:.1f} ms = {mine / tails:.1f}× tail -f",
                f"≤ {budget}× tail -f",
                f"tail -f {tails:.2f} ms",
                peer_text,
            )
        )
    missed = SAMPLES - len(ours)
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
    with scratch("many") as base:
        home, project_path = base / "home", base / "proj"
        project_path.mkdir()
        project = Project.open(project_path, root=home).ensure()
        for number in range(1, 1001):
            fake_job(project, number, running=False, log=b"done\n")
        (project.dir / "counter").write_text("1000")
        times = []
        for _ in range(3):
            term = viewer(home, project_path, "bash_1000")
            try:
                seen = term.seen("bash_1000", 20)
                times.append((seen - term.started) if seen is not None else float("inf"))
            finally:
                term.close("q")
    rows.append(
        (
            "1,000 jobs: first frame",
            f"{statistics.median(times):.2f} s",
            "≤ 1.5 s",
            f"median of {len(times)}",
            "",
        )
    )


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system, every thread) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    BENCH.mkdir(exist_ok=True)
    chosen = parts or list(PARTS)
    unknown = set(chosen) - set(PARTS)
    if unknown:
        raise SystemExit(f"no such part: {', '.join(sorted(unknown))} (parts: {', '.join(PARTS)})")
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
