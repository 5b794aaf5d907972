"""``bgview run --restart`` and ``bgview restart``, the real CLI in a temp store, as a user
runs them: the ids printed, ``list`` and ``list --json``, the notices, the one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunCli
from tests.runtime.helpers import until


def listed(cli: RunCli) -> list[dict[str, Any]]:
    result = cli("list", "--json")
    assert result.returncode == 0, result.stderr
    jobs: list[dict[str, Any]] = json.loads(result.stdout)
    return jobs


def by_id(cli: RunCli, job_id: str) -> dict[str, Any]:
    return next(job for job in listed(cli) if job["id"] == job_id)


def test_run_with_a_policy_gives_up_and_says_so_everywhere(cli: RunCli) -> None:
    started = cli(
        "run", "--name", "web", "--restart", "on-failure", "--max-restarts", "2", "--backoff",
        "0", "echo try; exit 1",
    )  # fmt: skip
    assert started.returncode == 0 and started.stdout == "bash_1\n", started.stderr
    until(lambda: by_id(cli, "bash_1")["status"] != "running", timeout=15, what="the end")
    job = by_id(cli, "bash_1")
    assert job["restart_policy"] == {"mode": "on-failure", "max_restarts": 2, "backoff": 0.0}
    assert (job["status"], job["exit_code"], job["restarts"], job["gave_up"]) == (
        "exited",
        1,
        2,
        True,
    )
    assert [(run["exit_code"], run["log_offset"]) for run in job["runs"]] == [
        (1, 0),
        (1, 4),
        (1, 8),
    ]
    assert job["restart_at"] is None and job["restart_of"] is None
    table = cli("list").stdout.splitlines()
    assert table[1].split()[:4] == ["bash_1", "exited", "1", "↻2/2"]
    notices = cli("notices").stdout.splitlines()
    assert notices[:2] == [
        "[bg:bash_1 restarted (1 of 2) after exit 1]",
        "[bg:bash_1 restarted (2 of 2) after exit 1]",
    ]
    assert notices[2].startswith("[bg:bash_1 gave up after 2 restarts: exited 1, 12B out, ")
    assert cli("output", "bash_1").stdout.startswith("try\ntry\ntry\n")


def test_a_job_waiting_to_restart_says_when_and_bgview_kill_ends_it(cli: RunCli) -> None:
    cli("run", "--restart", "always", "--backoff", "30", "echo once")
    until(lambda: by_id(cli, "bash_1")["restart_at"] is not None, what="the wait")
    assert cli("list").stdout.splitlines()[1].split()[:3] == ["bash_1", "restarting", "↻0/5"]
    killed = cli("kill", "bash_1")
    assert killed.returncode == 0
    assert killed.stdout.startswith("[bg:bash_1 killed while waiting to restart after exit 0, ")
    job = by_id(cli, "bash_1")
    assert (job["status"], job["killed_by"], job["restarts"]) == ("killed", "user", 0)


def test_restart_starts_a_finished_job_again_and_list_says_whose(
    cli: RunCli, project: Path
) -> None:
    (project / "sub").mkdir()
    cli("run", "--name", "build", "--cwd", "sub", "pwd")
    until(lambda: by_id(cli, "bash_1")["status"] == "exited", what="the first run")
    again = cli("restart", "bash_1")
    assert (again.returncode, again.stdout, again.stderr) == (0, "bash_2\n", "")
    until(lambda: by_id(cli, "bash_2")["status"] == "exited", what="the restart")
    new = by_id(cli, "bash_2")
    assert (new["restart_of"], new["name"], new["cwd"], new["command"]) == (
        "bash_1",
        "build",
        str(project / "sub"),
        "pwd",
    )
    assert cli("list").stdout.splitlines()[1].endswith("(build) (restart of bash_1) pwd")
    assert cli("output", "bash_2").stdout.startswith(f"{project / 'sub'}\n")


def test_restart_of_a_running_job_kills_it_first(cli: RunCli) -> None:
    cli("run", "--name", "web", "echo up; sleep 30")
    until(lambda: by_id(cli, "bash_1")["pid"] is not None, what="the job's pid")
    again = cli("restart", "bash_1", "--grace", "1")
    assert again.returncode == 0 and again.stdout == "bash_2\n"
    assert again.stderr.startswith("[bg:bash_1 killed by SIGTERM, ")
    old, new = by_id(cli, "bash_1"), by_id(cli, "bash_2")
    assert (old["status"], old["killed_by"]) == ("killed", "user")
    assert (new["status"], new["name"], new["restart_of"]) == ("running", "web", "bash_1")
    cli("kill", "bash_2", "--grace", "0")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["run", "--restart", "sometimes", "true"],
            "bgview run: argument --restart: invalid choice: 'sometimes'",
        ),
        (["run", "--max-restarts", "3", "true"], "bgview: max restarts and backoff go with"),
        (
            ["run", "--restart", "always", "--backoff", "99", "true"],
            "bgview: backoff 99s is out of range (0 to 60)",
        ),
        (
            ["run", "--restart", "always", "--max-restarts", "-1", "true"],
            "bgview: max restarts -1 is out of range (0 to 10000)",
        ),
        (["restart", "bash_9"], "bgview: no job bash_9 in "),
        (["restart", "../x"], "bgview: invalid job id '../x'"),
    ],
)
def test_bad_input_is_one_line_and_starts_nothing(
    cli: RunCli, argv: list[str], message: str
) -> None:
    result = cli(*argv)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""
    assert listed(cli) == []
