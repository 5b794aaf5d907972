"""Attaching's budget: a key typed → the job's echo on screen, p50 ≤ 2× the same in a tmux
pane, each measured in tmux (120×40) by one harness, in the same run:

- the peer: a tmux pane running ``cat`` itself (the key reaches its pty, the pty echoes it);
- ``bgview attach ID`` in a tmux pane, on a job running ``cat`` (the key goes through the
  attached terminal, the job's ``stdin`` FIFO and its supervisor into its pty; the echo back
  through its log);
- the viewer's ``a`` on the same job (the echo drawn by the viewer's emulated terminal).

The harness is a tmux control-mode client (``tmux -C``): it types each key with
``send-keys`` and takes the time of the first ``%output`` of the pane that carries the key's
character (escape sequences removed), which is when tmux drew it. Within a line every key is
a different letter, so a redraw of the line (the viewer redraws a changed row whole) is never
taken for the echo of a key typed before.

A second peer is tmux attaching itself: ``tmux attach`` in the pane, to a session of another
tmux server that runs ``cat`` — a client and a server between the pane and the job's pty, as
bgview has the attached terminal and the job's supervisor.

``python -m tests.bench.bench_attach attach`` runs one part (``tmux-attach``, ``attach``,
``viewer``) beside the tmux pane.
"""

from __future__ import annotations

import os
import random
import re
import select
import shlex
import string
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bgview.runtime import Runtime
from tests.bench.viewer_kit import chosen_parts, percentile, scratch

SOCKET = f"bgview-bench-attach-{os.getpid()}"
KEYS = 150
"""Keys timed in each pane."""
LINE = 20
"""Keys typed on one line before an Enter (untimed) starts the next: each a new letter."""
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b."
)
CAT = ["bash", "-c", "echo CAT-IS-READING; exec cat"]
"""The job, and the peer pane's program: ``cat`` echoing what is typed (its pty does)."""
_OCTAL = re.compile(rb"\\([0-7]{3})")

Row = tuple[str, str, str, str, str]


