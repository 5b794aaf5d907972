"""Typing into a job and sizing its terminal, through the runtime, with real jobs in real
ptys: what ``bgview send``, the agents' ``write_stdin``, the viewer's input box and ``bgview
attach`` all rely on."""

from __future__ import annotations

import json
import sys

import pytest

from bgview.runtime import InvalidRequest, Runtime, control
from bgview.runtime.emulation import job_size
from bgview.runtime.jobpty import TtyMode, caller_size, parse_size
from bgview.runtime.record import Request
from tests.runtime.helpers import ended, until

PY = sys.executable


def _log(rt: Runtime, job_id: str) -> bytes:
    return rt.job(job_id).log_path.read_bytes()


def _mode(rt: Runtime, job_id: str) -> TtyMode:
    mode = rt.tty_mode(job_id)
    assert mode is not None, f"{job_id}'s terminal could not be read"
    return mode


def test_send_answers_a_read_prompt_with_enter(rt: Runtime) -> None:
    job = rt.start("read -p 'Continue? ' answer; echo \"got [$answer]\"")
    until(lambda: b"Continue? " in _log(rt, job.id), what="the prompt")
    rt.send(job.id, "yes")
    assert ended(rt, job.id).exit_code == 0
    assert b"got [yes]" in _log(rt, job.id)


def test_send_without_enter_leaves_the_line_open(rt: Runtime) -> None:
    job = rt.start("read -p 'name: ' name; echo \"hello [$name]\"")
    until(lambda: b"name: " in _log(rt, job.id), what="the prompt")
    rt.send(job.id, "ad", enter=False)
    until(lambda: b"name: ad" in _log(rt, job.id), what="the echo of what was typed")
    assert rt.job(job.id).running  # no Enter yet: still reading
    rt.send(job.id, "a")
    ended(rt, job.id)
    assert b"hello [ada]" in _log(rt, job.id)


@pytest.mark.parametrize(
    "command",
    [
        # bash's silent read: echo off on its stdin
        "read -s -p 'Password: ' pw; echo; echo \"length ${#pw}\"",
        # Python's getpass: echo off on /dev/tty, the same pty
        f"{PY} -c \"import getpass; pw = getpass.getpass(); print('length', len(pw))\"",
    ],
)
def test_a_password_prompt_turns_echo_off_and_what_is_sent_is_never_logged(
    rt: Runtime, command: str
) -> None:
    job = rt.start(command)
    until(lambda: b"Password: " in _log(rt, job.id), what="the password prompt")
    until(lambda: not _mode(rt, job.id).echo, what="echo off at the prompt")
    rt.send(job.id, "hunter2-secret")
    assert ended(rt, job.id).exit_code == 0
    log = _log(rt, job.id)
    assert b"length 14" in log
    assert b"hunter2" not in log
    assert "hunter2" not in rt.read(job.id).render()


def test_echo_is_on_at_an_ordinary_prompt(rt: Runtime) -> None:
    job = rt.start("read -p 'Continue? ' answer")
    until(lambda: b"Continue? " in _log(rt, job.id), what="the prompt")
    mode = _mode(rt, job.id)
    assert mode.echo and mode.canonical
    rt.send(job.id, "")


def test_sending_to_an_ended_job_says_so(rt: Runtime) -> None:
    job = ended(rt, rt.start("true").id)
    with pytest.raises(InvalidRequest, match=f"{job.id} has ended \\(exited\\); it takes no input"):
        rt.send(job.id, "hello")
    assert rt.tty_mode(job.id) is None


def test_nothing_to_send_is_refused(rt: Runtime) -> None:
    job = rt.start("sleep 30")
    with pytest.raises(InvalidRequest, match="nothing to send"):
        rt.send(job.id, "", enter=False)


def test_a_held_input_takes_keystrokes_one_by_one(rt: Runtime) -> None:
    """What an attached terminal does: one open input, a write per key."""
    job = rt.start(f"{PY} -c \"print('got', input('> '))\"")
    until(lambda: b"> " in _log(rt, job.id), what="the prompt")
    with control.JobInput.open(rt.project, job.id) as keys:
        for key in (b"a", b"b", b"c", b"\r"):
            keys.write(key)
    ended(rt, job.id)
    assert b"got abc" in _log(rt, job.id)


# ---- the terminal's size -----------------------------------------------------------------


def test_the_size_asked_for_is_the_jobs_terminal_and_its_record(rt: Runtime) -> None:
    job = rt.start("stty size; read line", size=(80, 24))
    until(lambda: b"24 80" in _log(rt, job.id), what="stty's answer")
    mode = _mode(rt, job.id)
    assert (mode.columns, mode.rows) == (80, 24)
    assert job_size(job.dir) == (80, 24)  # the cleaned reads' terminal, from the record
    rt.resize(job.id, 100, 30)
    until(lambda: (_mode(rt, job.id).columns, _mode(rt, job.id).rows) == (100, 30))
    rt.send(job.id, "")


def test_with_no_terminal_the_size_is_120x40(rt: Runtime) -> None:
    # The test runs with no terminal on stdin, stdout or stderr when run by xdist workers;
    # caller_size says what this process has, and the job's record holds exactly that.
    job = rt.start("stty size")
    ended(rt, job.id)
    columns, rows = caller_size()
    assert f"{rows} {columns}".encode() in _log(rt, job.id)
    assert job_size(job.dir) == (columns, rows)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("0x0", "0x0 is out of range"),  # no terminal has no size
        ("5000x5000", "5000x5000 is out of range"),  # beyond 1000×1000
        ("1x40", "1x40 is out of range"),  # one column cannot hold a character and a cursor
        ("abc", "not a terminal size: 'abc'"),
        ("120x", "not a terminal size"),
        ("-1x5", "not a terminal size"),
    ],
)
def test_bad_sizes_are_one_clear_line(text: str, words: str) -> None:
    with pytest.raises(InvalidRequest, match=words):
        parse_size(text)


@pytest.mark.parametrize(
    ("text", "size"), [("120x40", (120, 40)), ("80X24", (80, 24)), (" 100×30 ", (100, 30))]
)
def test_good_sizes(text: str, size: tuple[int, int]) -> None:
    assert parse_size(text) == size


def test_start_refuses_a_size_out_of_range(rt: Runtime) -> None:
    with pytest.raises(InvalidRequest, match="out of range"):
        rt.start("true", size=(5000, 5000))
    assert rt.jobs() == []


def test_a_record_without_a_size_still_loads_at_120x40(rt: Runtime) -> None:
    """Records written before the size was kept."""
    job = ended(rt, rt.start("true").id)
    meta = json.loads((job.dir / "meta.json").read_text())
    del meta["winsize"]
    assert Request.from_dict(meta).winsize is None
    (job.dir / "meta.json").write_text(json.dumps(meta))
    assert job_size(job.dir) == (120, 40)
    assert rt.job(job.id).id == job.id
