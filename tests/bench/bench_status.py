"""``bgview status``: it runs on every prompt, so ≤ 30 ms over Python's start-up.

Each figure is a median over ``python -c pass`` measured in the same run, taking turns, in a
store of 5 running jobs and 1,000 that ended (as the runtime's own bench fills it): once with
every end older than the failure window (the usual store: one ``stat`` each), once with all of
them ended within it (every record read). ``bgview status`` is the command as installed;
``python -m bgview.statusline`` is the status path alone, without the command line's module
(``bgview.cli`` imports the runtime and argparse before ``main`` can choose the fast path).
``python -m tests.bench status`` runs it alone.
"""

from __future__ import annotations

import compileall
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import bgview
from bgview.runtime import Runtime
from bgview.statuscount import FAILED_WINDOW
from tests.bench.bench_runtime import _bgview, _row, _timed
from tests.bench.bench_store import fill

JOBS = 1000
BUDGET_MS = 30


def _age(rt: Runtime, seconds: float) -> None:
    """Move every ended job's end (and its record's mtime) ``seconds`` into the past."""
    then = time.time() - seconds
    for job_id in rt.project.job_ids():
        record = rt.project.jobs_dir / job_id / "result.json"
        if record.exists():
            os.utime(record, (then, then))


def main() -> None:
    compileall.compile_dir(Path(bgview.__file__).parent, quiet=1)  # as installed: compiled
    scratch = Path(tempfile.mkdtemp(prefix="bgview-bench-status-"))
    home, project = scratch / "home", scratch / "proj"
    project.mkdir()
    rt = Runtime(project, home=home)
    fill(rt, JOBS)
    running = [rt.start(["sleep", "300"]) for _ in range(5)]
    env = {**os.environ, "BGVIEW_HOME": str(home)}
    python = [sys.executable, "-c", "pass"]
    command = [*_bgview(), "status"]
    alone = [sys.executable, "-m", "bgview.statusline"]
    try:
        _age(rt, 2 * FAILED_WINDOW)
        (base, _), (full, _), (path, _) = _timed([python, command, alone], project, env)
        _age(rt, 60)
        (base_recent, _), (recent, _) = _timed([python, command], project, env)
    finally:
        for job in running:
            rt.kill(job.id, grace=0)
        shutil.rmtree(scratch, ignore_errors=True)
    _row("python -c pass (median)", f"{base * 1000:.0f} ms", "")
    for figure, value, start in (
        (f"bgview status, {JOBS:,} old jobs", full, base),
        ("  its path alone (-m bgview.statusline)", path, base),
        (f"bgview status, {JOBS:,} ended this hour", recent, base_recent),
    ):
        over = (value - start) * 1000
        _row(
            figure,
            f"{over:.0f} ms over",
            f"≤ {BUDGET_MS} ms",
            f"{value * 1000:.0f} ms in all",
            over <= BUDGET_MS,
        )


if __name__ == "__main__":
    main()
