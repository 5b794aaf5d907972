"""The ``bgview`` command, run as a user would in a private ``BGVIEW_HOME``: the contract."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bgview.runtime import JobStatus, Runtime
from tests.conftest import RunCli
from tests.runtime.helpers import ended

Cli = Callable[..., subprocess.CompletedProcess[str]]
JSON_FIELDS = {
    "id", "name", "command", "cwd", "status", "exit_code", "signal", "pid",
    "started_at", "ended_at", "output_bytes", "log_path",
}  # fmt: skip


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_run_prints_the_id_alone_and_returns_at_once(cli: Cli, rt: Runtime) -> None:
    first = cli("run", "--", "sleep", "300")
    second = cli("run", "echo 'a shell string' | tr a-z A-Z")
    assert (ok(first), ok(second)) == ("bash_1\n", "bash_2\n")
    assert first.stderr == ""
    assert rt.job("bash_1").status is JobStatus.RUNNING  # it returned while the job runs
    assert rt.job("bash_1").argv == ("sleep", "300")
    ended(rt, "bash_2")
    assert rt.read("bash_2").text == "A SHELL STRING\n"


def test_run_options(cli: Cli, rt: Runtime, project: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    job_id = ok(cli("run", "--name", "pwd", "--cwd", str(tmp_path / "elsewhere"), "--", "pwd"))
    job = ended(rt, job_id.strip())
    assert (job.name, job.cwd) == ("pwd", str(tmp_path / "elsewhere"))
    assert rt.read(job.id).text == f"{tmp_path / 'elsewhere'}\n"
    timed = ok(cli("run", "--timeout", "0.3", "--", "sleep", "300")).strip()
    assert ended(rt, timed).status is JobStatus.TIMEOUT
    kept = ok(cli("run", "--keep", "--", "true")).strip()
    assert ended(rt, kept).keep


def test_run_refuses_a_running_name(cli: Cli) -> None:
    ok(cli("run", "--name", "dev", "--", "sleep", "300"))
    again = cli("run", "--name", "dev", "--", "sleep", "300")
    assert again.returncode == 2
    assert again.stdout == ""
    assert again.stderr == "bgview: a job named 'dev' is already running as bash_1\n"


def test_run_that_cannot_start(cli: Cli, tmp_path: Path) -> None:
    result = cli("run", "--cwd", str(tmp_path / "missing"), "--", "true")
    assert result.returncode == 1
    assert result.stdout == "bash_1\n"
    assert result.stderr == (
        f"[bg:bash_1 failed: cannot use working directory {tmp_path / 'missing'}: "
        "it does not exist]\n"
    )


def test_list_table_and_json(cli: Cli, rt: Runtime, project: Path) -> None:
    assert cli("list").stderr == "no jobs\n"
    ok(cli("run", "--name", "srv", "--", "sleep", "300"))
    ok(cli("run", "printf hello; exit 4"))
    ended(rt, "bash_2")
    table = ok(cli("list")).splitlines()
    assert re.split(r"\s{2,}", table[0]) == ["ID", "STATUS", "TIME", "OUTPUT", "COMMAND"]
    assert re.split(r"\s{2,}", table[1])[:2] == ["bash_1", "running"]
    assert table[1].endswith("(srv) sleep 300")
    row = re.split(r"\s{2,}", table[2])
    assert (row[0], row[1], row[3], row[4]) == ("bash_2", "exited 4", "5B", "printf hello; exit 4")
    records = json.loads(ok(cli("list", "--json")))
    assert [r["id"] for r in records] == ["bash_1", "bash_2"]
    for record in records:
        assert record.keys() >= JSON_FIELDS
    srv, done = records
    assert (srv["status"], srv["name"], srv["command"], srv["cwd"]) == (
        "running", "srv", "sleep 300", str(project),
    )  # fmt: skip
    assert srv["pid"] == rt.job("bash_1").pid and srv["ended_at"] is None
    assert Path(f"/proc/{srv['pid']}/cmdline").read_bytes().startswith(b"sleep\x00300")
    assert (done["status"], done["exit_code"], done["signal"], done["output_bytes"]) == (
        "exited", 4, None, 5,
    )  # fmt: skip
    assert Path(done["log_path"]).read_bytes() == b"hello"
    assert done["ended_at"] >= done["started_at"] > 0


def test_list_all_shows_every_project(cli: Cli, home: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    ok(cli("run", "--", "true"))
    ok(cli("--project", str(other), "run", "--", "true"))
    assert len(json.loads(ok(cli("list", "--json")))) == 1
    every = json.loads(ok(cli("list", "--all", "--json")))
    assert sorted(Path(r["project"]).name for r in every) == ["other", "proj"]
    assert "[other]" in ok(cli("list", "--all"))


def test_output_cursor_consumer_filter_exclude(cli: Cli, rt: Runtime) -> None:
    ok(cli("run", "printf 'ok 1\\nFAIL 2\\n\\033[31mFAIL 3\\033[0m\\nok 4\\n'"))
    ended(rt, "bash_1")
    assert ok(cli("output", "bash_1", "--filter", "^FAIL")) == "FAIL 2\nFAIL 3\n"
    assert ok(cli("output", "bash_1")) == ""  # the filtered read moved the agent's cursor
    assert ok(cli("output", "bash_1", "--consumer", "me", "--exclude", "FAIL")) == "ok 1\nok 4\n"
    assert ok(cli("output", "bash_1", "--consumer", "you")) == "ok 1\nFAIL 2\nFAIL 3\nok 4\n"


def test_output_wait_blocks_until_output(cli: Cli, rt: Runtime) -> None:
    ok(cli("run", "sleep 0.5; echo finally; sleep 300"))
    assert ok(cli("output", "bash_1", "--wait", "20")) == "finally\n"
    # with nothing new, --wait gives up after its time and prints nothing
    assert ok(cli("output", "bash_1", "--wait", "0.2")) == ""


def test_output_peek_moves_no_cursor(cli: Cli, rt: Runtime) -> None:
    ok(cli("run", "seq 1 5000"))
    ended(rt, "bash_1")
    tail = cli("output", "bash_1", "--peek", "--tail", "20")
    assert tail.returncode == 0
    assert tail.stdout.splitlines()[-1] == "5000"
    assert len(tail.stdout.encode()) <= 21
    assert tail.stderr.startswith("[showing the last 20B of ")
    assert ok(cli("output", "bash_1", "--peek")).startswith("1\n2\n")  # 64 KiB: all of it
    assert ok(cli("output", "bash_1")).startswith("1\n2\n3\n")  # the agent's cursor was at 0


def test_output_cap_through_the_cli(cli: Cli, rt: Runtime) -> None:
    ok(cli("run", "seq 1 20000"))
    ended(rt, "bash_1")
    first = ok(cli("output", "bash_1"))
    assert len(first) <= 30_000
    assert first.endswith("read bash_1 again to continue]\n")
    second = ok(cli("output", "bash_1"))
    numbers = [int(n) for n in (first + second).splitlines() if n.isdigit()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_kill(cli: Cli, rt: Runtime) -> None:
    ok(cli("run", "trap '' TERM; echo up; sleep 300"))
    assert rt.wait("bash_1", pattern="up", timeout=10)[1]
    killed = cli("kill", "bash_1", "--grace", "0.2")
    assert re.fullmatch(r"\[bg:bash_1 killed by SIGKILL, 3B out, \d+\.\ds wall\]\n", ok(killed))
    assert rt.job("bash_1").status is JobStatus.KILLED
    again = ok(cli("kill", "bash_1"))
    assert again.startswith("bash_1 had already ended: [bg:bash_1 killed by SIGKILL")


def test_wait(cli: Cli, rt: Runtime) -> None:
    ok(cli("run", "echo listening on 8080; sleep 300"))
    found = cli("wait", "bash_1", "--for", r"listening on \d+", "--timeout", "20")
    assert found.returncode == 0 and "matched" in found.stdout
    timed_out = cli("wait", "bash_1", "--timeout", "0.2")
    assert timed_out.returncode == 1
    assert timed_out.stderr == "bash_1 still running after 0.2s\n"
    ok(cli("run", "exit 7"))
    done = cli("wait", "bash_2", "--timeout", "20")
    assert done.returncode == 0
    assert done.stdout.startswith("[bg:bash_2 exited 7, 0B out, ")
    missing = cli("wait", "bash_2", "--for", "never")  # ended without it: no match, exit 1
    assert missing.returncode == 1


def test_notices(cli: Cli, rt: Runtime) -> None:
    ok(cli("run", "exit 0"))
    ok(cli("run", "--", "sleep", "300"))
    ended(rt, "bash_1")
    ok(cli("kill", "bash_2", "--grace", "1"))
    lines = ok(cli("notices")).splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "[bg:bash_1 exited 0",
        "[bg:bash_2 killed by SIGTERM",
    ]
    assert ok(cli("notices")) == ""  # each given once
    assert ok(cli("notices", "--consumer", "repl")).splitlines() == lines


def test_store_moves_with_bgview_home(cli: Cli, home: Path) -> None:
    ok(cli("run", "--", "true"))
    assert list(home.glob("projects/*/jobs/bash_1/meta.json"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # an id that names no job
        (("output", "bash_99"), r"no job bash_99 in .* \(see `bgview list`\)"),
        (("kill", "bash_99"), r"no job bash_99 in .*"),
        (("wait", "bash_99"), r"no job bash_99 in .*"),
        # an id that is not an id (and must never become a path)
        (("output", "../x"), r"invalid job id '\.\./x': ids look like bash_1"),
        (("kill", "bash_1/../../x"), r"invalid job id .*: ids look like bash_1"),
        # a bad regex, named as such
        (("output", "bash_1", "--filter", "(oops"), r"invalid filter regex '\(oops': .*"),
        (("output", "bash_1", "--exclude", "[z-a]"), r"invalid exclude regex '\[z-a\]': .*"),
        (("wait", "bash_1", "--for", "*x"), r"invalid --for regex '\*x': .*"),
        # nothing after --
        (("run", "--"), r"nothing to run after --"),
        # no command at all
        (("run",), r"nothing to run: .*"),
        # a command split into words without --
        (("run", "echo", "hi"), r"several words given: .*"),
        # a bad consumer name (it names a file)
        (("output", "bash_1", "--consumer", "../me"), r"invalid consumer name '\.\./me': .*"),
        # out-of-range numbers
        (("run", "--timeout", "x", "--", "true"), r".*not a number of seconds: 'x'.*"),
        (("output", "bash_1", "--peek", "--tail", "2M"), r".*over the limit of 1,048,576 bytes.*"),
        # --peek with options that make no sense for it
        (("output", "bash_1", "--peek", "--filter", "x"), r"--peek shows the raw tail: .*"),
        # an unknown command
        (("frobnicate",), r".*invalid choice: 'frobnicate'.*"),
    ],
)
def test_errors_are_one_line_exit_2(cli: Cli, args: tuple[str, ...], message: str) -> None:
    ok(cli("run", "--", "true"))  # bash_1 exists
    result = cli(*args)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert re.fullmatch(f"(bgview: )?{message}\n", result.stderr), result.stderr


def test_foreground_when_background_tasks_are_disabled(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``BGVIEW_DISABLE_BACKGROUND_TASKS=1``: the command runs in the foreground, its output
    streams to stdout, and its exit code is bgview's."""
    monkeypatch.setenv("BGVIEW_DISABLE_BACKGROUND_TASKS", "1")
    result = cli("run", "echo one; sleep 0.2; echo two; exit 5")
    assert result.returncode == 5
    assert result.stdout == "bash_1\none\ntwo\n"
    assert result.stderr.startswith("[bg:bash_1 exited 5, 8B out, ")


