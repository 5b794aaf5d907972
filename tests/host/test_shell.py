"""``bgview shell`` end to end: a real REPL in a real pty, read as the screen shows it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from bgview.runtime import JobStatus, Runtime
from tests.support import until
from tests.term import Term


def test_foreground_command_shows_output_with_colours_and_its_status(shell: Term) -> None:
    shell.run("printf 'one\\n\\033[31mred\\033[0m\\n'; exit 3")
    lines = shell.wait_for("[bash_1 exited 3")
    assert "one" in lines
    row = shell.row("red")
    col = lines[row].index("red")
    assert shell.screen.buffer[row][col].fg == "red"  # the colour reached the terminal
    shell.wait_prompt(2)


def test_keys_reach_the_foreground_job_and_ctrl_c_interrupts_it(shell: Term, rt: Runtime) -> None:
    shell.run("read answer; echo got:$answer; sleep 30")
    until(lambda: rt.jobs() and rt.jobs()[0].pid)
    shell.send("hello\r")
    shell.wait_for("got:hello")
    shell.send("\x03")  # Ctrl+C: SIGINT for the job's foreground group, not the shell
    shell.wait_for("[bash_1 killed SIGINT")
    assert rt.job("bash_1").status is JobStatus.KILLED
    shell.wait_prompt(2)


def test_notice_lands_above_the_prompt_and_the_half_typed_line_survives(
    shell: Term, rt: Runtime
) -> None:
    shell.run("sleep 1 &")
    shell.wait_for("[bg:bash_1 started] sleep 1")
    shell.send("echo half typ")  # no enter: the user is in the middle of a line
    shell.wait_for("echo half typ")
    shell.wait_for("[bg:bash_1 exited 0")
    # Above the prompt, and the prompt drawn again below it with the line untouched.
    shell.wait_for(
        lambda ls: any(ln.endswith("❯ echo half typ") for ln in ls[shell.row("[bg:bash_1") :])
    )
    shell.send("ed\r")  # and still being edited: the rest of the word joins it
    shell.wait_for(lambda ls: "half typed" in ls)
    assert shell.text().count("[bg:bash_1 exited 0") == 1


def test_ctrl_b_sends_a_running_command_to_the_background(shell: Term, rt: Runtime) -> None:
    shell.run("for i in $(seq 1 30); do echo line$i; sleep 0.05; done")
    shell.wait_for("line3")
    shell.send("\x02")
    lines = shell.wait_for("[bg:bash_1 moved to background]", timeout=2)
    assert "line30" not in lines
    shell.wait_prompt(2, timeout=2)  # the prompt is back while the job runs on
    assert rt.job("bash_1").running
    job, ended = rt.wait("bash_1", timeout=10)
    assert ended and job.exit_code == 0
    log = job.log_path.read_text()
    assert "line1\n" in log and "line30\n" in log  # what came before and after, all kept
    shell.wait_for("[bg:bash_1 exited 0")  # and its end is told like any background job's
    assert "line30" not in shell.text()  # streaming stopped at Ctrl+B


def test_the_chip_counts_running_jobs(shell: Term) -> None:
    shell.wait_for("⚙ 0 Background Jobs")
    shell.run("sleep 30 &")
    shell.wait_for("⚙ 1 Background Job ")
    shell.run("CMD&: sleep 30")
    shell.wait_for("⚙ 2 Background Jobs")
    shell.run("/kill bash_1")
    shell.wait_for("[bg:bash_1 killed by SIGTERM")
    shell.wait_for("⚙ 1 Background Job ")


def test_exit_with_running_jobs_asks_and_ends_them_but_not_kept_ones(
    shell: Term, rt: Runtime
) -> None:
    shell.run("sleep 30 &")
    shell.run("CMD&: --keep sleep 30")
    shell.wait_for("[bg:bash_2 started] sleep 30  (kept")
    shell.send("\x04")  # Ctrl+D
    shell.wait_for("1 job of this shell still running (bash_1)")
    shell.run("n")
    shell.wait_prompt(4)
    assert rt.job("bash_1").running
    shell.run("exit")
    shell.wait_for("Exit anyway?")
    shell.run("y")
    assert shell.wait_exit() == 0
    ended = rt.job("bash_1")
    assert ended.status is JobStatus.KILLED and ended.killed_by == "owner-exit"
    assert rt.job("bash_2").running  # kept: it outlives the shell


def test_bg_list_and_bg_output(shell: Term, rt: Runtime) -> None:
    shell.run("echo first; echo second &")
    shell.wait_for("[bg:bash_1 exited 0")
    shell.run(":bg-output bash_1")
    shell.wait_for("second")
    shell.run(":bg-output bash_1")  # only what is new since this shell's last read
    shell.wait_for("[bash_1: no new output; exited 0]")
    shell.run(":bg-list")
    lines = shell.wait_for(lambda ls: any(ln.startswith("bash_1") for ln in ls))
    row = next(ln for ln in lines if ln.startswith("bash_1"))
    assert "exited 0" in row and "echo first; echo second" in row


def test_bg_output_after_ctrl_b_gives_only_what_came_after(shell: Term, rt: Runtime) -> None:
    shell.run("stty -echo; echo early1; echo early2; printf 'mid'; read go; echo dle; echo late")
    shell.wait_for(lambda ls: "early2" in ls and "mid" in ls)  # lines of their own
    shell.send("\x02")  # the user saw early1, early2 and half a line, then moved it away
    shell.wait_for("[bg:bash_1 moved to background]")
    shell.wait_prompt(2)
    rt.write_stdin("bash_1", "\n")
    shell.wait_for("[bg:bash_1 exited 0")
    shell.run(":bg-output bash_1")
    lines = shell.wait_for(lambda ls: "late" in ls)  # a line of its own, not the command
    after = lines[shell.row(":bg-output bash_1") + 1 :]
    assert after[:2] == ["dle", "late"]  # the rest of the half-seen line, then what is new
    assert shell.lines().count("early1") == 1  # what was streamed is not given again


def test_bg_output_of_a_job_run_in_the_foreground_has_nothing_new(shell: Term) -> None:
    shell.run("echo seen-''live")
    shell.wait_for("[bash_1 exited 0")
    shell.run(":bg-output bash_1")
    shell.wait_for("[bash_1: no new output; exited 0]")
    assert shell.lines().count("seen-live") == 1


def test_completion_of_commands_and_ids(shell: Term) -> None:
    shell.run("sleep 30 &")
    shell.wait_for("[bg:bash_1 started]")
    shell.send("/ki")
    shell.wait_for("/kill  kill a job")  # the menu shows as one types
    shell.send("\t")
    shell.wait_for(lambda ls: ls[shell.prompt_row()].endswith("❯ /kill"))
    shell.send(" ")
    shell.wait_for("bash_1  running: sleep 30")
    shell.send("\t")
    shell.wait_for(lambda ls: ls[shell.prompt_row()].endswith("❯ /kill bash_1"))


def test_sigkill_of_the_shell_leaves_no_job_process_behind(
    home: object, project: object, rt: Runtime
) -> None:
    from bgview.runtime.proc import group_exists

    term = Term.shell(home, project)  # type: ignore[arg-type]
    try:
        term.wait_prompt(1)
        term.run("sleep 60 &")
        term.run("bash -c 'sleep 60 & sleep 60' &")
        term.wait_for("[bg:bash_2 started]")
        term.run("sleep 60")  # and one in the foreground
        until(lambda: len(rt.jobs()) == 3 and all(j.pid for j in rt.jobs()))
        pids = [j.pid for j in rt.jobs()]
        term.child.kill(9)
        until(lambda: all(not rt.job(f"bash_{i}").running for i in (1, 2, 3)))
        until(lambda: not any(group_exists(pid) for pid in pids if pid))
        assert {rt.job(f"bash_{i}").killed_by for i in (1, 2, 3)} == {"owner-exit"}
    finally:
        term.close()


def test_bashes_opens_the_viewer_and_esc_gives_the_screen_back(shell: Term) -> None:
    shell.run("echo kept on screen")
    shell.wait_for("[bash_1 exited 0")
    shell.run("sleep 30 &")
    shell.wait_for("[bg:bash_2 started]")
    shell.wait_prompt(3)
    before = shell.lines()
    prompt = shell.prompt_row()
    shell.run("/bashes")
    # Full screen, the prompt gone, and the job table listing both jobs.
    lines = shell.wait_for(
        lambda ls: (
            shell.screen.alternate
            and any("sleep 30" in ln for ln in ls)
            and any("echo kept on screen" in ln for ln in ls)
        )
    )
    assert not any("❯" in ln for ln in lines)
    shell.send("\x1b")
    shell.wait_for(lambda ls: not shell.screen.alternate and "❯" in ls[shell.prompt_row()])
    after = shell.wait_prompt(4)
    assert after[:prompt] == before[:prompt]  # what was on screen is as it was
    assert after[prompt].endswith("❯ /bashes")
    shell.run("echo still here")
    shell.wait_for("[bash_3 exited 0")


def test_jobs_that_end_while_the_viewer_is_open_are_not_told_twice(
    shell: Term, project: Path
) -> None:
    gate = project / "gate"
    shell.run(f"while [ ! -e {gate} ]; do sleep 0.05; done &")
    shell.wait_for("[bg:bash_1 started]")
    shell.run("/bashes")
    shell.wait_for(lambda ls: shell.screen.alternate)
    shell.wait_for("bash_1")  # the viewer has read the store: the job ends while it looks
    gate.touch()
    shell.wait_for("bash_1 exited 0")  # the viewer's toast
    shell.send("\x1b")
    shell.wait_for(lambda ls: not shell.screen.alternate)
    shell.wait_prompt(3)
    shell.run("echo after")
    shell.wait_for("[bash_2 exited 0")
    assert "[bg:bash_1 exited" not in shell.text()


def test_enter_on_the_chip_opens_the_viewer(shell: Term) -> None:
    shell.send("\x1b[B")  # ↓ on the empty prompt selects the chip
    shell.wait_for("enter: open the jobs viewer")
    shell.send("\r")
    shell.wait_for(lambda ls: shell.screen.alternate)
    shell.send("\x1b")
    shell.wait_for(lambda ls: not shell.screen.alternate)
    shell.wait_prompt(2)


def test_a_foreground_job_gets_the_terminal_size_and_its_changes(shell: Term) -> None:
    shell.run(
        "stty size; trap 'stty size; exit 0' WINCH; echo re''ady; while :; do sleep 0.02; done"
    )
    shell.wait_for(lambda ls: "ready" in ls)
    assert "30 100" in shell.lines()  # the terminal's size, not the runtime's 120×40 default
    shell.child.setwinsize(30, 90)  # the user resizes the window
    shell.screen.resize(30, 90)
    shell.wait_for("30 90")
    shell.wait_for("[bash_1 exited 0")


def test_ctrl_b_out_of_a_full_screen_program_gives_back_the_normal_screen(shell: Term) -> None:
    shell.run("echo on the main screen")
    shell.wait_for("[bash_1 exited 0")
    shell.run(r"printf '\033[?1049h\033[?25lfull screen\n'; sleep 30")
    shell.wait_for(lambda ls: shell.screen.alternate and "full screen" in ls)
    shell.send("\x02")
    lines = shell.wait_for("[bg:bash_2 moved to background]")
    assert not shell.screen.alternate  # the program's alternate screen was left for it
    assert "on the main screen" in lines
    assert not shell.screen.cursor.hidden


def test_a_job_that_a_command_starts_with_bgview_run_belongs_to_the_shell(
    shell: Term, rt: Runtime
) -> None:
    import sys

    shell.run(f"{sys.executable} -m bgview run 'sleep 30'")
    shell.wait_for("[bash_1 exited 0")
    shell.wait_for("⚙ 1 Background Job ")  # bash_2, started by bash_1, runs on
    shell.run("exit")
    shell.wait_for("1 job of this shell still running (bash_2)")
    shell.run("y")
    assert shell.wait_exit() == 0
    assert rt.job("bash_2").killed_by == "owner-exit"


def test_a_job_whose_supervisor_vanishes_is_reported_lost(shell: Term, rt: Runtime) -> None:
    """SIGKILL a background job's supervisor: within 2 s the shell prints the job's notice as
    lost and the chip stops counting it."""
    shell.run('CMD&: trap "" HUP TERM; sleep 1000')
    shell.wait_for("[bg:bash_1 started]")
    job = until(lambda: rt.jobs() and rt.jobs()[0].supervisor_pid and rt.jobs()[0])
    shell.wait_for("⚙ 1 Background Job")
    os.kill(job.supervisor_pid, signal.SIGKILL)
    shell.wait_for("[bg:bash_1 lost", timeout=2.5)
    shell.wait_for("⚙ 0 Background Jobs", timeout=1)


def test_damaged_records_do_not_stop_the_shell(shell: Term, rt: Runtime) -> None:
    """A garbage record and a job directory without one sit beside a good job: `:bg-list`
    shows the good one, and the shell works on."""
    shell.run("CMD&: echo good")
    shell.wait_for("[bg:bash_1 exited 0")
    damaged = rt.project.jobs_dir / "bash_2"
    damaged.mkdir(mode=0o700)
    (damaged / "meta.json").write_text("{not json")
    (rt.project.jobs_dir / "bash_3").mkdir(mode=0o700)
    shell.run(":bg-list")
    lines = shell.wait_for("k kept (outlives it)")
    assert any("bash_1" in line and "echo good" in line for line in lines)
    assert not any("bash_2" in line or "bash_3" in line for line in lines)
    shell.run("echo still here")
    shell.wait_for("still here")
