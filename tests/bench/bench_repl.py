"""The host REPL's budgets, measured with the real ``bgview shell`` in a pty.

- ``/bashes`` → the viewer's first frame ≤ 200 ms (the viewer is imported already);
  ``esc`` → the prompt back ≤ 400 ms.
- A foreground command's output reaches the terminal ≤ 10 ms later than when the same command
  runs straight in a pty (bash), measured per line from a timestamp the command prints.
- ``seq 1 1000000`` through the REPL ≤ 1.5× the time it takes in bash.
- The shell at an idle prompt ≤ 0.3 % of a core: its CPU time over 30 s, next to a bare
  prompt_toolkit prompt idling over the same 30 s (the floor any prompt_toolkit REPL pays).
  For information: its CPU use while a silent foreground job runs.

Run: ``python -m tests.bench repl``. Each figure is a median over a few runs; the peer (bash)
is measured in the same run because this machine is shared and noisy.
"""

from __future__ import annotations

import os
import select
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect

ALT_ON, ALT_OFF = b"\x1b[?1049h", b"\x1b[?1049l"
CPR_REQUEST = b"\x1b[6n"
BARE_PROMPT = "from prompt_toolkit import PromptSession\nPromptSession().prompt('bare> ')\n"
"""The peer of the idle shell: a prompt_toolkit prompt and nothing else."""
IDLE_SECONDS = 30.0
STAMPER = (
    "import time\n"
    "for i in range(40):\n"
    "    time.sleep(0.02)\n"
    "    print('STAMP', repr(time.time()), flush=True)\n"
)


class Pty:
    """A program in a pty whose output we read fast and search, without a screen."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.child = pexpect.spawn(argv[0], argv[1:], env=env, cwd=str(cwd), dimensions=(40, 120))
        self.fd: int = self.child.child_fd
        self.buf = b""

    def read_until(self, marker: bytes, timeout: float = 30.0) -> float:
        """Read until ``marker`` (searching what is buffered first); the time it was seen.

        What comes after the marker stays buffered for the next call.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.buf.find(marker)
            if found >= 0:
                self.buf = self.buf[found + len(marker) :]
                return time.perf_counter()
            self.buf = self.buf[-len(marker) :]  # a marker cut between two reads
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {marker!r} within {timeout}s")
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready:
                try:
                    data = os.read(self.fd, 1 << 20)
                except OSError:
                    data = b""
                if not data:
                    raise EOFError(f"ended before {marker!r}")
                self._answer(data)
                self.buf += data

    def stamps(self, count: int) -> list[float]:
        """Latency of each ``STAMP <time>`` line: when we read it minus when it was printed."""
        latencies: list[float] = []
        pending = b""
        deadline = time.monotonic() + 30
        while len(latencies) < count and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if not ready:
                continue
            data = os.read(self.fd, 65536)
            now = time.time()
            self._answer(data)
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if b"STAMP" in line:
                    latencies.append(now - float(line.split()[-1]))
        return latencies

    def _answer(self, data: bytes) -> None:
        """Answer a cursor-position request as a terminal does: prompt_toolkit asks, and
        waits up to a second for the answer before it hands over a line."""
        if CPR_REQUEST in data:
            os.write(self.fd, b"\x1b[1;1R")

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def close(self) -> None:
        self.child.terminate(force=True)


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "BGVIEW_HOME": str(home), "TERM": "xterm-256color"}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


def _shell(home: Path, project: Path) -> Pty:
    term = Pty([sys.executable, "-m", "bgview", "shell"], _env(home), project)
    term.read_until("❯".encode())
    return term


def bench_viewer(home: Path, project: Path, rounds: int = 5) -> tuple[list[float], list[float]]:
    term = _shell(home, project)
    term.send(b"sleep 300 &\r")
    term.read_until(b"started]")
    time.sleep(2.0)  # the shell imports the viewer in the background after its first prompt
    opened, closed = [], []
    try:
        for _ in range(rounds):
            term.buf = b""
            sent = time.perf_counter()
            term.send(b"/bashes\r")
            term.read_until(ALT_ON)
            shown = term.read_until(b"sleep 300")  # the job table's first frame
            opened.append(shown - sent)
            time.sleep(0.5)
            sent = time.perf_counter()
            term.send(b"\x1b")
            term.read_until(ALT_OFF)
            back = term.read_until("❯".encode())
            closed.append(back - sent)
            time.sleep(0.3)
    finally:
        term.close()
    return opened, closed


def bench_latency(home: Path, project: Path) -> tuple[list[float], list[float]]:
    script = project / "stamper.py"
    script.write_text(STAMPER)
    command = f"{sys.executable} {script}"
    bash = Pty(["bash", "-c", command], _env(home), project)
    try:
        direct = bash.stamps(40)
    finally:
        bash.close()
    term = _shell(home, project)
    try:
        term.send(command.encode() + b"\r")
        through = term.stamps(40)
    finally:
        term.close()
    return direct, through