def test_prune_removes_only_ended_jobs(cli: Cli, rt: Runtime) -> None:
    ok(cli("run", "--", "true"))
    ok(cli("run", "--", "sleep", "300"))
    ended(rt, "bash_1")
    assert ok(cli("prune")) == "removed 1 finished job\n"
    assert [j["id"] for j in json.loads(ok(cli("list", "--json")))] == ["bash_2"]
    assert ok(cli("run", "--", "true")) == "bash_3\n"  # ids are never reused


def test_project_option_and_version(cli: Cli, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    ok(cli("--project", str(other), "run", "--", "true"))
    assert ok(cli("list", "--json")) == "[]\n"
    assert json.loads(ok(cli("--project", str(other), "list", "--json")))[0]["id"] == "bash_1"
    assert ok(cli("--version")) == "bgview 0.1.0\n"


def test_run_of_a_file_that_cannot_run_says_so_and_exits_1(cli: RunCli, project: Path) -> None:
    """A script or agent checking `$?` learns at once that the job failed to start."""
    (project / "notes.txt").write_text("not a program")
    result = cli("run", "--", "./notes.txt")
    assert result.returncode == 1
    assert result.stdout.strip() == "bash_1"
    assert "failed: cannot run ./notes.txt: it is not an executable file" in result.stderr


def test_wait_for_a_pattern_says_why_it_gave_up(cli: RunCli) -> None:
    """The job ended without the pattern, or the timeout came first: both exit 1, in words."""
    ended = cli("run", "echo a; exit 4").stdout.strip()
    result = cli("wait", ended, "--for", "NOPE")
    assert result.returncode == 1
    assert f"{ended} ended without matching 'NOPE'" in result.stderr and "exited 4" in result.stderr
    running = cli("run", "sleep 30").stdout.strip()
    result = cli("wait", running, "--for", "NOPE", "--timeout", "0.3")
    assert result.returncode == 1
    assert f"{running} still running after 0.3s for 'NOPE'" in result.stderr


def test_a_project_that_does_not_exist_is_refused(cli: RunCli) -> None:
    result = cli("--project", "/no/such/project", "list")
    assert result.returncode == 2
    assert result.stderr == "bgview: no such project directory: /no/such/project\n"


def test_list_says_who_asked_for_a_kill(cli: RunCli) -> None:
    job = cli("run", "sleep 30").stdout.strip()
    assert cli("kill", job, "--grace", "0").returncode == 0
    row = next(line for line in cli("list").stdout.splitlines() if line.startswith(job))
    assert "killed SIGTERM by user" in row or "killed SIGKILL by user" in row
