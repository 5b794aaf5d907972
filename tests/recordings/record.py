"""Record a program's output as bgview keeps it, and what tmux shows for those bytes.

``python -m tests.recordings.record NAME -- COMMAND...`` runs the command in a pty of
120×40 set up as a job's (``bgview.runtime.ptyexec``: no output post-processing, so ``\\n``
stays ``\\n``) and saves every byte to ``NAME.bytes`` (cut at ``--max`` bytes), then writes
``NAME.tmux`` beside it: tmux's whole history and visible screen after ``cat``-ing the same
bytes into a detached session of that size, the reference the tests compare bgview with
(``tmux_capture``). ``--keys 'q' --after 2`` types keys into the program after a delay (to end
a full-screen program the way a person would).
"""

from __future__ import annotations

import argparse
import errno
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bgview.runtime.ptyexec import spawn

HERE = Path(__file__).parent
COLS, ROWS = 120, 40


def record(argv: list[str], cwd: str, keys: bytes, after: float, limit: float) -> bytes:
    """Every byte ``argv`` writes to its terminal until it ends (or ``limit`` seconds)."""
    os.environ["TERM"] = "xterm-256color"
    pid, master, reason = spawn(argv, cwd, "recording", COLS, ROWS)
    if not pid:
        raise SystemExit(reason)
    out = bytearray()
    start = time.monotonic()
    sent = not keys
    while True:
        elapsed = time.monotonic() - start
        if not sent and elapsed >= after:
            os.write(master, keys)
            sent = True
        if elapsed > limit:
            os.kill(pid, 15)
        ready, _, _ = select.select([master], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError as exc:
            if exc.errno == errno.EIO:  # the terminal's last writer has gone
                break
            raise
        if not chunk:
            break
        out += chunk
    os.close(master)
    os.waitpid(pid, 0)
    return bytes(out)


def tmux_capture(data: bytes, cols: int = COLS, rows: int = ROWS) -> tuple[str, str]:
    """``(history and screen, visible screen)`` of a tmux pane of ``cols``×``rows`` that was
    given ``data`` (its pty turns ``\\n`` into ``\\r\\n``, as a job's terminal would), each line
    with its trailing blanks removed and no trailing empty lines; wrapped lines are joined."""
    tmux = shutil.which("tmux")
    if tmux is None:
        raise RuntimeError("tmux is not installed")
    socket = f"bgview-rec-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data"
        path.write_bytes(data)
        done = Path(tmp) / "done"
        base = [tmux, "-L", socket, "-f", "/dev/null"]
        script = f"stty cols {cols} rows {rows}; cat {path}; touch {done}; exec sleep 600"
        try:
            subprocess.run(
                [*base, "new-session", "-d", "-x", str(cols), "-y", str(rows), "sh", "-c", script],
                check=True,
                env={**os.environ, "TERM": "xterm-256color"},
            )
            subprocess.run([*base, "set", "-g", "history-limit", "1000000"], check=True)
            deadline = time.monotonic() + 30
            while not done.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # tmux has read all of it once cat ended; let it draw
            capture = [*base, "capture-pane", "-p", "-J", "-t", "0"]
            whole = subprocess.run([*capture, "-S", "-"], capture_output=True, check=True)
            screen = subprocess.run(capture, capture_output=True, check=True)
        finally:
            subprocess.run([*base, "kill-server"], capture_output=True)
    return _tidy(whole.stdout), _tidy(screen.stdout)


def _tidy(captured: bytes) -> str:
    lines = [line.rstrip() for line in captured.decode("utf-8", "replace").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def write_reference(name: str, data: bytes) -> None:
    """``NAME.tmux``: the whole capture, a line of ``=`` signs, the visible screen."""
    whole, screen = tmux_capture(data)
    (HERE / f"{name}.tmux").write_text(f"{whole}\n{'=' * 20} screen\n{screen}\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--cwd", default=".")
    parser.add_argument("--keys", default="")
    parser.add_argument("--after", type=float, default=0.0)
    parser.add_argument("--limit", type=float, default=120.0)
    parser.add_argument("--max", type=int, default=300_000)
    parser.add_argument("--cut-before", default="", help="end the recording before this")
    parser.add_argument("--reference-only", action="store_true")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.argv = argv[split + 1 :]
    target = HERE / f"{args.name}.bytes"
    if args.reference_only:
        data = target.read_bytes()
    else:
        data = record(args.argv, args.cwd, args.keys.encode(), args.after, args.limit)
        if args.cut_before:
            at = data.rfind(args.cut_before.encode().decode("unicode_escape").encode("latin-1"))
            data = data[:at] if at > 0 else data
        data = data[: args.max]
        target.write_bytes(data)
    write_reference(args.name, data)
    print(f"{target.name}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
