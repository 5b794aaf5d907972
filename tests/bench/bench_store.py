"""A store under load: 10,000 finished jobs (the runtime-trust issue's budgets).

* ``bgview run --name web ...`` ≤ 100 ms over Python's start-up (``python -c pass``, measured
  in the same run, taking turns): naming a job must not read every record.
* ``bgview list`` ≤ 500 ms.

The finished jobs are copies of a real job's final record (starting 10,000 real jobs would
measure this machine's fork rate); five jobs run under real supervisors beside them.
``python -m tests.bench store`` runs it alone.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bgview.runtime import Runtime
from tests.bench.bench_runtime import _bgview, _row

JOBS = 10_000
RUNS = 11


def fill(rt: Runtime, count: int) -> None:
    """``count`` finished jobs, each a copy of one real job's final record under its own id."""
    template, _ = rt.wait(rt.start("echo done").id, timeout=30)
    final = json.loads((template.dir / "result.json").read_text())
    while len(rt.project.job_ids()) < count:
        job_id, job_dir = rt.project.allocate()
        final["request"] = {**final["request"], "id": job_id, "command": f"make test-{job_id}"}
        for name, data in (("meta.json", final["request"]), ("result.json", final)):
            fd = os.open(job_dir / name, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, json.dumps(data).encode())
            os.close(fd)
        os.close(os.open(job_dir / "output.log", os.O_WRONLY | os.O_CREAT, 0o600))
        os.close(os.open(job_dir / "ended", os.O_WRONLY | os.O_CREAT, 0o600))


def _wall(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bgview-bench-store-"))
    home, project = scratch / "home", scratch / "proj"
    project.mkdir()
    rt = Runtime(project, home=home)
    fill(rt, JOBS)
    running = [rt.start(["sleep", "300"]) for _ in range(5)]
    env = {**os.environ, "BGVIEW_HOME": str(home)}
    python: list[float] = []
    named: list[float] = []
    listed: list[float] = []
    try:
        for n in range(RUNS):
            python.append(_wall([sys.executable, "-c", "pass"], project, env))
            named.append(
                _wall([*_bgview(), "run", "--name", f"web-{n}", "--", "true"], project, env)
            )
            listed.append(_wall([*_bgview(), "list"], project, env))
    finally:
        for job in running:
            rt.kill(job.id, grace=0)
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    base, start, ls = (statistics.median(x) for x in (python, named, listed))
    over = (start - base) * 1000
    _row(
        f"run --name, {JOBS:,} jobs (median)",
        f"{start * 1000:.0f} ms",
        "",
        f"python -c pass {base * 1000:.0f} ms",
    )
    _row("  over the interpreter's start-up", f"{over:.0f} ms", "≤ 100 ms", "", over <= 100)
    _row(f"bgview list, {JOBS:,} jobs (median)", f"{ls * 1000:.0f} ms", "≤ 500 ms", "", ls <= 0.5)


if __name__ == "__main__":
    main()
