"""The tool handler on a real runtime: every tool, every error path, the notices.

Jobs are real commands in real ptys. Where a test needs a job to do something later, the job
waits for a file the test creates (a gate), so no test sleeps in place of an event.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from bgview.agent import ToolHandler, ToolResult
from bgview.runtime import JobStatus, Runtime
from tests.agent.helpers import error, ok, started_id, until


def gate(path: Path) -> str:
    """Shell that waits until ``path`` exists."""
    return f"while [ ! -e {path} ]; do sleep 0.01; done"


# ---- bash -------------------------------------------------------------------------------------


def test_foreground_returns_clean_output_and_exit_status(handler: ToolHandler, rt: Runtime) -> None:
    text = ok(
        handler.call("bash", {"command": "printf '\\033[31mred\\033[0m\\n'; echo two; exit 3"})
    )
    assert text.startswith("red\ntwo\n")
    assert "\033" not in text
    assert re.search(r"\[bash_1 exited 3, \d+B out, [\d.]+s wall\]\n$", text)
    job = rt.job("bash_1")  # it ran through the runtime: an id and a log
    assert job.status is JobStatus.EXITED and job.exit_code == 3
    assert b"two" in job.log_path.read_bytes()


def test_foreground_with_no_output(handler: ToolHandler) -> None:
    assert ok(handler.call("bash", {"command": "true"})).startswith("(no output)\n[bash_1 exited 0")


def test_foreground_output_is_capped_and_the_rest_is_readable(handler: ToolHandler) -> None:
    text = ok(handler.call("bash", {"command": "seq 1 20000"}))  # 108,894 characters
    assert len(text) < 31_000
    assert "read bash_1 again to continue" in text
    more = ok(handler.call("bash_output", {"shell_id": "bash_1"}))
    assert more.splitlines()[0] == str(int(text.splitlines()[-3]) + 1)  # no line lost or repeated


def test_foreground_past_its_timeout_moves_to_the_background(
    handler: ToolHandler, rt: Runtime, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    command = f"echo before; {gate(go)}; echo after"
    started = time.monotonic()
    text = ok(handler.call("bash", {"command": command, "timeout": 0.5}))
    assert time.monotonic() - started < 5
    assert text.startswith("before\n")
    assert "still running as bash_1" in text and "not killed" in text
    assert rt.job("bash_1").running
    go.touch()
    after = ok(handler.call("bash_output", {"shell_id": "bash_1", "wait_seconds": 10}))
    assert after.startswith("after\n")  # the foreground's read was this agent's: no repeat


def test_background_returns_at_once_with_id_and_log(
    handler: ToolHandler, rt: Runtime, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    text = ok(
        handler.call(
            "bash",
            {"command": f"{gate(go)}; echo done", "run_in_background": True, "description": "wait"},
        )
    )
    job_id = started_id(text)
    assert text.startswith(f"started {job_id} (wait)\n")
    assert f"log: {rt.job(job_id).log_path}" in text
    assert rt.job(job_id).running


def test_a_kept_job_says_so(handler: ToolHandler, rt: Runtime, tmp_path: Path) -> None:
    command = gate(tmp_path / "go")
    text = ok(handler.call("bash", {"command": command, "run_in_background": True, "keep": True}))
    assert text.startswith("started bash_1; kept: it outlives this session\n")
    assert rt.job("bash_1").keep


def test_disabled_background_runs_in_the_foreground_and_says_so(
    handler: ToolHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BGVIEW_DISABLE_BACKGROUND_TASKS", "1")
    text = ok(handler.call("bash", {"command": "echo hi", "run_in_background": True}))
    assert "run_in_background was ignored" in text and "BGVIEW_DISABLE_BACKGROUND_TASKS=1" in text
    assert "hi\n[bash_1 exited 0" in text


def test_disabled_background_kills_at_the_timeout_instead(
    handler: ToolHandler, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With background jobs disabled nothing may outlive the call."""
    monkeypatch.setenv("BGVIEW_DISABLE_BACKGROUND_TASKS", "1")
    text = ok(handler.call("bash", {"command": "echo start; sleep 30", "timeout": 0.3}))
    assert "start\n[bash_1 timed out after 0.3s" in text
    assert rt.job("bash_1").status is JobStatus.TIMEOUT


