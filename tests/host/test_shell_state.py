"""The shell's own state, as a bash user expects it: ``cd``, ``export``, ``unset`` and
``source`` last for the commands that follow; what cannot last says so; a paste with an open
quote gets a continuation prompt; Ctrl+Z at the prompt does nothing. The real shell in a pty."""

from __future__ import annotations

from pathlib import Path

from bgview.runtime import Runtime
from tests.term import Term


def test_cd_lasts_and_the_prompt_shows_where(shell: Term, project: Path, rt: Runtime) -> None:
    (project / "my dir").mkdir()
    shell.run('cd "my dir"')
    shell.wait_for(lambda ls: ls[shell.prompt_row()].endswith("proj/my dir ❯"))
    shell.run("pwd")
    shell.wait_for(f"{project}/my dir")
    shell.run("cd -")  # back, as bash does (and it says where)
    shell.wait_for(lambda ls: ls[shell.prompt_row()].endswith("proj ❯"))
    shell.run("cd /nowhere-at-all")
    lines = shell.wait_for("No such file or directory")
    error = next(ln for ln in lines if "nowhere-at-all" in ln and "No such" in ln)
    assert error == "cd: /nowhere-at-all: No such file or directory"  # no `bash: line 1:`
    assert [job.command for job in rt.jobs()] == ["pwd"]  # the cds were no jobs


def test_export_and_unset_last(shell: Term, rt: Runtime) -> None:
    shell.run('export GREETING="hello there" OTHER=1')
    shell.run('echo "[$GREETING]"')
    shell.wait_for("[hello there]")
    shell.run("unset GREETING")
    shell.run('echo "[${GREETING-unset}]"')
    shell.wait_for("[unset]")
    # Two commands on a line are a job like any other: its export ends with its bash.
    shell.run("export GONE=1; echo in-the-job")
    shell.wait_for("in-the-job")
    shell.run('echo "[${GONE-unset} again]"')
    shell.wait_for("[unset again]")


def test_source_an_environment_script(shell: Term, project: Path) -> None:
    """A virtualenv's activate script, in short: variables, PATH, a function, cd."""
    (project / "env").mkdir()
    (project / "env.sh").write_text(
        "export VIRTUAL_ENV=$PWD/env\n"
        'export PATH="$VIRTUAL_ENV/bin:$PATH"\n'
        "unset PYTHONHOME\n"
        "deactivate() { echo bye; }\n"
        "echo activated\n"
        "cd env\n"
    )
    shell.run("export PYTHONHOME=/somewhere")
    shell.run("source env.sh")
    shell.wait_for("activated")  # what the script says is shown
    note = shell.wait_for("does not persist")
    assert "[function deactivate does not persist: each command runs in a bash of its own]" in note
    shell.wait_for(lambda ls: ls[shell.prompt_row()].endswith("proj/env ❯"))
    shell.run('[ "$VIRTUAL_ENV" = "$PWD" ] && [ "${PATH%%:*}" = "$PWD/bin" ] && echo venv-on')
    shell.wait_for("venv-on")
    shell.run('echo "[${PYTHONHOME-gone}]"')
    shell.wait_for("[gone]")
    (project / "more.sh").write_text("export DOTTED=yes\n")
    shell.run(". ../more.sh")  # the dot form, from where we are now
    shell.run('echo "[dotted: $DOTTED]"')
    shell.wait_for("[dotted: yes]")


def test_what_cannot_persist_says_so_in_one_line(shell: Term, rt: Runtime) -> None:
    cases = {
        "alias ll='ls -l'": "[alias ll does not persist",
        "greet() { echo hi; }": "[function greet does not persist",
        "set -o vi": "[set -o vi does not persist",
        "shopt -s globstar": "[shopt -s globstar does not persist",
        "COLOUR=blue": "[COLOUR (not exported) does not persist",
    }
    for typed, said in cases.items():
        shell.run(typed)
        shell.wait_for(said)
    assert rt.jobs() == []  # none of them ran as a job …
    assert "exited 0" not in shell.text()  # … nor was said to have "exited 0"


def test_a_paste_with_an_open_quote_gets_a_continuation_prompt(shell: Term) -> None:
    shell.send("echo 'first\r")  # Enter inside the quote: not run yet
    shell.wait_for(lambda ls: ls[shell.prompt_row() + 1] == ">")
    shell.send("second'\r")
    shell.wait_for("[bash_1 exited 0")
    lines = shell.lines()
    assert lines[shell.row("[bash_1") - 2 : shell.row("[bash_1")] == ["first", "second"]


def test_a_bracketed_paste_of_several_lines_waits_for_enter(shell: Term) -> None:
    shell.send("\x1b[200~for i in 1 2; do\necho n$i\ndone\x1b[201~")
    shell.wait_for(lambda ls: "> done" in ls)
    shell.send("\r")
    shell.wait_for("[bash_1 exited 0")
    assert "n1" in shell.lines() and "n2" in shell.lines()


def test_an_if_without_fi_gets_a_continuation_prompt(shell: Term) -> None:
    shell.send("if true; then\r")
    shell.wait_for(lambda ls: ls[shell.prompt_row() + 1] == ">")
    shell.send("echo in-the-if\r")
    shell.send("fi\r")
    shell.wait_for("[bash_1 exited 0")
    assert "in-the-if" in shell.lines()


def test_ctrl_z_at_the_prompt_does_nothing_visible(shell: Term, rt: Runtime) -> None:
    before = shell.wait_for("⚙ 0 Background Jobs")  # the toolbar drawn: the prompt is whole
    shell.send("\x1a")
    shell.pump(0.3)
    assert shell.lines() == before
    shell.send("\x1aecho still-fine\r")  # nothing typed by it either
    shell.wait_for("[bash_1 exited 0")
    assert rt.job("bash_1").command == "echo still-fine"
