"""Type-ahead, as in bash: keys typed while a foreground command runs, and that it does not
read, are the next prompt's input; a command typed ahead with Enter runs after this one. The
real shell in a pty, keys sent while the job runs."""

from __future__ import annotations

from bgview.runtime import Runtime
from tests.support import until
from tests.term import Term


def started(rt: Runtime, job_id: str) -> None:
    """Wait until the job's process runs (keys typed now are typed during the job)."""
    until(lambda: any(j.id == job_id and j.pid for j in rt.jobs()), 10, f"{job_id} running")


def test_a_command_typed_ahead_runs_after_the_current_one(shell: Term, rt: Runtime) -> None:
    shell.run("sleep 1")
    started(rt, "bash_1")
    shell.send("echo typed-''ahead\r")
    lines = shell.wait_for("[bash_2 exited 0")
    # It ran after the first, as the next prompt's command (the first's end is told before).
    assert (
        shell.row("[bash_1 exited 0")
        < shell.row("❯ echo typed-''ahead")
        < shell.row("[bash_2 exited 0")
    )
    assert "typed-ahead" in lines
    assert rt.job("bash_2").command == "echo typed-''ahead"


def test_a_half_typed_line_is_the_next_prompts_input(shell: Term, rt: Runtime) -> None:
    shell.run("sleep 1")
    started(rt, "bash_1")
    shell.send("echo half")
    shell.wait_for("[bash_1 exited 0")
    shell.wait_for(lambda ls: ls[shell.prompt_row()].endswith("❯ echo half"))
    shell.send("-typed\r")  # and it is still being edited: more joins it
    shell.wait_for(lambda ls: "half-typed" in ls)


def test_several_lines_typed_ahead_run_in_order(shell: Term, rt: Runtime) -> None:
    shell.run("sleep 1")
    started(rt, "bash_1")
    shell.send("echo one\recho two\r")
    shell.wait_for("[bash_3 exited 0")
    assert shell.row("[bash_2 exited 0") < shell.row("two")
    assert [rt.job(i).command for i in ("bash_2", "bash_3")] == ["echo one", "echo two"]


def test_keys_the_job_reads_are_its_own_and_the_rest_are_the_prompts(
    shell: Term, rt: Runtime
) -> None:
    shell.run("read answer; echo got:$answer; sleep 1")
    started(rt, "bash_1")
    shell.send("hello\r")
    shell.wait_for("got:hello")
    shell.send("echo after\r")  # typed while it sleeps: nobody reads it
    shell.wait_for("[bash_2 exited 0")
    assert rt.job("bash_2").command == "echo after"
    assert len(rt.jobs()) == 2  # `hello` was the job's answer, never a command


def test_keys_typed_after_ctrl_b_are_the_prompts(shell: Term, rt: Runtime) -> None:
    shell.run("sleep 30")
    started(rt, "bash_1")
    shell.send("\x02echo after-ctrl-b")  # one burst: Ctrl+B, then a line
    shell.wait_for("[bg:bash_1 moved to background]")
    shell.wait_for(lambda ls: ls[shell.prompt_row()].endswith("❯ echo after-ctrl-b"))
    assert rt.job("bash_1").running


def test_keys_typed_as_a_command_ends_are_not_lost(shell: Term, rt: Runtime) -> None:
    """A job that ends while the keys are typed: every key is the prompt's, in order."""
    shell.run("sleep 0.5")
    started(rt, "bash_1")
    for char in "echo no-key-lost":
        shell.send(char)
        shell.pump(0.03)
    shell.send("\r")
    shell.wait_for(lambda ls: "no-key-lost" in ls)
    assert rt.job("bash_2").command == "echo no-key-lost"