def test_a_name_in_use_is_refused(handler: ToolHandler, tmp_path: Path) -> None:
    args = {"command": gate(tmp_path / "go"), "run_in_background": True, "name": "dev"}
    ok(handler.call("bash", args))
    assert "a job named 'dev' is already running as bash_1" in error(handler.call("bash", args))


def test_an_empty_command_is_refused(handler: ToolHandler) -> None:
    assert error(handler.call("bash", {"command": "  "})).startswith("bash: empty command")


def test_a_cancelled_foreground_call_kills_its_command(handler: ToolHandler, rt: Runtime) -> None:
    cancel = threading.Event()
    results: list[ToolResult] = []
    worker = threading.Thread(
        target=lambda: results.append(handler.call("bash", {"command": "sleep 30"}, cancel=cancel))
    )
    worker.start()
    until(lambda: rt.jobs() and rt.jobs()[0].running, what="the command to start")
    cancel.set()
    worker.join(10)
    assert not worker.is_alive()
    job = rt.job("bash_1")
    assert job.status is JobStatus.KILLED and job.killed_by == "agent"


# ---- bash_output --------------------------------------------------------------------------------


def test_reads_are_incremental(handler: ToolHandler, tmp_path: Path) -> None:
    go = tmp_path / "go"
    job_id = started_id(
        ok(
            handler.call(
                "bash",
                {"command": f"echo one; {gate(go)}; echo two", "run_in_background": True},
            )
        )
    )
    first = ok(handler.call("bash_output", {"shell_id": job_id, "wait_seconds": 10}))
    assert first.startswith("one\n") and f"[{job_id} still running after" in first
    assert ok(handler.call("bash_output", {"shell_id": job_id})).startswith("(no new output)\n")
    go.touch()
    last = ok(handler.call("bash_output", {"shell_id": job_id, "wait_seconds": 10}))
    assert last.startswith("two\n")
    until(lambda: handler.runtime.job(job_id).status.ended, what="the job to end")
    final = ok(handler.call("bash_output", {"shell_id": job_id}))
    assert final.startswith(f"(no new output)\n[{job_id} exited 0")


def test_filter_and_exclude(handler: ToolHandler, rt: Runtime) -> None:
    job = rt.start("printf 'GET /a 200\\nGET /b 500\\nPOST /c 500\\n'")
    until(lambda: rt.job(job.id).status.ended, what="the job to end")
    args = {"shell_id": job.id, "filter": "500", "exclude": "^POST"}
    text = ok(handler.call("bash_output", args))
    assert text.startswith(f"GET /b 500\n[{job.id} exited 0")
    # the lines filtered out were read too: nothing is left for this agent
    assert ok(handler.call("bash_output", {"shell_id": job.id})).startswith("(no new output)\n")
    assert ok(handler.call("bash_output", args)).startswith("(no new output matching the filter)")


def test_wait_returns_as_soon_as_a_line_arrives(handler: ToolHandler, tmp_path: Path) -> None:
    go = tmp_path / "go"
    job_id = started_id(
        ok(handler.call("bash", {"command": f"{gate(go)}; echo late", "run_in_background": True}))
    )
    threading.Timer(0.3, go.touch).start()
    started = time.monotonic()
    text = ok(handler.call("bash_output", {"shell_id": job_id, "wait_seconds": 30}))
    assert text.startswith("late\n")
    assert time.monotonic() - started < 5


def test_wait_returns_when_the_job_ends_silently(handler: ToolHandler, tmp_path: Path) -> None:
    go = tmp_path / "go"
    job_id = started_id(ok(handler.call("bash", {"command": gate(go), "run_in_background": True})))
    threading.Timer(0.3, go.touch).start()
    started = time.monotonic()
    text = ok(handler.call("bash_output", {"shell_id": job_id, "wait_seconds": 30}))
    assert f"[{job_id} exited 0" in text
    assert time.monotonic() - started < 5


def test_a_filtered_wait_waits_for_a_matching_line(handler: ToolHandler, tmp_path: Path) -> None:
    go = tmp_path / "go"
    command = f"echo noise; {gate(go)}; echo ready on :3000"
    job_id = started_id(ok(handler.call("bash", {"command": command, "run_in_background": True})))
    threading.Timer(0.4, go.touch).start()
    text = ok(
        handler.call("bash_output", {"shell_id": job_id, "filter": "ready", "wait_seconds": 30})
    )
    assert text.startswith("ready on :3000\n")


