"""The runtime's budgets (issue 2), each next to the peer measured in the same run.

* Capture: 1 GiB of ``yes`` through a job into ``output.log`` at ≥ 100 MiB/s, and ≥ 0.8× a bare
  ``os.read`` loop over a pty with the same settings (the floor); the ratio to util-linux
  ``script``, which leaves the pty cooked, is printed too.
* ``bgview run -- true`` returns its id ≤ 60 ms (median) over ``python -c pass``.
* Supervisor cost: ≤ 15 MB RSS per running job.
* ``bgview output --filter`` over a 100 MB log: ≥ 100 MB/s and ≥ 0.6× ``grep -E`` on the
  same file; and any pattern, ``(a+)+$b`` and ``(.*){1,32000}[bc]`` included, answers within
  1 s on a 50,000-character line.
* ``bgview list`` with 1,000 jobs in the store: ≤ 300 ms.

``python -m tests.bench runtime`` runs it alone. ``BENCH_CAPTURE_MIB`` changes the capture size
(default 1024) and ``BENCH_SCRIPT_MIB`` the sample given to ``script`` (default 128: at its
5-9 MiB/s the whole GiB would take minutes; its rate over the sample is what is compared).
"""

from __future__ import annotations

import compileall
import fcntl
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import bgview
from bgview.runtime import JobStatus, Runtime

MIB = 1024 * 1024
CAPTURE_MIB = int(os.environ.get("BENCH_CAPTURE_MIB", "1024"))
SCRIPT_MIB = int(os.environ.get("BENCH_SCRIPT_MIB", "128"))
FILTER_MB = 100
LIST_JOBS = 1000
RUNS = 15


def _row(figure: str, value: str, budget: str, peer: str = "", verdict: bool | None = None) -> None:
    mark = "" if verdict is None else ("ok" if verdict else "MISSED")
    print(f"  {figure:<38} {value:>14}  {budget:<14} {peer:<34} {mark}", flush=True)


def _yes(nbytes: int) -> list[str]:
    return ["sh", "-c", f"yes | head -c {nbytes}"]


# ---- capture ----------------------------------------------------------------------------------


def capture_job(home: Path, project: Path, nbytes: int, *, capped: bool = False) -> float:
    """Seconds for a job to write ``nbytes`` of ``yes`` to its log, start to recorded end.

    The log's size cap is raised so that every byte stays on disk, unless ``capped``: then
    the default cap trims the log as it grows (``output_bytes`` still counts every byte).
    """
    rt = Runtime(project, home=home)
    started = time.perf_counter()
    job = rt.start(_yes(nbytes), max_log=None if capped else 4 * nbytes)
    job, done = rt.wait(job.id, timeout=600)
    elapsed = time.perf_counter() - started
    assert done and job.status is JobStatus.EXITED, job
    assert job.output_bytes == nbytes, (job.output_bytes, nbytes)
    job.log_path.unlink()
    return elapsed


def capture_bare(out: Path, nbytes: int) -> float:
    """The floor: fork the same command on a pty set up as the supervisor does (no output
    post-processing), and copy the master to a file with a plain ``os.read`` loop."""
    started = time.perf_counter()
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(master)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # as the supervisor does: yes | head
        os.execvp("sh", _yes(nbytes))
    os.close(slave)
    log = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    total = 0
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not data:
            break
        total += len(data)
        os.write(log, data)
    os.waitpid(pid, 0)
    os.close(log)
    os.close(master)
    elapsed = time.perf_counter() - started
    assert total == nbytes, (total, nbytes)
    out.unlink()
    return elapsed


def capture_script(out: Path, nbytes: int) -> float | None:
    """util-linux ``script -q -c ... /dev/null`` over the same command, stdout to a file."""
    if shutil.which("script") is None:
        return None
    started = time.perf_counter()
    with open(out, "wb") as handle:
        subprocess.run(
            ["script", "-q", "-c", " ".join(_yes(nbytes)[2:]), "/dev/null"],
            stdout=handle,
            stdin=subprocess.DEVNULL,
            check=True,
        )
    elapsed = time.perf_counter() - started
    out.unlink()
    return elapsed


