"""The agents' ``bash`` takes the job's terminal size; its ``write_stdin`` goes through the
one write path into a job (what ``bgview send`` and the viewer use)."""

from __future__ import annotations

import pytest

from bgview.agent import ToolHandler
from bgview.runtime import Runtime


def test_bash_runs_in_a_terminal_of_the_size_asked_for(handler: ToolHandler) -> None:
    result = handler.call("bash", {"command": "stty size", "size": "80x24"})
    assert not result.is_error, result.text
    assert "24 80" in result.text


def test_bash_runs_at_120x40_by_default(handler: ToolHandler) -> None:
    result = handler.call("bash", {"command": "stty size"})
    assert not result.is_error, result.text
    assert "40 120" in result.text


@pytest.mark.parametrize(
    ("size", "words"),
    [("0x0", "0x0 is out of range"), ("5000x5000", "out of range"), ("abc", "not a terminal")],
)
def test_a_bad_size_is_an_error_and_starts_nothing(
    handler: ToolHandler, rt: Runtime, size: str, words: str
) -> None:
    result = handler.call("bash", {"command": "true", "size": size})
    assert result.is_error and words in result.text
    assert rt.jobs() == []


def test_write_stdin_to_an_ended_job_says_it_has_ended(handler: ToolHandler, rt: Runtime) -> None:
    job = rt.start("true")
    rt.wait(job.id, timeout=10)
    result = handler.call("write_stdin", {"shell_id": job.id, "text": "y\n"})
    assert result.is_error
    assert f"{job.id} has ended" in result.text
