"""The budgets of a job's facts ("jobs that know what they are doing"), with real jobs.

* Facts are refreshed within 1 s of a change (a new process appears).
* A port that starts listening (without a word of output) is in ``list --json`` within 1 s.
* A job blocked on a prompt is ``waiting_for_input`` within 4 s of the prompt.
* Watching costs ≤ 0.5 % of a core per idle running job (its supervisor's CPU time, from
  ``/proc/PID/schedstat`` in nanoseconds) and keeps the supervisor ≤ 15 MB RSS.
* 200 running jobs' facts in ``bgview list --json`` within 500 ms (median).
* ``bash(..., ready="auto")`` for a server that listens after 1 s answers within 1.2 s.

Times are read through :meth:`Runtime.job` — the record ``list --json`` prints — polled every
5 ms. ``python -m tests.bench facts`` runs it alone; ``BENCH_FACTS_JOBS`` changes the 200.
"""

from __future__ import annotations

import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bgview.agent import ToolHandler
from bgview.runtime import Job, Runtime
from tests.bench.bench_runtime import _bgview, _memory_kb, _row

PY = sys.executable
MANY = int(os.environ.get("BENCH_FACTS_JOBS", "200"))
IDLE_SECONDS = 20.0

FORKER = """
import subprocess, sys, time
children = []
for i in range(6):
    time.sleep(1.3 + i * 0.17)  # never in step with the supervisor's second
    print("forked", repr(time.time()), flush=True)
    children.append(subprocess.Popen(["sleep", "300"]))
time.sleep(300)
"""
LISTENER = """
import socket, sys, time
held = []
for i in range(5):
    time.sleep(1.1 + i * 0.23)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    held.append(s)
    with open(sys.argv[1], "a") as out:  # not on stdout: no output wakes the supervisor
        out.write(f"{s.getsockname()[1]} {time.time()!r}\\n")
time.sleep(300)
"""
LATE_SERVER = """
import socket, sys, time
time.sleep(max(0.0, float(sys.argv[1]) + 1.0 - time.time()))  # 1 s after the call
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
with open(sys.argv[2], "w") as out:
    out.write(repr(time.time()))
time.sleep(300)
"""


