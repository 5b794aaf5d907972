"""The runtime's ``skip_to`` (added for the shell): output a consumer was shown another way is
not given to it again by a read."""

from __future__ import annotations

import pytest

from bgview.runtime import BgviewError, InvalidRequest, Runtime


def ended(rt: Runtime, command: str) -> str:
    job = rt.start(command)
    _, done = rt.wait(job.id, timeout=10)
    assert done
    return job.id


def test_a_read_after_skip_to_starts_at_the_offset(rt: Runtime) -> None:
    job_id = ended(rt, "printf 'one\\ntwo\\nthree\\n'")
    assert rt.skip_to(job_id, len(b"one\ntwo\n"), consumer="me") == 8
    out = rt.read(job_id, consumer="me")
    assert out.text == "three\n"
    assert out.start == 8


def test_an_offset_inside_a_line_gives_the_rest_of_that_line(rt: Runtime) -> None:
    # A user who saw "hal" of a line streamed live is given what follows it.
    job_id = ended(rt, "printf 'half a line\\nnext\\n'")
    rt.skip_to(job_id, 3, consumer="me")
    assert rt.read(job_id, consumer="me").text == "f a line\nnext\n"


def test_an_offset_past_the_end_stops_at_the_end(rt: Runtime) -> None:
    # Past the end, a cursor would look like a log replaced by hand and read it all again.
    job_id = ended(rt, "echo abc")
    size = len(rt.peek(job_id).data)
    assert rt.skip_to(job_id, 10_000, consumer="me") == size
    out = rt.read(job_id, consumer="me")
    assert (out.text, out.lines) == ("", 0)


def test_a_running_job_gives_only_what_it_writes_after_the_skip(rt: Runtime) -> None:
    job = rt.start("stty -echo; echo before; read go; echo after")  # no echo of the enter
    rt.wait(job.id, timeout=10, pattern="before")
    rt.skip_to(job.id, rt.peek(job.id).end, consumer="me")
    rt.write_stdin(job.id, "\n")
    rt.wait(job.id, timeout=10)
    assert rt.read(job.id, consumer="me").text == "after\n"


def test_skip_to_moves_only_that_consumers_cursor_and_can_go_back(rt: Runtime) -> None:
    job_id = ended(rt, "printf 'a\\nb\\n'")
    rt.skip_to(job_id, 4, consumer="me")
    assert rt.read(job_id).text == "a\nb\n"  # the agent's cursor did not move
    assert rt.read(job_id, consumer="me").text == ""
    rt.skip_to(job_id, 0, consumer="me")  # back to the start: everything again
    assert rt.read(job_id, consumer="me").text == "a\nb\n"


def test_a_negative_offset_is_refused(rt: Runtime) -> None:
    job_id = ended(rt, "true")
    with pytest.raises(InvalidRequest, match="out of range"):
        rt.skip_to(job_id, -1)


def test_an_unknown_job_is_an_error_and_leaves_nothing_behind(rt: Runtime) -> None:
    ended(rt, "true")
    with pytest.raises(BgviewError):
        rt.skip_to("bash_9", 0)
    assert [job.id for job in rt.jobs()] == ["bash_1"]
    assert not (rt.project.jobs_dir / "bash_9").exists()
