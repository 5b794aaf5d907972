"""`bgview output --all`, `--raw` and `--since` through the real CLI, and the agents'
`bash_output(since=...)`: the whole log or the part written since a time, moving no cursor."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bgview.agent import ToolHandler
from bgview.runtime import Runtime
from bgview.runtime.errors import InvalidRequest
from bgview.runtime.export import parse_since
from tests.conftest import RunCli
from tests.support import until

# Coloured lines, a progress bar redrawn with \r, then, later, two more lines.
EARLY_THEN_LATE = (
    "import sys, time\n"
    "out = sys.stdout\n"
    "out.write('\\x1b[32mearly one\\x1b[0m\\nearly 50%\\rearly 100%\\n'); out.flush()\n"
    "time.sleep(3)\n"
    "out.write('late one\\nlate two\\n'); out.flush()\n"
)


def ok(done: object) -> str:
    assert getattr(done, "returncode", None) == 0, getattr(done, "stderr", "")
    return str(getattr(done, "stdout", ""))


def start(cli: RunCli, script: str) -> tuple[str, Path]:
    job_id = ok(cli("run", "--", sys.executable, "-c", script)).strip()
    record = json.loads(ok(cli("list", "--json")))[0]
    return job_id, Path(record["log_path"])


def test_all_prints_the_whole_cleaned_log_and_moves_no_cursor(cli: RunCli) -> None:
    job_id, _ = start(cli, EARLY_THEN_LATE)
    ok(cli("wait", job_id, "--timeout", "30"))
    whole = "early one\nearly 100%\nlate one\nlate two\n"
    assert ok(cli("output", job_id, "--all")) == whole
    assert ok(cli("output", job_id, "--all")) == whole  # again: nothing was consumed
    assert ok(cli("output", job_id)) == whole  # the agent's cursor did not move either
    assert ok(cli("output", job_id, "--all", "--filter", "^late")) == "late one\nlate two\n"


def test_raw_prints_the_bytes_as_written(
    cli: RunCli, home: Path, project: Path, tmp_path: Path
) -> None:
    job_id, log = start(cli, EARLY_THEN_LATE)
    ok(cli("wait", job_id, "--timeout", "30"))
    export = tmp_path / "build.txt"
    with open(export, "wb") as out:  # bgview output bash_1 --raw > build.txt
        done = subprocess.run(
            [sys.executable, "-m", "bgview", "output", job_id, "--raw"],
            cwd=project,
            env={**os.environ, "BGVIEW_HOME": str(home)},
            stdout=out,
            timeout=30,
        )
    assert done.returncode == 0
    assert export.read_bytes() == log.read_bytes()
    assert b"\x1b[32mearly one" in export.read_bytes()


def test_since_gives_only_what_was_written_since_then(cli: RunCli) -> None:
    job_id, log = start(cli, EARLY_THEN_LATE)
    until(lambda: b"early 100%" in log.read_bytes(), timeout=20, what="the early lines")
    seen = time.time()  # the early lines came before this, the late ones 3 s after them
    ok(cli("wait", job_id, "--timeout", "30"))
    clock = time.strftime("%H:%M:%S", time.localtime(math.ceil(seen)))
    assert ok(cli("output", job_id, "--since", clock)) == "late one\nlate two\n"
    assert ok(cli("output", job_id, "--since", "1h")) == (
        "early one\nearly 100%\nlate one\nlate two\n"
    )
    assert ok(cli("output", job_id, "--since", "0s")) == ""  # nothing since this instant
    raw = cli("output", job_id, "--since", clock, "--raw")
    assert raw.stdout == "late one\r\nlate two\r\n" or raw.stdout == "late one\nlate two\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "since takes a duration (5m, 90s, 1h30m) or a clock time"),
        (["--since", "25:00"], "since takes a duration"),
        (["--all", "--peek"], "no --peek or --wait"),
        (["--raw", "--filter", "x"], "--raw gives the bytes as written"),
    ],
)
def test_bad_input_is_one_clear_line(cli: RunCli, args: list[str], message: str) -> None:
    job_id, _ = start(cli, "print('hi')")
    done = cli("output", job_id, *args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr


def test_all_says_what_the_size_cap_dropped(cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BGVIEW_MAX_LOG", "64K")
    job_id, _ = start(cli, "for i in range(3000): print(f'{i:05d} ' + 'z' * 93)")
    ok(cli("wait", job_id, "--timeout", "30"))
    done = cli("output", job_id, "--all")
    lines = ok(done).splitlines()
    assert lines[-1] == "02999 " + "z" * 93 and len(lines) < 3000
    assert "bytes dropped by the log size cap" in done.stderr


@pytest.mark.parametrize(
    ("text", "ago"),
    [("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172_800), ("0.5m", 30)],
)
def test_durations(text: str, ago: float) -> None:
    assert parse_since(text, now=10_000_000.0) == 10_000_000.0 - ago


def test_a_clock_time_later_than_now_is_yesterday() -> None:
    now = time.mktime((2026, 12, 2, 9, 0, 0, 0, 0, -1))
    assert parse_since("14:00", now) == now + 5 * 3600 - 86400
    assert parse_since("08:30", now) == now - 1800
    with pytest.raises(InvalidRequest):
        parse_since("8:61", now)


def test_bash_output_since(rt: Runtime) -> None:
    handler = ToolHandler(rt)
    job = rt.start([sys.executable, "-c", EARLY_THEN_LATE])
    until(lambda: b"early 100%" in Path(job.log_path).read_bytes(), timeout=20, what="early")
    seen = math.ceil(time.time())
    until(lambda: rt.job(job.id).status.ended, timeout=20, what="the job's end")
    clock = time.strftime("%H:%M", time.localtime(seen - 3600))
    whole = handler.call("bash_output", {"shell_id": job.id, "since": clock})
    assert not whole.is_error
    assert whole.text.startswith("early one\nearly 100%\nlate one\nlate two\n")
    late = handler.call("bash_output", {"shell_id": job.id, "since": f"{time.time() - seen:.1f}s"})
    assert late.text.startswith("late one\nlate two\n")
    assert late.data is not None and late.data["lines"] == ["late one", "late two"]
    new = handler.call("bash_output", {"shell_id": job.id})  # the cursor never moved
    assert new.text.startswith("early one\n")
    bad = handler.call("bash_output", {"shell_id": job.id, "since": "soon"})
    assert bad.is_error and "since takes a duration" in bad.text
