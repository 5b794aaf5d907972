"""The log size cap: the newest output is kept, the disk is never filled, nobody is blocked."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys

import pytest

from bgview.runtime import JobStatus, Runtime
from bgview.runtime.supervisor import CHUNK
from tests.conftest import RunCli
from tests.support import until

MIB = 1024 * 1024
LINES = 1_000_000
# 1,000,000 numbered lines of 100 bytes: 100 MB, then a recognisable last line.
WRITER = f"""
import sys
out = sys.stdout.buffer
pad = b"x" * 90 + b"\\n"
for i in range({LINES}):
    out.write(b"%08d " % i + pad)
out.write(b"LAST LINE\\n")
"""
TOTAL = LINES * 100 + len(b"LAST LINE\n")


def test_a_1mib_cap_over_100mb_keeps_the_newest_and_bounds_the_file(rt: Runtime) -> None:
    job = rt.start([sys.executable, "-c", WRITER], max_log=MIB)
    largest = 0

    def ended() -> bool:
        nonlocal largest
        with contextlib.suppress(FileNotFoundError):
            largest = max(largest, os.stat(job.log_path).st_size)
        return rt.job(job.id).status.ended

    until(ended, timeout=50, what="the 100 MB writer to finish")
    done = rt.job(job.id)
    assert done.status is JobStatus.EXITED and done.exit_code == 0  # never blocked or killed
    assert largest <= MIB + CHUNK
    assert os.stat(job.log_path).st_size <= MIB + CHUNK
    assert done.output_bytes == TOTAL  # every byte is counted, dropped or not
    assert done.dropped_bytes > TOTAL - MIB - CHUNK

    tail = rt.peek(job.id, tail=200)
    assert tail.data.endswith(b"00999999 " + b"x" * 90 + b"\nLAST LINE\n")
    assert tail.dropped == done.dropped_bytes

    first = rt.read(job.id)
    assert first.skipped == done.dropped_bytes  # the reader is told what it missed
    assert "bytes dropped by the log size cap" in first.render()
    # The trim cuts at a line start: the first line read is whole.
    assert re.fullmatch(r"\d{8} x{90}", first.text.split("\n", 1)[0])


def test_bgview_max_log_env_caps_a_cli_job(cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BGVIEW_MAX_LOG", "256K")
    writer = "for _ in range(30000): print('z' * 99)"  # 3 MB
    started = cli("run", "--", sys.executable, "-c", writer)
    assert started.returncode == 0, started.stderr
    job_id = started.stdout.strip()
    assert cli("wait", job_id, "--timeout", "30").returncode == 0
    record = json.loads(cli("list", "--json").stdout)[0]
    assert record["output_bytes"] == 30000 * 100
    assert record["dropped_bytes"] > 0
    assert os.stat(record["log_path"]).st_size <= 256 * 1024 + CHUNK
