"""``bgview status``: the project's chip in one line — its counts, that it only reads, and the
README's tmux, starship and Claude Code snippets run as those tools run them.

Jobs are real (``bgview run`` through the runtime) except where a fact must be set by hand:
``facts.json`` on a hand-made running job (``fake``), whose lock is held as a supervisor would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from bgview.runtime import JobStatus, Runtime
from bgview.runtime.paths import project_key
from bgview.statuscount import _store_key
from tests.runtime.helpers import FakeJob, ended, until
from tests.term import Term

README = Path(__file__).resolve().parents[2] / "README.md"
BIN = Path(sys.executable).parent


Bgview = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(home: Path, project: Path) -> Bgview:
    """The real ``bgview`` in the project (or ``cwd``), its stdin ``input`` or nothing at all."""

    def run(
        *args: str, cwd: Path = project, input: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bgview", *args],
            cwd=cwd,
            env=env or {**os.environ, "BGVIEW_HOME": str(home)},
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            timeout=30,
        )

    return run


def status(cli: Bgview, *args: str, **kwargs: object) -> str:
    """``bgview status ARGS``'s one line (it must print exactly one, and exit 0)."""
    result = cli("status", *args, **kwargs)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    return lines[0]


def tree(root: Path) -> dict[str, tuple[int, int, float]]:
    """Every path under ``root`` with its mode, size and mtime: what a writer would change."""
    found = {}
    for path in [root, *root.rglob("*")]:
        st = path.lstat()
        found[str(path)] = (st.st_mode, st.st_size, st.st_mtime)
    return found