def bench_capture(home: Path, project: Path, scratch: Path) -> None:
    """Job and bare loop take turns, three times, each going first in turn, and each keeps
    its best: the machine is shared (its speed swings 60-200 MiB/s between runs here), and a
    neighbour's burst should not decide the ratio."""
    nbytes = CAPTURE_MIB * MIB
    bare = job = float("inf")
    for round_ in range(3):
        if round_ % 2:
            job = min(job, capture_job(home, project, nbytes))
        bare = min(bare, capture_bare(scratch / "bare.log", nbytes))
        if not round_ % 2:
            job = min(job, capture_job(home, project, nbytes))
    capped = capture_job(home, project, nbytes, capped=True)
    script = capture_script(scratch / "script.log", SCRIPT_MIB * MIB)
    job_rate, bare_rate = CAPTURE_MIB / job, CAPTURE_MIB / bare
    _row(
        f"capture {CAPTURE_MIB} MiB of yes (job)",
        f"{job_rate:.0f} MiB/s",
        "≥ 100 MiB/s",
        f"bare os.read loop {bare_rate:.0f} MiB/s",
        job_rate >= 100,
    )
    _row(
        "  job / bare os.read loop",
        f"{job_rate / bare_rate:.2f}×",
        "≥ 0.8×",
        "",
        job_rate >= 0.8 * bare_rate,
    )
    _row("  with the default 512 MiB log cap", f"{CAPTURE_MIB / capped:.0f} MiB/s", "(report)")
    if script is not None:
        script_rate = SCRIPT_MIB / script
        _row(
            "  job / util-linux script",
            f"{job_rate / script_rate:.0f}×",
            "(report)",
            f"script {script_rate:.1f} MiB/s over {SCRIPT_MIB} MiB",
        )


# ---- start-up -----------------------------------------------------------------------------------


def _medians(commands: list[list[str]], cwd: Path, env: dict[str, str]) -> list[float]:
    """Median wall time of each command; the commands take turns, so that the machine's
    load falls on all of them alike."""
    return [wall for wall, _ in _timed(commands, cwd, env)]


def _timed(commands: list[list[str]], cwd: Path, env: dict[str, str]) -> list[tuple[float, float]]:
    """``(median wall time, median CPU time)`` of each command, taking turns."""
    walls: list[list[float]] = [[] for _ in commands]
    cpus: list[list[float]] = [[] for _ in commands]
    for _ in range(RUNS):
        for argv, wall, cpu in zip(commands, walls, cpus, strict=True):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
            wall.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(walls, cpus, strict=True)]


def _bgview() -> list[str]:
    """The installed ``bgview`` script, as a user runs it (else ``python -m bgview``)."""
    script = Path(sys.executable).parent / "bgview"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bgview"]


def bench_run(home: Path, project: Path) -> None:
    env = {**os.environ, "BGVIEW_HOME": str(home)}
    (python, python_cpu), (run, run_cpu) = _timed(
        [[sys.executable, "-c", "pass"], [*_bgview(), "run", "--", "true"]], project, env
    )
    over = (run - python) * 1000
    _row(
        "bgview run -- true (median)",
        f"{run * 1000:.0f} ms",
        "",
        f"python -c pass {python * 1000:.0f} ms",
    )
    _row(
        "  over the interpreter's start-up",
        f"{over:.0f} ms",
        "≤ 60 ms",
        f"CPU time: {(run_cpu - python_cpu) * 1000:.0f} ms over",
        over <= 60,
    )
    rt = Runtime(project, home=home)
    for job in rt.jobs():
        rt.wait(job.id, timeout=30)


# ---- supervisor cost ---------------------------------------------------------------------------