def test_a_cancelled_wait_consumes_nothing(
    handler: ToolHandler, rt: Runtime, tmp_path: Path
) -> None:
    """Output that arrives after the caller gave up is still there for the next read."""
    go = tmp_path / "go"
    job_id = started_id(
        ok(
            handler.call(
                "bash", {"command": f"{gate(go)}; echo late; sleep 30", "run_in_background": True}
            )
        )
    )
    cancel = threading.Event()
    worker = threading.Thread(
        target=handler.call,
        args=("bash_output", {"shell_id": job_id, "wait_seconds": 30}),
        kwargs={"cancel": cancel},
    )
    worker.start()
    cursor = rt.job(job_id).dir / "cursors" / "agent"
    until(cursor.exists, what="the waiting call's first read")
    cancel.set()
    go.touch()
    worker.join(5)
    assert not worker.is_alive()
    until(lambda: b"late" in rt.job(job_id).log_path.read_bytes(), what="the line")
    assert ok(handler.call("bash_output", {"shell_id": job_id})).startswith("late\n")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        # well formed, but no such job
        ({"shell_id": "bash_99"}, "bash_output: no job bash_99 in this project"),
        # not an id at all
        ({"shell_id": "npm run dev"}, "bash_output: invalid job id 'npm run dev'"),
        # regexes that do not compile
        ({"shell_id": "bash_1", "filter": "("}, "bash_output: invalid filter regex '('"),
        ({"shell_id": "bash_1", "exclude": "[a-"}, "bash_output: invalid exclude regex '[a-'"),
        # wrong type
        ({"shell_id": 1}, "bash_output: shell_id must be a string, not a number"),
        # missing
        ({}, "bash_output: missing required argument 'shell_id'"),
    ],
)
def test_bash_output_errors(
    handler: ToolHandler, arguments: dict[str, object], message: str
) -> None:
    ok(handler.call("bash", {"command": "true"}))
    assert error(handler.call("bash_output", arguments)).startswith(message)


# ---- kill_shell, list_shells, write_stdin ---------------------------------------------------


def test_kill_shell_kills_the_tree_and_returns_the_notice_once(
    handler: ToolHandler, rt: Runtime
) -> None:
    job_id = started_id(
        ok(
            handler.call(
                "bash", {"command": "sleep 300 & sleep 300; wait", "run_in_background": True}
            )
        )
    )
    text = ok(handler.call("kill_shell", {"shell_id": job_id}))
    assert re.fullmatch(rf"\[bg:{job_id} killed by SIGTERM, \d+B out, [\d.]+s wall\]\n", text)
    job = rt.job(job_id)
    assert job.status is JobStatus.KILLED and job.killed_by == "agent"
    assert "[bg:" not in ok(handler.call("list_shells"))  # told once, not again as a notice
    again = ok(handler.call("kill_shell", {"shell_id": job_id}))
    assert again.startswith(f"{job_id} had already ended: [bg:{job_id} killed by SIGTERM")


def test_kill_shell_errors(handler: ToolHandler) -> None:
    assert error(handler.call("kill_shell", {"shell_id": "bash_7"})).startswith(
        "kill_shell: no job bash_7 in this project"
    )
    assert "missing required argument 'shell_id'" in error(handler.call("kill_shell", {}))


def test_list_shells(handler: ToolHandler, tmp_path: Path) -> None:
    assert ok(handler.call("list_shells")) == "no jobs in this project yet\n"
    ok(handler.call("bash", {"command": "echo hi"}))
    ok(
        handler.call(
            "bash", {"command": gate(tmp_path / "go"), "run_in_background": True, "name": "dev"}
        )
    )
    lines = ok(handler.call("list_shells")).splitlines()
    assert lines[0].split() == ["ID", "STATUS", "TIME", "OUTPUT", "COMMAND"]  # as bgview list
    assert lines[1].startswith("bash_2  running") and lines[1].endswith(
        f"(dev) {gate(tmp_path / 'go')}"
    )
    assert lines[2].startswith("bash_1  exited 0") and lines[2].endswith("echo hi")


