"""Bad input, as a table: each gets one clear line on stderr, exit status 2, and no effect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
        # regexes: invalid, and catastrophic backtracking on a long line (bounded in time)
        (["output", "bash_1", "--filter", "("], "invalid filter regex '('"),
        (["output", "bash_1", "--exclude", "[z-a]"], "invalid exclude regex"),
        (["wait", "bash_1", "--for", "(?P<x"], "invalid --for regex"),
        (["output", "bash_1", "--filter", "(x+x+)+y"], "took over"),
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
