"""The MCP server's budgets, measured through the ``mcp`` SDK's own stdio client.

* A warm ``bash`` call with ``run_in_background=true`` answers in ≤ 50 ms (median). Peers: the
  same start as a tmux user does it (``tmux new-window -d``), and a bare ``Popen`` (the floor).
* ``bash_output`` with ``wait_seconds=30`` returns within 20 ms of the job's next line. Peer: the
  same program read straight from a pipe by its parent (the floor).

``python -m tests.bench mcp`` runs it alone. Each figure is over a few dozen samples in one
run; this machine is shared, so compare ratios rather than absolute times.
"""

from __future__ import annotations

import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import mcp_types as types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

STARTS = 30
LINES = 25
GAP = 0.12
"""Seconds between the job's lines: each bash_output call is waiting when the next comes."""
TICKER = (
    "import sys, time\n"
    f"for i in range({LINES + 2}):\n"
    f"    time.sleep({GAP} + (i % 5) * 0.007)\n"
    "    sys.stdout.write(repr(time.time()) + '\\n'); sys.stdout.flush()\n"
)


def _text(result: types.CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, types.TextContent) and not result.is_error, result
    return block.text


def _ms(samples: list[float]) -> tuple[float, float]:
    """Median and 90th percentile, in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.9) - 1] * 1000


async def _mcp_figures(home: Path, project: Path) -> tuple[list[float], list[float]]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "bgview", "mcp"],
        env={"BGVIEW_HOME": str(home)},
        cwd=str(project),
    )
    starts: list[float] = []
    wakes: list[float] = []
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        for _ in range(5):  # warm: imports, the first thread, the store's directories
            await session.call_tool("bash", {"command": "true", "run_in_background": True})
        for _ in range(STARTS):
            began = time.perf_counter()
            result = await session.call_tool("bash", {"command": "true", "run_in_background": True})
            starts.append(time.perf_counter() - began)
            assert _text(result).startswith("started bash_")
        ticker = f"{shlex.quote(sys.executable)} -c {shlex.quote(TICKER)}"
        text = _text(
            await session.call_tool("bash", {"command": ticker, "run_in_background": True})
        )
        job_id = text.split()[1]
        first = True
        while len(wakes) < LINES:
            result = await session.call_tool(
                "bash_output", {"shell_id": job_id, "wait_seconds": 30, "filter": r"^\d"}
            )
            now = time.time()
            stamps = [float(line) for line in _text(result).splitlines() if line[:1].isdigit()]
            if not stamps:
                raise AssertionError(f"no line within 30 s: {_text(result)!r}")
            if not first:  # the first call may find a line already written
                wakes.append(now - stamps[0])
            first = False
    return starts, wakes


def _tmux_starts() -> list[float] | None:
    """``tmux new-window -d true`` on a private server: how a tmux user starts a job."""
    if shutil.which("tmux") is None:
        return None
    socket = f"bgview-bench-{os.getpid()}"
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "80", "-y", "24"], check=True)
    try:
        samples = []
        for _ in range(STARTS):
            began = time.perf_counter()
            subprocess.run(["tmux", "-L", socket, "new-window", "-d", "true"], check=True)
            samples.append(time.perf_counter() - began)
        return samples
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)


def _popen_starts() -> list[float]:
    samples = []
    children = []
    for _ in range(STARTS):
        began = time.perf_counter()
        children.append(subprocess.Popen(["bash", "-c", "true"], start_new_session=True))
        samples.append(time.perf_counter() - began)
    for child in children:
        child.wait()
    return samples


def _pipe_wakes() -> list[float]:
    """The ticker read straight from a pipe by its parent: no store, no protocol."""
    child = subprocess.Popen([sys.executable, "-c", TICKER], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    samples = []
    for line in child.stdout:
        samples.append(time.time() - float(line))
    child.wait()
    return samples[1 : LINES + 1]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bgview-bench-") as tmp:
        home, project = Path(tmp) / "home", Path(tmp) / "proj"
        project.mkdir()
        starts, wakes = anyio.run(_mcp_figures, home, project)
    tmux = _tmux_starts()
    popen = _popen_starts()
    pipe = _pipe_wakes()

    start_med, start_p90 = _ms(starts)
    wake_med, wake_p90 = _ms(wakes)
    rows = [
        ("figure", "median", "p90", "budget", "vs peer (median)"),
        (
            f"MCP bash run_in_background (warm, n={STARTS})",
            f"{start_med:.1f} ms",
            f"{start_p90:.1f} ms",
            "≤ 50 ms",
            "",
        ),
    ]
    if tmux is not None:
        med, p90 = _ms(tmux)
        rows.append(
            (
                "  peer: tmux new-window -d",
                f"{med:.1f} ms",
                f"{p90:.1f} ms",
                "",
                f"×{start_med / med:.2f}",
            )
        )
    med, p90 = _ms(popen)
    rows.append(
        (
            "  floor: Popen(start_new_session)",
            f"{med:.1f} ms",
            f"{p90:.1f} ms",
            "",
            f"×{start_med / med:.1f}",
        )
    )
    rows.append(
        (
            f"MCP bash_output wait_seconds=30, line → result (n={len(wakes)})",
            f"{wake_med:.1f} ms",
            f"{wake_p90:.1f} ms",
            "≤ 20 ms",
            "",
        )
    )
    med, p90 = _ms(pipe)
    rows.append(
        (
            "  floor: parent reading a pipe",
            f"{med:.2f} ms",
            f"{p90:.2f} ms",
            "",
            f"+{wake_med - med:.1f} ms",
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    verdict = start_med <= 50 and wake_med <= 20
    print("within budget" if verdict else "OVER BUDGET")


if __name__ == "__main__":
    main()
