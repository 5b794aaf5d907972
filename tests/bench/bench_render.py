"""Cleaned reads' budgets: output as a terminal draws it.

* A cleaned read of 100 MB of plain lines: ≥ 50 MB/s (the fast path; no terminal). Coloured
  lines with ``\\r`` progress bars, also plain (no cursor move), are printed beside it.
* Redraw-heavy output, read through the terminal: a rich three-bar progress (the recording in
  ``tests/recordings``, written again and again) and npm's spinner (``CSI 1 G`` and erase-line
  frames, a line now and then), each ≥ 5 MB/s.

Each is one read of the whole log at the job's end (``scan`` with no character cap), best of a
few runs. ``python -m tests.bench render`` runs it alone; ``BENCH_RENDER_MB`` changes the plain
log's size (default 100).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bgview.runtime.output import scan

MB = 1_000_000
PLAIN_MB = int(os.environ.get("BENCH_RENDER_MB", "100"))
REDRAW_MB = 10
RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


def _row(figure: str, value: str, budget: str, verdict: bool | None = None) -> None:
    mark = "" if verdict is None else ("ok" if verdict else "MISSED")
    print(f"  {figure:<44} {value:>12}  {budget:<12} {mark}", flush=True)


def _fill(path: Path, piece: bytes, size: int) -> int:
    """Write ``piece`` again and again to ``path`` until it holds about ``size`` bytes."""
    times = max(1, size // len(piece))
    with open(path, "wb") as handle:
        chunk = piece * max(1, (4 * MB) // len(piece))
        written = 0
        while written + len(chunk) <= len(piece) * times:
            handle.write(chunk)
            written += len(chunk)
        handle.write(piece * ((len(piece) * times - written) // len(piece)))
    return os.path.getsize(path)


def _read_rate(path: Path, runs: int = 3) -> tuple[float, int]:
    """MB/s of one whole cleaned read of ``path`` (best of ``runs``), and its characters."""
    best, chars = float("inf"), 0
    for _ in range(runs):
        fd = os.open(path, os.O_RDONLY)
        try:
            started = time.perf_counter()
            result = scan(fd, 0, 0, True, max_chars=1 << 62)
            best = min(best, time.perf_counter() - started)
            chars = len(result.text)
        finally:
            os.close(fd)
    return os.path.getsize(path) / MB / best, chars


def _measure(name: str, make: Callable[[Path], int], budget: float | None, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "output.log"
        size = make(path)
        rate, chars = _read_rate(path, runs)
    label = f"{name} ({size / MB:.0f} MB → {chars / MB:.1f} M chars)"
    if budget is None:
        _row(label, f"{rate:.0f} MB/s", "")
    else:
        _row(label, f"{rate:.1f} MB/s", f"≥ {budget:g} MB/s", rate >= budget)


def _plain(path: Path) -> int:
    lines = b"".join(
        b"2024-05-01T12:00:%02d INFO worker %d: processed batch %06d in 12ms\n" % (n % 60, n, n)
        for n in range(1000)
    )
    return _fill(path, lines, PLAIN_MB * MB)


def _coloured(path: Path) -> int:
    lines = b"".join(
        b"\x1b[32mPASSED\x1b[0m tests/test_%03d.py::test_case \x1b[2m[%3d%%]\x1b[0m\n"
        % (n, n % 100)
        + b"".join(b"\rdownloading %d%%\x1b[K" % p for p in range(0, 101, 25))
        + b"\n"
        for n in range(500)
    )
    return _fill(path, lines, PLAIN_MB * MB // 2)


def _rich(path: Path) -> int:
    return _fill(path, (RECORDINGS / "rich_bars.bytes").read_bytes(), REDRAW_MB * MB)


def _npm(path: Path) -> int:
    spinner = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
    frames = "".join(f"{spinner[n % 10]}\x1b[1G\x1b[0K" for n in range(2000)).encode()
    return _fill(path, frames + b"\x1b[1G\x1b[0Kadded 8 packages in 863ms\n", REDRAW_MB * MB)


def main() -> None:
    _measure("plain lines", _plain, 50, 3)
    _measure("coloured lines with \\r progress bars", _coloured, None, 2)
    _measure("rich three-bar progress (redraws, CSI A)", _rich, 5, 2)
    _measure("npm spinner (CSI 1G, erase line)", _npm, 5, 2)


if __name__ == "__main__":
    main()