def tmux(*args: str) -> str:
    """A tmux command on the bench's own server; its output."""
    done = subprocess.run(
        ["tmux", "-L", SOCKET, "-f", "/dev/null", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


class Control:
    """A tmux control-mode client of the bench's session: commands in, the panes' output
    (``%output``) out, each line read as soon as tmux writes it."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["tmux", "-L", SOCKET, "-f", "/dev/null", "-C", "attach", "-t", "bench"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.out = self.proc.stdout.fileno()
        self.into = self.proc.stdin.fileno()
        os.set_blocking(self.out, False)
        self._buffer = b""

    def command(self, line: str) -> None:
        os.write(self.into, line.encode() + b"\n")

    def lines(self, until: float) -> list[bytes]:
        """Whole lines tmux wrote, waiting for some until ``until`` (perf_counter)."""
        while b"\n" not in self._buffer:
            left = until - time.perf_counter()
            if left <= 0 or not select.select([self.out], [], [], left)[0]:
                return []
            chunk = os.read(self.out, 1 << 16)
            if not chunk:
                raise RuntimeError("the tmux control client went away")
            self._buffer += chunk
        *whole, self._buffer = self._buffer.split(b"\n")
        return whole

    def drain(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.lines(end)

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(5)


def output_text(line: bytes) -> str | None:
    """The text of a ``%output`` line (its octal escapes undone, escape sequences removed)."""
    if not line.startswith(b"%output "):
        return None
    data = line.split(b" ", 2)[2] if line.count(b" ") >= 2 else b""
    raw = _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), data)
    return _ESCAPES.sub("", raw.decode("utf-8", "replace"))


def wait_for_screen(text: str, timeout: float = 30.0) -> None:
    """Until ``text`` is on the pane (a start-up, not a timed thing)."""
    end = time.monotonic() + timeout
    while text not in tmux("capture-pane", "-p", "-t", "bench"):
        if time.monotonic() > end:
            raise RuntimeError(f"{text!r} never showed:\n" + tmux("capture-pane", "-p"))
        time.sleep(0.05)


def echo_latencies(control: Control) -> list[float]:
    """Milliseconds from each key's ``send-keys`` to its echo in the pane's output."""
    latencies: list[float] = []
    letters = string.ascii_lowercase
    control.drain(0.3)
    for number in range(KEYS):
        if number and number % LINE == 0:
            control.command("send-keys -t bench Enter")
            control.drain(0.1)
        key = letters[number % LINE]
        sent = time.perf_counter()
        control.command(f"send-keys -t bench {key}")
        deadline = sent + 2.0
        seen: float | None = None
        while seen is None and time.perf_counter() < deadline:
            for line in control.lines(deadline):
                text = output_text(line)
                if text is not None and key in text:
                    seen = time.perf_counter()
                    break
        latencies.append((seen - sent) * 1000 if seen is not None else 2000.0)
        control.drain(random.uniform(0.03, 0.07))  # out of phase with any poll
    return latencies


def in_pane(command: list[str], ready: str, then: tuple[str, str] | None = None) -> list[float]:
    """``command`` in a fresh 120×40 tmux session; once ``ready`` shows (and ``then``'s key
    was typed and its text shows), the echo latencies of :data:`KEYS` keys."""
    tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", "bench", shlex.join(command))
    try:
        wait_for_screen(ready)
        if then is not None:
            tmux("send-keys", "-t", "bench", then[0])
            wait_for_screen(then[1])
        control = Control()
        try:
            return echo_latencies(control)
        finally:
            control.close()
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)


def bgview_argv(home: Path, project: Path, *args: str) -> list[str]:
    return [
        "env",
        f"BGVIEW_HOME={home}",
        sys.executable,
        "-m",
        "bgview",
        "--project",
        str(project),
        *args,
    ]


def with_cat_job(run: Callable[[Path, Path, str], list[float]]) -> list[float]:
    """``run`` on a store with one job running ``cat``, ended after."""
    with scratch("attach") as base:
        home, project = base / "home", base / "proj"
        project.mkdir()
        rt = Runtime(project, home=home)
        job = rt.start(CAT, size=(120, 40))
        rt.wait(job.id, pattern="CAT-IS-READING", timeout=10)
        try:
            return run(home, project, job.id)
        finally:
            rt.kill(job.id, grace=0.5)


def part_cat() -> list[float]:
    return in_pane(CAT, "CAT-IS-READING")


def part_tmux_attach() -> list[float]:
    """``tmux attach`` in the pane, to a session of a second tmux server running ``cat``:
    what attaching costs tmux itself (a client and a server between the pane and the job's
    pty, as bgview has its attached terminal and the job's supervisor)."""
    inner = ["tmux", "-L", f"{SOCKET}-inner", "-f", "/dev/null"]
    subprocess.run(
        [*inner, "new-session", "-d", "-x", "120", "-y", "40", "-s", "inner", shlex.join(CAT)],
        check=True,
    )
    try:
        return in_pane([*inner, "attach", "-t", "inner"], "CAT-IS-READING")
    finally:
        subprocess.run([*inner, "kill-server"], capture_output=True)


def part_attach() -> list[float]:
    def run(home: Path, project: Path, job_id: str) -> list[float]:
        return in_pane(bgview_argv(home, project, "attach", job_id), f"attached to {job_id}")

    return with_cat_job(run)


def part_viewer() -> list[float]:
    def run(home: Path, project: Path, job_id: str) -> list[float]:
        return in_pane(
            bgview_argv(home, project), f"{job_id} · ", then=("a", f"attached to {job_id}")
        )

    return with_cat_job(run)


PARTS = {
    "cat": part_cat,
    "tmux-attach": part_tmux_attach,
    "attach": part_attach,
    "viewer": part_viewer,
}


def main(parts: list[str] | None = None) -> None:
    chosen = chosen_parts(parts, PARTS)
    if "cat" not in chosen:
        chosen = ["cat", *chosen]  # the peer, in every run
    results = {name: PARTS[name]() for name in chosen}
    floor = results["cat"]
    floor50 = percentile(floor, 50)
    rows: list[Row] = [
        (
            "tmux pane running cat: key → echo",
            f"p50 {floor50:.2f} ms",
            "",
            f"p90 {percentile(floor, 90):.2f} ms, p99 {percentile(floor, 99):.2f} ms",
            "the peer",
        )
    ]
    names = {
        "tmux-attach": "tmux attach (nested) in tmux",
        "attach": "bgview attach in tmux",
        "viewer": "the viewer's a, in tmux",
    }
    for name, latencies in results.items():
        if name == "cat":
            continue
        p50 = percentile(latencies, 50)
        ratio = f"{p50 / floor50:.1f}× tmux"
        if name != "tmux-attach" and "tmux-attach" in results:
            ratio += f", {p50 / percentile(results['tmux-attach'], 50):.1f}× tmux attach"
        rows.append(
            (
                f"{names[name]}: key → echo",
                f"p50 {p50:.2f} ms",
                "p50 ≤ 2× tmux" if name == "attach" else "",
                f"p90 {percentile(latencies, 90):.2f} ms, p99 {percentile(latencies, 99):.2f} ms",
                ratio,
            )
        )
    header: Row = ("figure", "measured", "budget", "detail", "same-run ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"(load {os.getloadavg()[0]:.2f}; {KEYS} keys each)")


if __name__ == "__main__":
    main(sys.argv[1:])