def snippet(language: str) -> str:
    """The README's code block in ``language`` under "In a status bar or a prompt"."""
    text = README.read_text().split("### In a status bar or a prompt", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(rf"```{language}\n(.*?)```", text, re.S)
    assert len(blocks) == 1, f"one ```{language} block expected in the README's statusline part"
    return str(blocks[0])


def test_no_store_at_all_is_0_jobs_and_creates_nothing(cli: Bgview, home: Path) -> None:
    assert status(cli) == "⚙ 0 jobs"
    assert status(cli, "--json") == '{"running": 0, "waiting": 0, "failed": 0, "ready": 0}'
    assert not home.exists()


def test_running_and_failed_jobs_are_counted_killed_ones_are_not(
    cli: Bgview, rt: Runtime, tmp_path: Path
) -> None:
    running = rt.start("sleep 300")
    rt.start("sleep 300")
    for command in ("exit 3", "true"):  # a failure, and a success
        ended(rt, rt.start(command).id)
    ended(rt, rt.start("sleep 5", timeout=0.2).id)  # timed out: a failure
    assert rt.start("true", cwd=str(tmp_path / "gone")).status is JobStatus.FAILED
    killed = rt.start("sleep 300")
    rt.kill(killed.id, grace=0)  # someone chose to end it: not a failure
    assert status(cli) == "⚙ 2 jobs · 3 failed"
    assert json.loads(status(cli, "--json")) == {
        "running": 2,
        "waiting": 0,
        "failed": 3,
        "ready": 0,
    }
    rt.kill(running.id, grace=0)
    assert status(cli) == "⚙ 1 job · 3 failed"


def test_a_failure_older_than_an_hour_is_history(cli: Bgview, rt: Runtime) -> None:
    job = ended(rt, rt.start("exit 1").id)
    assert status(cli) == "⚙ 0 jobs · 1 failed"
    record = job.dir / "result.json"
    final = json.loads(record.read_text())
    final["result"]["ended_at"] -= 2 * 3600
    record.write_text(json.dumps(final))
    assert status(cli) == "⚙ 0 jobs"
    os.utime(record, (final["result"]["ended_at"],) * 2)
    assert status(cli) == "⚙ 0 jobs"  # its file as old as its end: not even read


def test_waiting_and_ready_come_from_each_running_jobs_facts(
    cli: Bgview, fake: Callable[..., FakeJob]
) -> None:
    facts = [
        {"waiting_for_input": True, "ready": None},
        {"waiting_for_input": False, "ready": True},
        {"waiting_for_input": True, "ready": True},
        None,  # no facts.json yet: neither
        "garbage",
    ]
    for fact in facts:
        job = fake()
        if fact is not None:
            text = fact if isinstance(fact, str) else json.dumps(fact)
            (job.dir / "facts.json").write_text(text)
    ended_job = fake()
    (ended_job.dir / "facts.json").write_text('{"waiting_for_input": true}')
    ended_job.end(0)  # facts of a job that has ended count for nothing
    assert status(cli) == "⚙ 5 jobs · 2 waiting"
    assert status(cli, "--format", "{waiting} waiting, {ready} ready") == "2 waiting, 2 ready"


def test_the_facts_a_supervisor_gathers_are_what_is_counted(cli: Bgview, rt: Runtime) -> None:
    serving = rt.start("echo listening on 8000; sleep 300", ready="listening")
    asking = rt.start("printf 'name? '; read name; sleep 300")  # blocked on its terminal
    rt.start("sleep 300")
    assert rt.wait(serving.id, ready=True, timeout=10)[1]
    until(lambda: rt.job(asking.id).facts.waiting_for_input, timeout=15, what="the prompt")
    assert status(cli) == "⚙ 3 jobs · 1 waiting"
    assert status(cli, "--format", "{ready} ready, {waiting} waiting") == "1 ready, 1 waiting"


def test_a_vanished_supervisor_is_failed_and_status_writes_nothing(
    cli: Bgview, rt: Runtime, home: Path
) -> None:
    job_id = rt.start("sleep 300").id
    job = until(lambda: (j := rt.job(job_id)).supervisor_pid and j, what="its supervisor")
    assert job.supervisor_pid is not None
    os.kill(job.supervisor_pid, signal.SIGKILL)
    until(lambda: not (job.dir / "result.json").exists() and _lock_free(job.dir), what="death")
    before = tree(home)
    assert status(cli) == "⚙ 0 jobs · 1 failed"
    assert status(cli, "--json")
    assert tree(home) == before  # not marked lost, nothing created, nothing touched
    assert rt.job(job.id).status is JobStatus.LOST  # the runtime's readers mark it
    assert status(cli) == "⚙ 0 jobs · 1 failed"


def _lock_free(job_dir: Path) -> bool:
    import fcntl

    fd = os.open(job_dir / "supervisor.lock", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_what_is_not_private_is_skipped_and_a_foreign_store_refused(
    cli: Bgview, rt: Runtime, fake: Callable[..., FakeJob], home: Path, tmp_path: Path
) -> None:
    real = fake()
    outside = tmp_path / "outside"
    shutil.copytree(real.dir, outside, ignore=shutil.ignore_patterns("control"))
    (rt.project.jobs_dir / "bash_90").symlink_to(outside)  # a planted symlink: not followed
    open_dir = fake()
    open_dir.dir.chmod(0o777)  # writable by others: skipped, as the runtime skips it
    linked = fake()
    (outside / "facts.json").write_text('{"waiting_for_input": true}')
    (linked.dir / "facts.json").symlink_to(outside / "facts.json")  # a symlinked file: not read
    assert status(cli) == "⚙ 2 jobs"
    open_dir.dir.chmod(0o700)
    home.chmod(0o777)
    try:
        result = cli("status")
    finally:
        home.chmod(0o700)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("bgview status: refusing") and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "{nope}"), "not {nope}"),  # an unknown field is named
        (("--format", "{running"), "--format"),  # a broken format
        (("--json", "--format", "{running}"), "not both"),
        (("--color",), "unexpected '--color'"),
        (("--format",), "unexpected '--format'"),  # without its value
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli: Bgview, args: tuple[str, ...], message: str) -> None:
    result = cli("status", *args)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_help_and_the_project_it_counts(
    cli: Bgview, rt: Runtime, project: Path, tmp_path: Path
) -> None:
    assert "--format" in cli("status", "--help").stdout
    rt.start("sleep 300")
    sub = project / "src" / "deep"
    sub.mkdir(parents=True)
    (project / ".git").mkdir()  # from a subdirectory, the git root is the project
    assert status(cli, cwd=sub) == "⚙ 1 job"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert status(cli, cwd=elsewhere) == "⚙ 0 jobs"
    assert cli("--project", str(project), "status", cwd=elsewhere).stdout == "⚙ 1 job\n"
    assert cli(f"--project={project}", "status", cwd=elsewhere).stdout == "⚙ 1 job\n"
    env = {**os.environ, "BGVIEW_HOME": str(rt.project.dir.parents[1]), "BGVIEW_PROJECT": str(sub)}
    assert status(cli, cwd=elsewhere, env=env) == "⚙ 0 jobs"  # BGVIEW_PROJECT names it
    Runtime(elsewhere, home=rt.project.dir.parents[1]).start("sleep 300")
    assert status(cli, cwd=elsewhere) == "⚙ 1 job"
    assert status(cli, "--all") == "⚙ 2 jobs"  # every project's
    assert cli("--all", "status").stdout == "⚙ 2 jobs\n"
    missing = cli("--project", str(tmp_path / "missing"), "status")
    assert missing.returncode == 2 and "no such project directory" in missing.stderr