def _memory_kb(pid: int) -> tuple[int, int]:
    """``(RSS, PSS)`` of a process in KiB."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        elif line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


def bench_supervisor(home: Path, project: Path) -> None:
    rt = Runtime(project, home=home)
    jobs = [rt.start(["sleep", "300"]) for _ in range(10)]
    try:
        for job in jobs:
            rt.wait(job.id, timeout=0.2)
        deadline = time.monotonic() + 20
        while any(rt.job(j.id).supervisor_pid is None for j in jobs):
            assert time.monotonic() < deadline, "supervisors did not start"
            time.sleep(0.05)
        # Let each supervisor reach its idle loop (its imports done, waiting in poll).
        time.sleep(0.5)
        figures = [_memory_kb(rt.job(j.id).supervisor_pid or 0) for j in jobs]
    finally:
        for job in jobs:
            rt.kill(job.id, grace=0)
    rss = max(r for r, _ in figures) / 1024
    pss = statistics.median(p for _, p in figures) / 1024
    _row(
        "supervisor RSS per running job (max/10)",
        f"{rss:.1f} MB",
        "≤ 15 MB",
        f"PSS (unshared share) {pss:.1f} MB",
        rss <= 15,
    )


# ---- filter ------------------------------------------------------------------------------------

LOG_WRITER = """
import os, sys
size = int(sys.argv[1])
coloured = len(sys.argv) > 2  # a red word and a progress bar's rewrite in every 1 MiB block
lines = []
for i in range(50_000):
    status = 500 if i % 24_999 == 0 else 200  # rare: the whole log is read
    level = "\\x1b[31mWARN\\x1b[0m" if coloured and i % 5000 == 1 else "INFO"
    bar = f"{i % 100}%\\r\\x1b[K" if coloured and i % 777 == 2 else ""
    lines.append(
        f"{bar}2026-11-21T00:{i % 60:02d}:{i % 59:02d}.{i % 997:03d}Z {level} http request "
        f"id={i * 7919 % 1000003:07d} method=GET path=/api/items/{i % 1000} status={status} "
        f"took={i % 250}ms\\n"
    )
block = "".join(lines).encode()
written = 0
while written < size:
    chunk = block[: size - written]
    view = memoryview(chunk)
    while view:
        view = view[os.write(1, view):]
    written += len(chunk)
