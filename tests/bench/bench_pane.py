"""The log pane's budgets for output drawn as a terminal draws it, in a real terminal (a pty),
each beside its floor in the same run:

- a 1 GiB log of plain lines: from process start until its last line is on screen (≤ 1.5 s),
  beside a bare Textual app's first frame (the least any Textual viewer can take);
- a redraw-heavy job — rich's three-bar download (``tests/recordings/rich_download``) written
  again and again at 1 MB/s — followed in the pane while keys move between it and a finished
  job: how long a key takes to show (p99 ≤ 200 ms), beside the same keys with a quiet job.

``python -m tests.bench.bench_pane redraw`` runs one part (``biglog``, ``redraw``).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from bgview.runtime import Runtime
from bgview.runtime.store import Project
from tests.bench.bench_viewer import (
    BARE_APP,
    GIB,
    fake_job,
    open_big,
    peer,
    percentile,
    scratch,
    viewer,
    write_big_log,
)
from tests.bench.viewer_kit import BENCH, chosen_parts
from tests.ui.ptyterm import PtyTerm

RECORDING = Path(__file__).resolve().parents[1] / "recordings" / "rich_download.bytes"
RATE = 1_000_000
"""Bytes a second the redraw-heavy job writes."""
SECONDS = 10.0
WRITER = """
import sys, time
data = open(sys.argv[1], "rb").read()
rate, tick = int(sys.argv[2]), 0.05
out, at, start = sys.stdout.buffer, 0, time.monotonic()
while True:
    due = int((time.monotonic() - start) * rate)
    while at < due:
        piece = data[at % len(data): at % len(data) + min(due - at, 16384)]
        out.write(piece)
        at += len(piece)
    out.flush()
    time.sleep(tick)
"""
"""Writes the recording over and over at ``rate`` bytes a second, in 50 ms beats."""

Row = tuple[str, str, str, str, str]


def bare_first_frame() -> float:
    """Seconds from process start to a bare Textual app's first frame."""
    term = peer([sys.executable, "-c", BARE_APP], BENCH, "BARE-TEXTUAL-READY")
    try:
        seen = term.seen("BARE-TEXTUAL-READY", 30)
        return (seen - term.started) if seen is not None else float("inf")
    finally:
        term.close("\x11")


def bench_big_log(rows: list[Row]) -> None:
    with scratch("pane-biglog") as base:
        home, project_path = base / "home", base / "proj"
        project_path.mkdir()
        project = Project.open(project_path, root=home).ensure()
        job_dir = fake_job(project, 1, running=False)
        write_big_log(job_dir / "output.log", GIB)
        # The gigabyte just written is still being written back: wait for it, so neither the
        # floor nor the viewer is timed against the disk's writeback of it.
        os.sync()
        floor = bare_first_frame()
        term = viewer(home, project_path, "THE-LAST-LINE")
        try:
            ours, _ = open_big(term, 30)
        finally:
            term.close("q")
    shown = f"{ours:.2f} s" if ours is not None else "never"
    ratio = f"{ours / floor:.1f}× the floor" if ours is not None else ""
    rows.append(
        (
            "1 GiB plain log: last line on screen",
            shown,
            "≤ 1.5 s",
            f"bare Textual {floor:.2f} s",
            ratio,
        )
    )


def switch_keys(term: PtyTerm, done: str, job: str, seconds: float) -> list[float]:
    """Milliseconds each key took to show: down to the finished job, up to the other, each
    answered when the log bar names the job the cursor moved to."""
    latencies: list[float] = []
    if term.seen(f"{job} · ", 20) is None:
        raise RuntimeError("the viewer never showed the job")
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for key, shows in (("\x1b[B", f"{done} · "), ("\x1b[A", f"{job} · ")):
            term.expect(shows)
            pressed = time.perf_counter()
            term.send(key)
            seen = term.seen(shows, 2.0)
            latencies.append((seen - pressed) * 1000 if seen is not None else 2000.0)
            time.sleep(random.uniform(0.1, 0.2))
    return latencies


def keys_beside(home: Path, project_path: Path, command: list[str]) -> tuple[list[float], int]:
    """Key latencies while ``command`` runs as the newest job, and the bytes it wrote."""
    rt = Runtime(project_path, home=home)
    done = rt.start("echo a finished job")
    rt.wait(done.id, timeout=10)
    job = rt.start(command, max_log=64 << 20)
    term = viewer(home, project_path, f"{job.id} · ")
    try:
        latencies = switch_keys(term, done.id, job.id, SECONDS)
        written = rt.job(job.id).output_bytes
    finally:
        rt.kill(job.id, grace=0.5)
        term.close("q")
    return latencies, written


def bench_redraw(rows: list[Row]) -> None:
    with scratch("pane-redraw") as base:
        home, project_path = base / "home", base / "proj"
        project_path.mkdir()
        quiet, _ = keys_beside(home, project_path, ["sleep", "1000"])
        writer = [sys.executable, "-c", WRITER, str(RECORDING), str(RATE)]
        busy, written = keys_beside(home, project_path, writer)
    ours, floor = percentile(busy, 99), percentile(quiet, 99)
    rows.append(
        (
            "redraw-heavy job: key answered p99",
            f"{ours:.0f} ms",
            "≤ 200 ms",
            f"quiet job {floor:.0f} ms (p50 {percentile(busy, 50):.0f} ms, {len(busy)} keys)",
            f"{ours / max(floor, 1):.1f}× the floor; wrote {written / 1e6 / SECONDS:.1f} MB/s",
        )
    )


PARTS = {"biglog": bench_big_log, "redraw": bench_redraw}


def main(parts: list[str] | None = None) -> None:
    chosen = chosen_parts(parts, PARTS)
    rows: list[Row] = []
    for name in chosen:
        PARTS[name](rows)
    header: Row = ("figure", "measured", "budget", "floor / detail", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main(sys.argv[1:])