@pytest.mark.parametrize(
    "name",
    ["proj", "my project", "-lead-and-trail-", "a..b_c", "ünï côde", "tab\tand  spaces", "x" * 60],
)
def test_the_store_names_a_project_as_the_runtime_does(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    assert _store_key(str(path)) == project_key(path)
    assert _store_key("/") == project_key(Path("/"))


def test_status_in_a_run_command_is_not_the_status_command(cli: Bgview, rt: Runtime) -> None:
    job_id = cli("run", "--", "echo", "status").stdout.strip()
    assert ended(rt, job_id).exit_code == 0


def test_the_status_path_imports_nothing_but_json_and_small_modules(home: Path) -> None:
    code = (
        "import sys, json, bgview; before = set(sys.modules)\n"
        "from bgview.statusline import main; main(['status'])\n"
        "print(sorted(set(sys.modules) - before), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert result.stdout == "⚙ 0 jobs\n"
    loaded = set(eval(result.stderr))
    allowed = {"bgview.statusline", "bgview.statuscount", "fcntl", "select", "_sha2", "_sha256"}
    assert loaded - allowed <= {"json", "json.decoder", "json.scanner", "json.encoder", "_json"}


# ---- the README's snippets, run as their tools run them ------------------------------------


def test_claude_code_statusline_json_on_stdin(
    cli: Bgview, rt: Runtime, project: Path, tmp_path: Path
) -> None:
    settings = json.loads(snippet("json"))
    assert settings == {"statusLine": {"type": "command", "command": "bgview status"}}
    rt.start("sleep 300")
    ended(rt, rt.start("exit 2").id)
    # The input Claude Code documents for a statusline command (abridged).
    given = {
        "hook_event_name": "Status",
        "session_id": "abc123",
        "cwd": str(project),
        "model": {"id": "claude-opus-4-1", "display_name": "Opus"},
        "workspace": {"current_dir": str(project), "project_dir": str(project)},
        "version": "1.0.80",
    }
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert status(cli, cwd=elsewhere, input=json.dumps(given)) == "⚙ 1 job · 1 failed"
    del given["workspace"]  # no workspace: its cwd
    assert status(cli, cwd=elsewhere, input=json.dumps(given)) == "⚙ 1 job · 1 failed"
    assert status(cli, cwd=project, input="not json") == "⚙ 1 job · 1 failed"
    assert status(cli, cwd=elsewhere, input="not json") == "⚙ 0 jobs"


def _tool_env(home: Path) -> dict[str, str]:
    """A user's environment: the store, and ``bgview`` on the PATH."""
    return {**os.environ, "BGVIEW_HOME": str(home), "PATH": f"{BIN}:{os.environ['PATH']}"}


def test_starship_custom_module(rt: Runtime, home: Path, project: Path) -> None:
    module = tomllib.loads(snippet("toml"))["custom"]["bgview"]
    assert module["shell"] == ["sh"]

    def starship(command: str) -> subprocess.CompletedProcess[str]:
        """As starship runs a custom command: ``sh -c COMMAND`` in the prompt's directory, its
        stdin a pipe given nothing (src/modules/custom.rs)."""
        return subprocess.run(
            ["sh", "-c", command],
            cwd=project,
            env=_tool_env(home),
            input="",
            capture_output=True,
            text=True,
            timeout=10,
        )

    assert starship(module["when"]).returncode == 1  # nothing runs: the module is hidden
    job = rt.start("sleep 300")
    assert starship(module["when"]).returncode == 0
    shown = starship(module["command"])
    assert shown.returncode == 0 and shown.stdout == "⚙ 1 job\n"
    rt.kill(job.id, grace=0)
    assert starship(module["when"]).returncode == 1


def test_tmux_status_right_shows_the_chip(
    rt: Runtime, home: Path, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tmux in a real terminal, its config the README's lines: the status line at the bottom
    of the screen shows the chip of the pane's project (refreshed every second here)."""
    lines = [line for line in snippet("tmux").splitlines() if line.strip()]
    assert lines[0].startswith("set -g status-interval ")
    config = tmp_path / "tmux.conf"
    config.write_text("\n".join(["set -g status-interval 1", *lines[1:]]) + "\n")
    rt.start("sleep 300")
    monkeypatch.setenv("PATH", _tool_env(home)["PATH"])
    monkeypatch.delenv("TMUX", raising=False)
    tmux = ["tmux", "-S", str(tmp_path / "tmux.socket"), "-f", str(config)]  # a server of its own
    term = Term([*tmux, "new-session", "sleep 60"], cwd=project, home=home, cols=100, rows=8)
    try:
        bottom = term.wait_for(lambda screen: "⚙ 1 job |" in screen[-1], timeout=10)[-1]
        assert re.search(r"⚙ 1 job \| \d\d:\d\d$", bottom), bottom
    finally:
        subprocess.run([*tmux, "kill-server"], timeout=10)
        term.close()
