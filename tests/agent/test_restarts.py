"""``bash`` with a restart policy, on a real runtime: an agent that leaves a flaky server to
bgview gets one id, every run's output, a notice per restart and one when it gives up, and
kill_shell stops it."""

from __future__ import annotations

import re

import pytest

from bgview.agent import ToolHandler
from bgview.runtime import JobStatus, Runtime
from tests.agent.helpers import ok, started_id, until


def test_bash_with_restart_runs_again_under_one_id(handler: ToolHandler, rt: Runtime) -> None:
    """restart implies the background; bash_output reads on across runs; the restarts and the
    giving up come as notices at the end of the next result."""
    text = ok(
        handler.call(
            "bash",
            {"command": "echo try; exit 1", "restart": "on-failure", "max_restarts": 1},
        )
    )
    job_id = started_id(text)
    until(lambda: rt.job(job_id).status.ended, timeout=10, what="the policy to give up")
    job = rt.job(job_id)
    assert (job.exit_code, job.restarts, job.gave_up) == (1, 1, True)
    out = ok(handler.call("bash_output", {"shell_id": job_id}))
    assert out.startswith("try\ntry\n")
    assert f"[bg:{job_id} restarted (1 of 1) after exit 1]" in out
    listed = ok(handler.call("list_shells")).splitlines()
    assert listed[1].startswith(f"{job_id}  exited 1 ↻1/1")


def test_kill_shell_stops_the_policy(handler: ToolHandler, rt: Runtime) -> None:
    job_id = started_id(
        ok(handler.call("bash", {"command": "echo up; sleep 30", "restart": "always"}))
    )
    until(lambda: rt.job(job_id).pid is not None, what="the job's pid")
    text = ok(handler.call("kill_shell", {"shell_id": job_id}))
    assert text.startswith(f"[bg:{job_id} killed by SIGTERM")
    job = rt.job(job_id)
    assert (job.status, job.killed_by, job.restarts) == (JobStatus.KILLED, "agent", 0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"restart": "sometimes"},
            "bash: restart must be 'on-failure' or 'always', not 'sometimes'",
        ),
        ({"restart": "always", "max_restarts": 2.5}, "bash: max_restarts must be a whole number"),
        ({"restart": "always", "max_restarts": -1}, "bash: max_restarts must be at least 0"),
        ({"restart": "always", "backoff": 61}, "bash: backoff must be at least 0 and at most 60"),
    ],
)
def test_a_bad_policy_is_one_line_and_starts_nothing(
    handler: ToolHandler, rt: Runtime, arguments: dict[str, object], message: str
) -> None:
    result = handler.call("bash", {"command": "true", **arguments})
    assert result.is_error and result.text.startswith(message), result.text
    assert rt.jobs() == []


def test_a_whole_number_sent_as_a_float_is_taken(handler: ToolHandler, rt: Runtime) -> None:
    job_id = started_id(
        ok(
            handler.call(
                "bash",
                {"command": "true", "restart": "always", "max_restarts": 0.0, "backoff": 0},
            )
        )
    )
    assert rt.job(job_id).restart_policy is not None
    assert rt.job(job_id).restart_policy.max_restarts == 0  # type: ignore[union-attr]


def test_bash_output_between_runs_says_when_the_next_one_starts(
    handler: ToolHandler, rt: Runtime
) -> None:
    job_id = started_id(
        ok(handler.call("bash", {"command": "echo try; exit 1", "restart": "on-failure",
                                 "backoff": 20}))
    )  # fmt: skip
    until(lambda: rt.job(job_id).waiting_to_restart, timeout=10, what="the wait")
    text = ok(handler.call("bash_output", {"shell_id": job_id}))
    assert text.startswith("try\n")
    assert re.search(
        rf"\[{job_id} still running after [\d.]+s; its restart policy runs it again: 0 of 5 "
        r"\(on-failure, 20s backoff\) · last run: exit 1 · next run in \d+s\]\n$",
        text,
    ), text
