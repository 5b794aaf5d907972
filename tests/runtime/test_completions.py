"""``bgview completions bash|zsh|fish`` in the real shells, in a real tmux pane: the script is
loaded as the README says, TAB is pressed as a person presses it, and the screen shows the
commands, options and the project's job ids.

tmux, zsh and fish are Debian packages: ``make test`` installs those missing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import RunCli
from tests.tmuxpane import TmuxPane


@pytest.fixture
def shell_env(tmp_path: Path, home: Path) -> dict[str, str]:
    """A shell's environment whose ``bgview`` is this checkout's, as an installed one runs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "bgview"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m bgview "$@"\n')
    shim.chmod(0o755)
    user_home = tmp_path / "user"
    user_home.mkdir()
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(user_home),
        "BGVIEW_HOME": str(home),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }


@pytest.fixture
def three_jobs(cli: RunCli) -> list[str]:
    for command in ("sleep 300", "sleep 301", "true"):
        done = cli("run", command)
        assert done.returncode == 0, done.stderr
    return ["bash_1", "bash_2", "bash_3"]


@pytest.fixture
def pane_in(
    tmp_path: Path, project: Path, shell_env: dict[str, str]
) -> Iterator[Callable[[str], TmuxPane]]:
    """Start a shell in a tmux pane in the project."""
    panes: list[TmuxPane] = []

    def start(command: str) -> TmuxPane:
        pane = TmuxPane(tmp_path, f"cd {project} && exec {command}", env=shell_env)
        panes.append(pane)
        return pane

    yield start
    for pane in panes:
        pane.close()


def test_the_script_is_made_from_the_parser(cli: RunCli) -> None:
    for shell in ("bash", "zsh", "fish"):
        done = cli("completions", shell)
        assert done.returncode == 0, done.stderr
        script = done.stdout
        for command in ("run", "list", "output", "kill", "wait", "mcp", "completions"):
            assert command in script, (shell, command)
        assert "--grace" in script and "--consumer" in script  # options of kill and output
        assert "bgview _ids" in script  # where a job id goes, the project's ids
        assert "_ids" not in script.replace("bgview _ids", "")  # the lister is not offered


def test_bad_shell_is_one_line(cli: RunCli) -> None:
    done = cli("completions", "tcsh")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "invalid choice" in done.stderr


def test_ids_lists_the_projects_jobs_newest_first(cli: RunCli, three_jobs: list[str]) -> None:
    done = cli("_ids")
    assert done.returncode == 0 and done.stdout.split() == three_jobs[::-1]
    assert "_ids" not in cli("--help").stdout  # hidden


def loaded(pane: TmuxPane, setup: str) -> None:
    """Run ``setup`` in the pane's shell and wait until it has run (its marker printed)."""
    pane.type(f'{setup}; echo "loaded-""ok"')  # the marker is whole only in the output
    pane.send("Enter")
    pane.wait_for(lambda s: "loaded-ok" in s, "the completion script to load")


def test_bash_completes_commands_options_and_job_ids(
    pane_in: Callable[[str], TmuxPane], three_jobs: list[str]
) -> None:
    pane = pane_in("bash --norc --noprofile")
    loaded(pane, 'PS1="$ "; eval "$(bgview completions bash)"; complete -p bgview')
    screen = pane.screen()
    assert "complete -o bashdefault -F _shtab_bgview bgview" in screen  # complete -p
    pane.type("clear")
    pane.send("Enter")
    pane.wait_for(lambda s: s.strip() == "$", "a clear screen")

    pane.type("bgview ki")
    pane.send("Tab")
    pane.wait_for(lambda s: s.strip() == "$ bgview kill", "the command completed")
    pane.send("Tab")  # the ids' common part
    pane.wait_for(lambda s: s.strip() == "$ bgview kill bash_", "the ids' common part")
    pane.send("Tab", "Tab")  # nothing more to add: TAB twice lists them
    screen = pane.wait_for(lambda s: all(i in s for i in three_jobs), "the job ids listed")
    assert "$ bgview kill bash_" in screen
    pane.type("2")
    pane.send("Tab")
    pane.wait_for(lambda s: s.rstrip().endswith("$ bgview kill bash_2"), "bash_2 completed")

    pane.type("--g")  # after the space the completed id was given
    pane.send("Tab")
    pane.wait_for(lambda s: s.rstrip().endswith("$ bgview kill bash_2 --grace"), "--grace")


def test_zsh_completes_job_ids(pane_in: Callable[[str], TmuxPane], three_jobs: list[str]) -> None:
    pane = pane_in("zsh -f")
    loaded(pane, "PS1='%% '; autoload -U compinit; compinit -u; eval \"$(bgview completions zsh)\"")
    pane.type("bgview output ")
    pane.send("Tab")
    pane.wait_for(lambda s: s.rstrip().endswith("% bgview output bash_"), "the common part")
    pane.send("Tab")
    pane.wait_for(lambda s: all(i in s for i in three_jobs), "the job ids listed")


def test_fish_completes_job_ids(pane_in: Callable[[str], TmuxPane], three_jobs: list[str]) -> None:
    pane = pane_in("fish --no-config")
    loaded(pane, "function fish_prompt; echo '> '; end; bgview completions fish | source")
    pane.type("bgview wait ")
    pane.send("Tab")
    screen = pane.wait_for(lambda s: all(i in s for i in three_jobs), "the job ids listed")
    assert "> bgview wait bash_" in screen