"""


def bench_filter(home: Path, project: Path) -> None:
    rt = Runtime(project, home=home)
    env = {**os.environ, "BGVIEW_HOME": str(home)}
    load = os.getloadavg()[0]
    _filter_figure(rt, env, project, coloured=False)
    _filter_figure(rt, env, project, coloured=True)
    _row("  load average (1 min) before", f"{load:.2f}", "", f"{os.cpu_count()} cores")
    bench_pathological(rt, env, project)


def _filter_figure(rt: Runtime, env: dict[str, str], project: Path, coloured: bool) -> None:
    """``bgview output ID --filter`` over a 100 MB log written by a real job, beside ``grep -E``
    on the same file; ``coloured``: a red word and a progress bar in every 1 MiB block, so
    that every block needs cleaning somewhere (grep, which cleans nothing, is the same)."""
    size = FILTER_MB * 1000 * 1000
    job = rt.start(
        [sys.executable, "-c", LOG_WRITER, str(size), *(["coloured"] if coloured else [])]
    )
    job, done = rt.wait(job.id, timeout=300)
    assert done and job.output_bytes == size, job
    pattern = r"status=5[0-9][0-9]"
    samples, grep_samples = [], []
    for i in range(3):
        started = time.perf_counter()
        result = subprocess.run(
            [*_bgview(), "output", job.id, "--consumer", f"bench{i}", "--filter", pattern],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(time.perf_counter() - started)
        matched = result.stdout.count("\n")
        started = time.perf_counter()
        grep = subprocess.run(
            ["grep", "-E", pattern, str(job.log_path)], capture_output=True, check=True
        )
        grep_samples.append(time.perf_counter() - started)
    assert matched == grep.stdout.count(b"\n"), (matched, grep.stdout.count(b"\n"))
    rate = FILTER_MB / statistics.median(samples)
    grep_rate = FILTER_MB / statistics.median(grep_samples)
    what = "coloured" if coloured else "plain"
    _row(
        f"output --filter, {FILTER_MB} MB {what} ({matched} hits)",
        f"{rate:.0f} MB/s",
        "≥ 100 MB/s",
        f"grep -E {grep_rate:.0f} MB/s",
        rate >= 100,
    )
    if coloured:  # the budget is for the plain log; this one is for the record
        _row("  bgview / grep -E", f"{rate / grep_rate:.2f}×", "", "")
    else:
        _row(
            "  bgview / grep -E", f"{rate / grep_rate:.2f}×", "≥ 0.6×", "", rate >= 0.6 * grep_rate
        )
    job.log_path.unlink()


PATHOLOGICAL = [
    ("(a+)+$b", "RE2"),
    ("(.*){1,32000}[bc]", "fallback, bounded"),
    ("(x+x+)+y", "RE2"),
    (r"(a+)+\1b", "fallback, bounded"),
]


def bench_pathological(rt: Runtime, env: dict[str, str], project: Path) -> None:
    """Patterns that backtrack without end, through the whole command, on a job whose log is
    one 50,000-character line of a's: RE2 answers, the fallback gives up within its budget."""
    job = rt.start([sys.executable, "-c", "print('a' * 50_000)"])
    job, done = rt.wait(job.id, timeout=30)
    assert done, job
    for i, (pattern, engine) in enumerate(PATHOLOGICAL):
        started = time.perf_counter()
        result = subprocess.run(
            [*_bgview(), "output", job.id, "--consumer", f"patho{i}", "--filter", pattern],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        gave_up = result.returncode == 2 and "took over" in result.stderr
        answer = "no line" if result.returncode == 0 else "gave up" if gave_up else "error"
        _row(
            f"  --filter {pattern} ({engine})",
            f"{elapsed * 1000:.0f} ms",
            "≤ 1 s",
            answer,
            elapsed <= 1.0 and result.returncode in (0, 2),
        )


# ---- list --------------------------------------------------------------------------------------


def bench_list(home: Path, project: Path) -> None:
    """1,000 jobs: 10 running under real supervisors, the rest ended records copied from a
    real one (starting 990 real jobs would only measure the machine's fork rate)."""
    from tests.bench.bench_store import fill

    rt = Runtime(project, home=home)
    running = [rt.start(["sleep", "300"]) for _ in range(10)]
    try:
        fill(rt, LIST_JOBS)
        env = {**os.environ, "BGVIEW_HOME": str(home)}
        table, as_json, python = _medians(
            [[*_bgview(), "list"], [*_bgview(), "list", "--json"], [sys.executable, "-c", "pass"]],
            project,
            env,
        )
    finally:
        for job in running:
            rt.kill(job.id, grace=0)
    _row(
        f"bgview list, {LIST_JOBS} jobs (median)",
        f"{table * 1000:.0f} ms",
        "≤ 300 ms",
        f"--json {as_json * 1000:.0f} ms; python {python * 1000:.0f} ms",
        max(table, as_json) <= 0.3,
    )


def main() -> None:
    # Measure bgview as installed: with its bytecode compiled (PYTHONDONTWRITEBYTECODE, set in
    # some environments, would otherwise have every run recompile what changed).
    compileall.compile_dir(Path(bgview.__file__).parent, quiet=1)
    scratch = Path(tempfile.mkdtemp(prefix="bgview-bench-"))
    try:
        home = scratch / "home"
        print(f"  {'figure':<38} {'value':>14}  {'budget':<14} {'peer (same run)':<34}")
        for name, bench in [
            ("capture", bench_capture),
            ("run", bench_run),
            ("supervisor", bench_supervisor),
            ("filter", bench_filter),
            ("list", bench_list),
        ]:
            project = scratch / name
            project.mkdir()
            if name == "capture":
                # On a tmpfs where there is one: a GiB written to this machine's disk three
                # times a run is paced by its write-back, not by the pty or the supervisor
                # (figures then swing 60-200 MiB/s from run to run, for the bare loop too).
                shm = Path("/dev/shm")
                fast = (
                    Path(tempfile.mkdtemp(prefix="bgview-bench-", dir=shm))
                    if shm.is_dir()
                    else None
                )
                try:
                    where = fast or scratch
                    (where / name).mkdir(exist_ok=True)
                    bench_capture(where / "home", where / name, where)
                finally:
                    if fast is not None:
                        shutil.rmtree(fast, ignore_errors=True)
            else:
                bench(home, project)  # type: ignore[operator]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