def test_write_stdin_answers_a_prompt(handler: ToolHandler) -> None:
    command = "read -p 'name? ' who; echo hello $who"
    job_id = started_id(ok(handler.call("bash", {"command": command, "run_in_background": True})))
    until(lambda: b"name?" in handler.runtime.job(job_id).log_path.read_bytes(), what="the prompt")
    text = ok(handler.call("write_stdin", {"shell_id": job_id, "text": "ada\n"}))
    assert text.startswith(f"sent 4 characters to {job_id}")
    out = ok(handler.call("bash_output", {"shell_id": job_id, "wait_seconds": 10}))
    until(lambda: handler.runtime.job(job_id).status.ended, what="the job to end")
    out += ok(handler.call("bash_output", {"shell_id": job_id}))
    assert "hello ada" in out


def test_write_stdin_ctrl_c_interrupts(handler: ToolHandler, rt: Runtime) -> None:
    job_id = started_id(
        ok(handler.call("bash", {"command": "echo up; sleep 300", "run_in_background": True}))
    )
    until(lambda: b"up" in rt.job(job_id).log_path.read_bytes(), what="the job to start")
    ok(handler.call("write_stdin", {"shell_id": job_id, "text": "\x03"}))
    job = until(lambda: rt.job(job_id) if rt.job(job_id).status.ended else None, what="its end")
    assert job.status in {JobStatus.KILLED, JobStatus.EXITED}  # bash -c passes SIGINT on


def test_write_stdin_errors(handler: ToolHandler) -> None:
    ok(handler.call("bash", {"command": "true"}))
    assert "bash_1 has ended" in error(
        handler.call("write_stdin", {"shell_id": "bash_1", "text": "y\n"})
    )
    assert "text is empty" in error(handler.call("write_stdin", {"shell_id": "bash_1", "text": ""}))
    assert "missing required argument 'text'" in error(
        handler.call("write_stdin", {"shell_id": "bash_1"})
    )
    assert "no job bash_5" in error(
        handler.call("write_stdin", {"shell_id": "bash_5", "text": "x"})
    )


def test_an_unknown_tool_names_the_tools(handler: ToolHandler) -> None:
    text = error(handler.call("Bash", {"command": "ls"}))
    assert text == (
        "unknown tool 'Bash' (the tools are: bash, bash_output, kill_shell, list_shells, "
        "write_stdin)"
    )


# ---- notices ------------------------------------------------------------------------------------


def test_notices_arrive_once_at_the_end_of_the_next_result(
    handler: ToolHandler, rt: Runtime, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    job_id = started_id(
        ok(handler.call("bash", {"command": f"{gate(go)}; exit 4", "run_in_background": True}))
    )
    go.touch()
    until(lambda: rt.job(job_id).status.ended, what="the job to end")
    first = handler.call("bash_output", {"shell_id": "bash_42"})  # even an error carries them
    assert first.is_error
    assert first.text.endswith(f"\n\n[bg:{job_id} exited 4, 0B out, {first.text.split(', ')[-1]}")
    assert first.text.count(f"[bg:{job_id} ") == 1
    assert "[bg:" not in ok(handler.call("list_shells"))


def test_a_job_the_agent_read_to_its_end_is_not_told_twice(
    handler: ToolHandler, rt: Runtime, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    job_id = started_id(
        ok(handler.call("bash", {"command": f"{gate(go)}; echo bye", "run_in_background": True}))
    )
    go.touch()
    until(lambda: rt.job(job_id).status.ended, what="the job to end")
    text = ok(handler.call("bash_output", {"shell_id": job_id}))
    assert text.startswith(f"bye\n[{job_id} exited 0")
    assert "[bg:" not in text
    assert "[bg:" not in ok(handler.call("list_shells"))


def test_each_agent_gets_every_notice(rt: Runtime) -> None:
    """Two agents (two consumers) on one project: both are told."""
    first, second = ToolHandler(rt, consumer="one"), ToolHandler(rt, consumer="two")
    rt.notices("one"), rt.notices("two")
    job = rt.start("exit 0")
    until(lambda: rt.job(job.id).status.ended, what="the job to end")
    assert f"[bg:{job.id} exited 0" in ok(first.call("list_shells"))
    assert f"[bg:{job.id} exited 0" in ok(second.call("list_shells"))
    assert "[bg:" not in ok(first.call("list_shells"))