def bench_seq(home: Path, project: Path, rounds: int = 5) -> tuple[list[float], list[float]]:
    """Rounds alternate between bash and the shell, so both see the same load."""
    bash_times, repl_times = [], []
    term = _shell(home, project)
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            bash = Pty(["bash", "-c", "seq 1 1000000; echo SEQ-DONE"], _env(home), project)
            bash.read_until(b"SEQ-DONE")
            bash_times.append(time.perf_counter() - started)
            bash.close()
            started = time.perf_counter()
            term.send(b"seq 1 1000000\r")
            term.read_until(b"exited 0, ")
            repl_times.append(time.perf_counter() - started)
            term.read_until("❯".encode())
    finally:
        term.close()
    return bash_times, repl_times


def bench_echo(home: Path, project: Path, rounds: int = 5) -> tuple[list[float], list[float]]:
    """Enter → a short command's output on screen: what starting a job costs a user."""
    bash_times, repl_times = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        bash = Pty(["bash", "-c", "echo ECHO-DONE"], _env(home), project)
        bash.read_until(b"ECHO-DONE")
        bash_times.append(time.perf_counter() - started)
        bash.close()
    term = _shell(home, project)
    try:
        for _ in range(rounds):
            term.buf = b""
            started = time.perf_counter()
            term.send(b"echo ECHO-''DONE\r")
            term.read_until(b"ECHO-DONE")
            repl_times.append(time.perf_counter() - started)
            term.read_until("❯".encode())
    finally:
        term.close()
    return bash_times, repl_times


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (the file-system watchers'
    included), from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_idle(
    home: Path, project: Path, seconds: float = IDLE_SECONDS
) -> tuple[float, float, float]:
    """CPU use (% of one core) of the shell at an idle prompt and of a bare prompt_toolkit
    prompt over the same ``seconds``, then of the shell while a foreground job runs that
    writes nothing (what watching the job's directory costs)."""
    term = _shell(home, project)
    bare = Pty([sys.executable, "-c", BARE_PROMPT], _env(home), project)
    try:
        bare.read_until(b"bare>")
        time.sleep(2.0)  # the background import of the viewer is over
        shell_before, bare_before = _cpu_seconds(term.child.pid), _cpu_seconds(bare.child.pid)
        time.sleep(seconds)
        at_prompt = (_cpu_seconds(term.child.pid) - shell_before) / seconds
        bare_prompt = (_cpu_seconds(bare.child.pid) - bare_before) / seconds
        quiet = 5.0
        term.send(f"sleep {quiet + 1.5:g}\r".encode())
        time.sleep(0.5)
        before = _cpu_seconds(term.child.pid)
        time.sleep(quiet)
        quiet_job = (_cpu_seconds(term.child.pid) - before) / quiet
        term.read_until(b"exited 0, ")
    finally:
        term.close()
        bare.close()
    return at_prompt * 100, bare_prompt * 100, quiet_job * 100


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bgview-bench-") as tmp:
        home, project = Path(tmp) / "home", Path(tmp) / "proj"
        project.mkdir()
        opened, closed = bench_viewer(home, project)
        direct, through = bench_latency(home, project)
        bash_seq, repl_seq = bench_seq(home, project)
        bash_echo, repl_echo = bench_echo(home, project)
        idle_prompt, idle_bare, idle_job = bench_idle(home, project)
    added = statistics.median(through) - statistics.median(direct)
    added95 = statistics.quantiles(through, n=20)[18] - statistics.quantiles(direct, n=20)[18]
    ratio = statistics.median(repl_seq) / statistics.median(bash_seq)
    rows = [
        ("/bashes → first viewer frame", _ms(opened), "≤ 200 ms", ""),
        ("esc → prompt back", _ms(closed), "≤ 400 ms", ""),
        (
            "foreground output, added latency (median)",
            f"{added * 1000:.1f} ms",
            "≤ 10 ms",
            f"bash {statistics.median(direct) * 1000:.2f} ms, "
            f"shell {statistics.median(through) * 1000:.2f} ms",
        ),
        ("foreground output, added latency (p95)", f"{added95 * 1000:.1f} ms", "", ""),
        (
            "seq 1 1000000 through the shell",
            _ms(repl_seq),
            "≤ 1.5× bash",
            f"bash {_ms(bash_seq)}, ratio {ratio:.2f}×",
        ),
    ]
    rows.append(
        (
            "enter → `echo` output (job start)",
            _ms(repl_echo),
            "",
            f"bash -c in a new pty {_ms(bash_echo)}",
        )
    )
    rows.append(
        (
            f"shell CPU at an idle prompt ({IDLE_SECONDS:g} s)",
            f"{idle_prompt:.2f}%",
            "≤ 0.3%",
            f"bare prompt_toolkit prompt {idle_bare:.2f}% (of one core)",
        )
    )
    rows.append(("shell CPU, quiet foreground job", f"{idle_job:.1f}%", "", "of one core"))
    width = max(len(r[0]) for r in rows)
    print(f"{'figure'.ljust(width)}  {'measured':>9}  {'budget':<12}  peer")
    for name, value, budget, peer in rows:
        print(f"{name.ljust(width)}  {value:>9}  {budget:<12}  {peer}")


if __name__ == "__main__":
    main()
