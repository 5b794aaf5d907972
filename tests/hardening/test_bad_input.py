"""Bad input, as a table: each gets one clear line on stderr, exit status 2, and no effect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bgview.cli import main
from bgview.runtime import Runtime
from bgview.runtime.api import default_max_log
from bgview.runtime.errors import InvalidRequest
from bgview.runtime.logstate import DEFAULT_MAX_LOG
from tests.conftest import RunCli

LONG_ID = "bash_" + "1" * 10_000


@pytest.fixture(scope="module")
def store_with_one_job(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store holding bash_1, an ended job whose output is one 100,000-character line."""
    base = tmp_path_factory.mktemp("bad-input")
    home, project = base / "home", base / "proj"
    project.mkdir()
    first = _run_with_home(
        str(home), "run", "--", sys.executable, "-c", "print('x' * 100_000)", cwd=project
    )
    assert first.stdout.strip() == "bash_1"
    assert (
        _run_with_home(str(home), "wait", "bash_1", "--timeout", "10", cwd=project).returncode == 0
    )
    return home, project


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # ids: a path, zero, negative, enormous, unicode digits, trailing junk
        (["output", "../x"], "invalid job id '../x'"),
        (["output", "bash_0"], "invalid job id 'bash_0'"),
        (["output", "bash_-1"], "invalid job id 'bash_-1'"),
        (["kill", LONG_ID], "invalid job id 'bash_1111111111"),
        (["output", "bash_١"], "invalid job id"),
        (["wait", "bash_1; rm -rf /"], "invalid job id"),
        (["output", "bash_7"], "no job bash_7"),
        # regexes: invalid, and catastrophic backtracking on a long line (bounded in time; it
        # takes a backreference, which RE2 cannot run, to reach the backtracking engine)
        (["output", "bash_1", "--filter", "("], "invalid filter regex '('"),
        (["output", "bash_1", "--exclude", "[z-a]"], "invalid exclude regex"),
        (["wait", "bash_1", "--for", "(?P<x"], "invalid --for regex"),
        (["output", "bash_1", "--filter", r"(x+x+)+y\1"], "took over"),
        # ranges
        (["output", "bash_1", "--peek", "--tail", "0"], "not a size: '0'"),
        (["output", "bash_1", "--peek", "--tail", "2M"], "over the limit"),
        (["output", "bash_1", "--peek", "--tail", "lots"], "not a size"),
        (["run", "--timeout", "-5", "sleep 1"], "not a number of seconds"),
        (["run", "--timeout", "1e9", "sleep 1"], "out of range"),
        (["run", "--timeout", "soon", "sleep 1"], "not a number of seconds"),
        (["wait", "bash_1", "--timeout", "nan"], "not a number of seconds"),
        (["kill", "bash_1", "--grace", "99999"], "out of range"),
        (["run", "--max-log", "1k", "sleep 1"], "too small"),
        # numbers that are not numbers: inf, nan, overflowing, negative (-0 too: a typed sign)
        (["run", "--max-log", "inf", "sleep 1"], "not a size: 'inf'"),
        (["run", "--max-log", "nan", "sleep 1"], "not a size: 'nan'"),
        (["run", "--max-log", "1e400", "sleep 1"], "not a size: '1e400'"),  # inf as a float
        (["run", "--max-log", "-1", "sleep 1"], "not a size: '-1'"),
        (["run", "--max-log", "infG", "sleep 1"], "not a size: 'infG'"),  # with a unit
        (["run", "--timeout", "inf", "sleep 1"], "not a number of seconds: 'inf'"),
        (["run", "--timeout", "nan", "sleep 1"], "not a number of seconds: 'nan'"),
        (["run", "--timeout", "1e400", "sleep 1"], "not a number of seconds: '1e400'"),
        (["run", "--timeout", "-0", "sleep 1"], "not a number of seconds: '-0'"),
        (["output", "bash_1", "--peek", "--tail", "inf"], "not a size: 'inf'"),
        (["output", "bash_1", "--peek", "--tail", "nan"], "not a size: 'nan'"),
        (["output", "bash_1", "--peek", "--tail", "1e400"], "not a size: '1e400'"),
        (["output", "bash_1", "--peek", "--tail", "-1"], "not a size: '-1'"),
        (["output", "bash_1", "--wait", "inf"], "not a number of seconds: 'inf'"),
        (["output", "bash_1", "--wait", "nan"], "not a number of seconds: 'nan'"),
        (["output", "bash_1", "--wait", "-1"], "not a number of seconds: '-1'"),
        (["wait", "bash_1", "--timeout", "inf"], "not a number of seconds: 'inf'"),
        (["wait", "bash_1", "--timeout", "1e400"], "not a number of seconds: '1e400'"),
        (["wait", "bash_1", "--timeout", "-1"], "not a number of seconds: '-1'"),
        (["kill", "bash_1", "--grace", "inf"], "not a number of seconds: 'inf'"),
        (["kill", "bash_1", "--grace", "nan"], "not a number of seconds: 'nan'"),
        (["kill", "bash_1", "--grace", "-1"], "not a number of seconds: '-1'"),
        # prune: nan compares false with every age, so it once deleted every finished job;
        # the finished bash_1 must still be there afterwards (checked below)
        (["prune", "--older-than", "nan"], "not an age: 'nan'"),
        (["prune", "--older-than", "nand"], "not an age: 'nand'"),  # nan days
        (["prune", "--older-than", "inf"], "not an age: 'inf'"),
        (["prune", "--older-than", "1e400"], "not an age: '1e400'"),
        (["prune", "--older-than", "1e306d"], "not an age: '1e306d'"),  # finite, inf in days
        (["prune", "--older-than", "-1"], "not an age: '-1'"),
        (["prune", "--older-than=-1d"], "not an age: '-1d'"),
        (["prune", "--older-than", "soon"], "not an age: 'soon'"),
        # empty commands
        (["run", ""], "empty command"),
        (["run", "   "], "empty command"),
        (["run", "--"], "nothing to run after --"),
        (["run"], "nothing to run"),
        (["run", "--name", "", "true"], "a job name must be"),
        # unknown words
        (["frobnicate"], "invalid choice"),
        (["list", "--colour"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    store_with_one_job: tuple[Path, Path], args: list[str], message: str
) -> None:
    home, project = store_with_one_job
    result = _run_with_home(str(home), *args, cwd=project)
    assert result.returncode == 2, result
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one line
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    listed = _run_with_home(str(home), "list", "--json", cwd=project)
    assert listed.stdout.count('"id"') == 1  # nothing else happened: no job was started
    assert '"id": "bash_1"' in listed.stdout  # and none was deleted


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        # a log cap that is not a size, or below the smallest, is refused rather than ignored
        ("BGVIEW_MAX_LOG", "lots", "BGVIEW_MAX_LOG='lots' is not a size"),
        ("BGVIEW_MAX_LOG", "-1", "BGVIEW_MAX_LOG='-1' is not a size"),
        ("BGVIEW_MAX_LOG", "inf", "BGVIEW_MAX_LOG='inf' is not a size"),
        ("BGVIEW_MAX_LOG", "nan", "BGVIEW_MAX_LOG='nan' is not a size"),
        ("BGVIEW_MAX_LOG", "1e400", "BGVIEW_MAX_LOG='1e400' is not a size"),
        ("BGVIEW_MAX_LOG", "1k", "BGVIEW_MAX_LOG='1k' is too small"),
        # an owner that is not a process id: the job would silently not be owned
        ("BGVIEW_OWNER_PID", "abc", "BGVIEW_OWNER_PID='abc' is not a process id"),
        ("BGVIEW_OWNER_PID", "-5", "BGVIEW_OWNER_PID='-5' is not a process id"),
        ("BGVIEW_OWNER_PID", "0", "BGVIEW_OWNER_PID='0' is not a process id"),
        ("BGVIEW_OWNER_PID", "١٢", "BGVIEW_OWNER_PID='١٢' is not a process id"),  # not ASCII
        # an owner that cannot be running (over any pid_max): the job would end at once
        ("BGVIEW_OWNER_PID", "99999999", "BGVIEW_OWNER_PID=99999999 names no running process"),
        ("BGVIEW_OWNER_PID", "9" * 30, "names no running process"),  # over a C int, too
    ],
)
def test_a_bad_environment_starts_nothing(
    cli: RunCli, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = cli("run", "true")
    _refused(result, message)
    assert cli("list", "--json").stdout == "[]\n"  # no job was created


@pytest.mark.parametrize("command", ["shell", "mcp"])
def test_a_host_session_refuses_a_bad_max_log_before_it_starts(
    cli: RunCli, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("BGVIEW_MAX_LOG", "lots")  # else every job it started would be refused
    _refused(cli(command, stdin=subprocess.DEVNULL), "BGVIEW_MAX_LOG='lots' is not a size")


def test_an_owner_pid_of_a_process_that_has_ended_is_refused(
    cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True)
    pid = int(gone.stdout)  # exited and reaped: no process has this id now
    monkeypatch.setenv("BGVIEW_OWNER_PID", str(pid))
    _refused(cli("run", "true"), f"BGVIEW_OWNER_PID={pid} names no running process")
    assert cli("list", "--json").stdout == "[]\n"


def test_a_live_owner_pid_still_owns_the_job_and_keep_needs_none(
    cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BGVIEW_OWNER_PID", str(os.getpid()))
    owned = cli("run", "true")
    assert owned.returncode == 0, owned.stderr
    monkeypatch.setenv("BGVIEW_OWNER_PID", "abc")  # --keep reads no owner: nothing to refuse
    kept = cli("run", "--keep", "true")
    assert kept.returncode == 0, kept.stderr
    jobs = {job["id"]: job for job in json.loads(cli("list", "--json").stdout)}
    assert jobs[owned.stdout.strip()]["owner_pid"] == os.getpid()
    assert jobs[kept.stdout.strip()]["owner_pid"] is None


def test_the_python_api_refuses_a_bad_max_log_too(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    for value in ("lots", "inf", "nan", "1e400", "-1", "1k"):
        monkeypatch.setenv("BGVIEW_MAX_LOG", value)
        with pytest.raises(InvalidRequest, match="BGVIEW_MAX_LOG"):
            default_max_log()
        with pytest.raises(InvalidRequest, match="BGVIEW_MAX_LOG"):
            rt.start("true")
    assert rt.jobs() == []
    monkeypatch.setenv("BGVIEW_MAX_LOG", "")  # empty: as if unset
    assert default_max_log() == DEFAULT_MAX_LOG
    monkeypatch.setenv("BGVIEW_MAX_LOG", "1G")
    assert default_max_log() == 1024**3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # A NUL byte cannot reach a program (its argv and paths are C strings), so no shell
        # passes one; an in-process caller of the CLI can. Refused before a record is written.
        (["run", "echo a\0b"], "the command holds a NUL byte"),
        (["run", "--", "ech\0o", "x"], "the program or an argument holds a NUL byte"),
        (["run", "--", "echo", "a\0b"], "the program or an argument holds a NUL byte"),
        (["run", "--name", "we\0b", "true"], "a job name cannot hold a NUL byte"),
        (["run", "--cwd", "sr\0c", "true"], "--cwd holds a NUL byte"),
    ],
)
def test_a_nul_byte_starts_nothing(
    cli: RunCli,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(project)
    status = main(args)
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.startswith(f"bgview: {message}"), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert cli("list", "--json").stdout == "[]\n"  # no job was created


def _refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    """Exit status 2, nothing on stdout, and one line on stderr that says ``message``."""
    assert result.returncode == 2, result
    assert message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_shell_strings_run_exactly_as_the_shell_would(cli: RunCli) -> None:
    job = cli("run", """printf '%s|' "a b" 'c"d' $(echo e f) "$((6*7))"; echo""").stdout.strip()
    assert cli("wait", job).returncode == 0
    assert cli("output", job).stdout == 'a b|c"d|e|f|42|\n'


def test_argv_after_dashes_is_never_interpreted(cli: RunCli) -> None:
    job = cli("run", "--", "printf", "%s|", "$(echo no)", "*", "a;b").stdout.strip()
    assert cli("wait", job).returncode == 0
    assert cli("output", job).stdout == "$(echo no)|*|a;b|\n"


def _run_with_home(home: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bgview", *args],
        cwd=cwd,
        env={**os.environ, "BGVIEW_HOME": home},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_bgview_home_that_cannot_be_created(tmp_path: Path, project: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = _run_with_home(str(blocker / "home"), "run", "true", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith(f"bgview: cannot create {blocker}")
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_a_store_owned_by_another_user_is_refused(tmp_path: Path, project: Path) -> None:
    store = tmp_path / "theirs"
    store.mkdir(mode=0o700)
    if os.geteuid() != 0:
        pytest.fail("giving a directory to another user needs root, which CI here has")
    os.chown(store, 12345, 12345)
    for args in (["run", "true"], ["list"], ["notices"]):
        result = _run_with_home(str(store), *args, cwd=project)
        assert result.returncode == 2, args
        assert "belongs to another user" in result.stderr
        assert result.stderr.count("\n") == 1
    assert os.listdir(store) == []  # nothing was written into it