def _poll(check: Callable[[], bool], timeout: float) -> float | None:
    """``time.time()`` when ``check()`` first holds (polled every 5 ms), or ``None``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.time()
        time.sleep(0.005)
    return None


def _figure(samples: list[float]) -> str:
    return f"{statistics.median(samples):.2f} / {max(samples):.2f} s"


def bench_change(rt: Runtime) -> None:
    job = rt.start([PY, "-c", FORKER])
    latencies: list[float] = []
    try:
        for count in range(2, 8):
            seen = _poll(lambda c=count: rt.job(job.id).facts.process_count >= c, 5.0)
            assert seen is not None, "a new process was never seen"
            forked = [float(line.split()[1]) for line in _lines(rt.job(job.id), "forked")]
            latencies.append(seen - forked[count - 2])
    finally:
        rt.kill(job.id, grace=0)
    _row(
        "new process -> facts (p50/max)",
        _figure(latencies),
        "≤ 1 s",
        f"{len(latencies)} forks",
        max(latencies) <= 1.0,
    )


def bench_port(rt: Runtime, scratch: Path) -> None:
    times = scratch / "listened"
    job = rt.start([PY, "-c", LISTENER, str(times)])
    latencies: list[float] = []
    try:
        for count in range(1, 6):
            seen = _poll(lambda c=count: len(rt.job(job.id).facts.ports) >= c, 5.0)
            assert seen is not None, "a port was never seen"
            listened = [float(line.split()[1]) for line in times.read_text().splitlines()]
            latencies.append(seen - listened[count - 1])
        env = {**os.environ, "BGVIEW_HOME": str(rt.project.dir.parent.parent)}
        listed = subprocess.check_output([*_bgview(), "list", "--json"], cwd=rt.path, env=env)
        record = json.loads(listed)
        ports = {p["port"] for r in record if r["id"] == job.id for p in r["ports"]}
        assert len(ports) == 5, ports
    finally:
        rt.kill(job.id, grace=0)
    _row(
        "listen -> list --json (p50/max)",
        _figure(latencies),
        "≤ 1 s",
        "no output to wake it",
        max(latencies) <= 1.0,
    )


def bench_prompt(rt: Runtime) -> None:
    latencies: list[float] = []
    for _ in range(3):
        job = rt.start("echo setting up; read -p 'Continue? [y/N] ' answer")
        try:
            shown = _poll(lambda j=job: b"Continue?" in j.log_path.read_bytes(), 10.0)
            seen = _poll(lambda j=job: rt.job(j.id).facts.waiting_for_input, 10.0)
            assert shown is not None and seen is not None, "never waiting for input"
            latencies.append(seen - shown)
        finally:
            rt.kill(job.id, grace=0)
    _row(
        "prompt -> waiting_for_input (p50/max)",
        _figure(latencies),
        "≤ 4 s",
        "3 s of quiet is the rule",
        max(latencies) <= 4.0,
    )


def _cpu_ns(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def bench_idle(rt: Runtime) -> None:
    """Idle jobs of four kinds, two of each; their supervisors' CPU over IDLE_SECONDS."""
    port = 18000 + os.getpid() % 1000
    commands = [
        ["sleep", "300"],
        "sleep 300 & sleep 300 & wait",
        [PY, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        "read -p 'Continue? ' x",
    ]
    jobs = [rt.start(c) for c in commands] + [rt.start(c) for c in commands[:2] + commands[3:]]
    try:
        _poll(lambda: all(rt.job(j.id).facts.updated_at for j in jobs), 10.0)
        time.sleep(4.0)  # past the first looks, the quiet period and the prompt's notice
        supervisors = [rt.job(j.id).supervisor_pid or 0 for j in jobs]
        before = [_cpu_ns(pid) for pid in supervisors]
        started = time.monotonic()
        time.sleep(IDLE_SECONDS)
        spent = [_cpu_ns(pid) - b for pid, b in zip(supervisors, before, strict=True)]
        elapsed = time.monotonic() - started
        memory = [_memory_kb(pid)[0] for pid in supervisors]
    finally:
        for job in jobs:
            rt.kill(job.id, grace=0)
    shares = [ns / 1e9 / elapsed * 100 for ns in spent]
    _row(
        f"idle job's supervisor CPU (max of {len(jobs)})",
        f"{max(shares):.3f} %",
        "≤ 0.5 % core",
        f"median {statistics.median(shares):.3f} %",
        max(shares) <= 0.5,
    )
    rss = max(memory) / 1024
    _row(
        f"supervisor RSS, facts on (max of {len(jobs)})", f"{rss:.1f} MB", "≤ 15 MB", "", rss <= 15
    )


def bench_many(rt: Runtime) -> None:
    jobs = [rt.start(["sleep", "300"]) for _ in range(MANY)]
    try:
        ok = _poll(lambda: all(rt.job(j.id).facts.process_count for j in jobs), 120.0)
        assert ok is not None, "not every job has facts"
        env = {**os.environ, "BGVIEW_HOME": str(rt.project.dir.parent.parent)}
        walls = []
        for _ in range(5):
            began = time.perf_counter()
            out = subprocess.check_output([*_bgview(), "list", "--json"], cwd=rt.path, env=env)
            walls.append(time.perf_counter() - began)
            records = json.loads(out)
            assert sum(1 for r in records if r["processes"]) == MANY, "facts missing"
    finally:
        for job in jobs:
            rt.kill(job.id, grace=0)
    wall = statistics.median(walls)
    _row(
        f"list --json, {MANY} running jobs (median)",
        f"{wall * 1000:.0f} ms",
        "≤ 500 ms",
        "each with its facts",
        wall <= 0.5,
    )


def bench_ready(rt: Runtime, scratch: Path) -> None:
    """A silent server (found by its port, the slower way: a printed URL is seen as it is
    written) that listens 1 s after the call, however long its interpreter took to start."""
    handler = ToolHandler(rt, consumer="bench")
    answers: list[float] = []
    after: list[float] = []
    listened = scratch / "late-listen"
    for _ in range(5):
        began = time.time()
        command = shlex.join([PY, "-c", LATE_SERVER, repr(began), str(listened)])
        text = handler.call("bash", {"command": command, "ready": "auto"}).text
        answered = time.time()
        assert " ready after " in text, text
        answers.append(answered - began)
        after.append(answered - float(listened.read_text()))
        rt.kill(text.split()[0], grace=0)
    _row(
        'bash(ready="auto"), listen at 1 s',
        _figure(answers),
        "≤ 1.2 s",
        f"listen -> answer {statistics.median(after) * 1000:.0f} ms (p50)",
        max(answers) <= 1.2,
    )


def _lines(job: Job, word: str) -> list[str]:
    text = job.log_path.read_text(errors="replace")
    return [line for line in text.splitlines() if line.startswith(word)]


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bgview-bench-facts-"))
    try:
        print(f"  {'figure':<38} {'value':>14}  {'budget':<14} {'peer (same run)':<34}")
        for name in ("change", "port", "prompt", "ready", "idle", "many"):
            project = scratch / name
            project.mkdir()
            rt = Runtime(project, home=scratch / "home")
            if name == "change":
                bench_change(rt)
            elif name == "port":
                bench_port(rt, scratch)
            elif name == "prompt":
                bench_prompt(rt)
            elif name == "ready":
                bench_ready(rt, scratch)
            elif name == "idle":
                bench_idle(rt)
            else:
                bench_many(rt)
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
