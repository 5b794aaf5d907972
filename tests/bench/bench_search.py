"""Searching a whole 1 GiB log in the viewer, in a real terminal (a pty), beside its floor.

- search: ``/NEEDLE`` Enter as soon as the log's tail is on screen (its lines still being
  counted), the view at the tail and the first of 41 needles 100 KB
  from the start: until that line is on screen (budget 0.5 s), and until the bar says
  ``match 1 of 41`` with no ``+`` (the total known, budget 3 s) — beside ``grep -c`` on the
  same file in the same run (the floor);
- keys while a filter (for what is nowhere) scans the whole log: ``/`` (the search's query
  line opening) and ``esc``, a few a second until the filter is done,
  each timed until it shows (budget p99 ≤ 100 ms); the peak RSS (budget 120 MB);
- Toolong: how long it takes on the same file before it shows its last line (it can search
  nothing before), same run.

``python -m tests.bench.bench_search`` runs it alone.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from bgview.runtime.store import Project
from tests.bench.bench_viewer import (
    BENCH,
    GIB,
    TOOLONG,
    fake_job,
    peer,
    percentile,
    scratch,
    toolong_available,
    viewer,
)

NEEDLES = 41
LINE = b"2026-11-21T00:00:00.000Z INFO worker-7 request handled path=/api/items status=200\n"


def write_log(path: Path, size: int) -> None:
    """``size`` bytes of log lines, a needle 100 KB in and then every ``size / 41``, and a
    last line."""
    block = LINE * ((1 << 20) // len(LINE))
    every = size // NEEDLES
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, LINE * 1250 + b"NEEDLE number 1 near the start\n")
        written, needle = 0, 2
        while written < size:
            written += os.write(fd, block)
            if needle <= NEEDLES and written >= (needle - 1) * every:
                os.write(fd, b"NEEDLE number %d\n" % needle)
                needle += 1
        os.write(fd, b"THE-LAST-LINE of a gigabyte\n")
    finally:
        os.close(fd)


def grep_count(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(["grep", "-c", "NEEDLE", str(path)], capture_output=True, text=True)
    return time.perf_counter() - started, int(done.stdout.strip() or 0)


def main() -> None:
    BENCH.mkdir(exist_ok=True)
    have_toolong = toolong_available()
    rows: list[tuple[str, ...]] = []
    with scratch("search") as base:
        home, project_path = base / "home", base / "proj"
        project_path.mkdir()
        project = Project.open(project_path, root=home).ensure()
        job_dir = fake_job(project, 1, running=False)
        log = job_dir / "output.log"
        write_log(log, GIB)
        grep_count(log)  # the page cache warm for both, as for a log just written
        floor, found = grep_count(log)
        term = viewer(home, project_path, "THE-LAST-LINE")
        latencies: list[float] = []
        try:
            if term.seen("THE-LAST-LINE", 30) is None:
                raise RuntimeError("the viewer never showed the log's tail")
            opened = time.perf_counter() - term.started
            term.expect("search (regex")
            term.send("/")
            term.seen("search (regex", 5)
            term.expect("NEEDLE number 1 near")
            term.expect(f"match 1 of {NEEDLES} ")
            term.send("NEEDLE")
            time.sleep(0.3)
            entered = time.perf_counter()
            term.send("\r")
            first = term.seen("NEEDLE number 1 near", 10)
            total = term.seen(f"match 1 of {NEEDLES} ", 30)
            # Keys while a filter (for what is nowhere) scans the whole log.
            term.send("\x1b")  # the search off
            time.sleep(0.5)
            term.expect("keep only lines")
            term.send("f")
            term.seen("keep only lines", 5)
            term.expect(" lines    ")  # the bar once it no longer says "filtering… N%"
            term.send("NOWHERE-AT-ALL\r")
            began = time.perf_counter()
            time.sleep(0.15)  # the query line closed before the next key
            done = None
            while done is None and time.perf_counter() - began < 30:
                term.expect("search (regex")
                pressed = time.perf_counter()
                term.send("/")  # the search's query line opening, then esc closing it
                shown = term.seen("search (regex", 2.0)
                latencies.append((shown - pressed) * 1000 if shown is not None else 2000.0)
                term.send("\x1b")
                time.sleep(0.15)  # a person's pace: esc is not read as the start of a sequence
                done = term.seen(" lines    ", 0.05)
                if done is None:
                    term.expect(" lines    ")
            nowhere = None if done is None else done - began
            _, peak = term.rss_mb()
        finally:
            term.close("q")
        toolong = None
        if have_toolong:
            other = peer([str(TOOLONG), str(log)], base, "THE-LAST-LINE")
            try:
                seen = other.seen("THE-LAST-LINE", 60)
                toolong = None if seen is None else seen - other.started
            finally:
                other.close("\x11")

    def secs(at: float | None) -> str:
        return "never" if at is None else f"{at - entered:.2f} s"

    rows.append(("1 GiB: tail on screen (from start)", f"{opened:.2f} s", "≤ 1.5 s", "", ""))
    rows.append(("1 GiB: /NEEDLE first match on screen", secs(first), "≤ 0.5 s", "", ""))
    grep_ratio = f" ({(total - entered) / floor:.1f}× grep)" if total else ""
    rows.append(
        (
            f"1 GiB: match 1 of {NEEDLES} (total known)",
            secs(total) + grep_ratio,
            "≤ 3 s",
            f"grep -c: {floor:.2f} s ({found} lines)",
            f"Toolong shows its last line after {toolong:.1f} s" if toolong else "Toolong n/a",
        )
    )
    if latencies:
        rows.append(
            (
                "1 GiB: key answered p99 while scanning",
                f"{percentile(latencies, 99):.0f} ms",
                "≤ 100 ms",
                f"p50 {percentile(latencies, 50):.0f} ms, {len(latencies)} keys",
                "",
            )
        )
    rows.append(
        (
            "1 GiB: filter NOWHERE, keys pressed meanwhile",
            "never" if nowhere is None else f"0 lines after {nowhere:.2f} s",
            "",
            "",
            "",
        )
    )
    rows.append(("1 GiB: peak RSS after the searches", f"{peak:.0f} MB", "≤ 120 MB", "", ""))
    header = ("figure", "measured", "budget", "floor / detail", "peer")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
