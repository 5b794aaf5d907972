"""Restart policies with real crashing jobs in real ptys, and ``restart`` of a finished or a
running job: what someone who leaves a flaky dev server to bgview relies on."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import pytest

from bgview.runtime import InvalidRequest, JobStatus, Runtime
from bgview.runtime.present import restart_line, serves, status_cell
from bgview.runtime.restarts import (
    HEALTHY,
    MAX_BACKOFF,
    RestartMode,
    RestartPolicy,
    Run,
    backoff,
    policy,
    wants_restart,
)
from tests.runtime.helpers import ended, until

# ---- the rules, without processes ------------------------------------------------------------


def _runs(*lasted: float) -> tuple[Run, ...]:
    """Runs that each lasted so long (an hour apart), the last one just ended with exit 1."""
    return tuple(Run(3600.0 * i, 3600.0 * i + s, 1) for i, s in enumerate(lasted))


@pytest.mark.parametrize(
    ("rule", "lasted", "wait"),
    [
        # the first restart waits the backoff itself
        (RestartPolicy(RestartMode.ON_FAILURE, 5, 2.0), (5,), 2.0),
        # each restart since doubles it
        (RestartPolicy(RestartMode.ON_FAILURE, 5, 2.0), (5, 5, 5), 8.0),
        # up to a minute, not more
        (RestartPolicy(RestartMode.ON_FAILURE, 50, 2.0), (5,) * 20, MAX_BACKOFF),
        # a run that crashed within a second waits a second at least, even with no backoff
        (RestartPolicy(RestartMode.ON_FAILURE, 5, 0.0), (0.01,), 1.0),
        # ... doubled like any other: a crash loop is backed off, never a tight loop
        (RestartPolicy(RestartMode.ON_FAILURE, 5, 0.0), (0.01, 0.01, 0.01), 4.0),
        # runs that live longer than a second restart after the backoff asked for, even none
        (RestartPolicy(RestartMode.ON_FAILURE, 5, 0.0), (2, 2, 2), 0.0),
        # a run that stayed up a minute starts the doubling again
        (RestartPolicy(RestartMode.ON_FAILURE, 5, 2.0), (5, 5, HEALTHY, 5), 2.0),
        (RestartPolicy(RestartMode.ON_FAILURE, 5, 2.0), (5, 5, HEALTHY + 5), 2.0),
    ],
)
def test_backoff_doubles_up_to_a_minute_and_crash_loops_wait(
    rule: RestartPolicy, lasted: tuple[float, ...], wait: float
) -> None:
    assert backoff(rule, _runs(*lasted)) == pytest.approx(wait)


@pytest.mark.parametrize(
    ("mode", "run", "asked", "restarted"),
    [
        ("on-failure", Run(0, 1, exit_code=1), False, True),  # a failure
        ("on-failure", Run(0, 1, exit_code=0), False, False),  # a success is left alone
        ("on-failure", Run(0, 1, signal="SIGSEGV"), False, True),  # a crash by a signal
        ("on-failure", Run(0, 1, signal="SIGTERM"), True, False),  # bgview kill asked for it
        ("always", Run(0, 1, exit_code=0), False, True),  # always: a success too
        ("always", Run(0, 1, exit_code=1), True, False),  # but never what was asked for
    ],
)
def test_which_ends_are_restarted(mode: str, run: Run, asked: bool, restarted: bool) -> None:
    assert wants_restart(policy(mode), run, asked=asked) is restarted


@pytest.mark.parametrize(
    ("mode", "count", "wait", "message"),
    [
        ("sometimes", None, None, "a restart policy is on-failure or always, not 'sometimes'"),
        ("always", -1, None, "max restarts -1 is out of range (0 to 10000)"),
        ("always", None, float("nan"), "backoff nans is out of range (0 to 60)"),
        ("always", None, 61, "backoff 61s is out of range (0 to 60)"),
    ],
)
def test_a_bad_policy_is_one_clear_line(
    rt: Runtime, mode: str, count: int | None, wait: float | None, message: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        rt.start("true", restart=mode, max_restarts=count, backoff=wait)
    assert str(caught.value) == message
    assert rt.jobs() == []


def test_max_restarts_without_a_policy_is_refused(rt: Runtime) -> None:
    with pytest.raises(InvalidRequest, match="go with a restart policy"):
        rt.start("true", max_restarts=3)


# ---- real jobs -------------------------------------------------------------------------------


def gaps(runs: tuple[Run, ...]) -> list[float]:
    """Seconds from each run's end to the next one's start, as the record says."""
    return [b.started_at - (a.ended_at or 0.0) for a, b in itertools.pairwise(runs)]


def test_a_crash_loop_is_backed_off_and_given_up_with_every_byte_kept(rt: Runtime) -> None:
    """A command that fails at once with no backoff asked for: restarted after 1 s, then 2 s
    (never in a tight loop), then given up; one job, every run's bytes in its log, one notice
    per restart and one for giving up."""
    job = rt.start("echo try; exit 1", name="web", restart="on-failure", max_restarts=2, backoff=0)
    done = ended(rt, job.id, timeout=20)
    assert (done.status, done.exit_code, done.restarts, done.gave_up) == (
        JobStatus.EXITED,
        1,
        2,
        True,
    )
    assert [(r.exit_code, r.log_offset) for r in done.runs] == [(1, 0), (1, 4), (1, 8)]
    assert done.log_path.read_bytes() == b"try\n" * 3
    waited = gaps(done.runs)
    assert 0.95 <= waited[0] < 1.8 and 1.95 <= waited[1] < 3.0, waited
    assert [j.id for j in rt.jobs()] == [job.id]  # one job, one row
    texts = [n.text for n in rt.notices()]
    assert texts == [
        f"[bg:{job.id} restarted (1 of 2) after exit 1]",
        f"[bg:{job.id} restarted (2 of 2) after exit 1]",
        f"[bg:{job.id} gave up after 2 restarts: exited 1, 12B out, {texts[-1].split(', ')[-1]}",
    ]


def test_a_job_that_crashes_after_2s_is_restarted_with_the_backoff_doubling(rt: Runtime) -> None:
    """Runs that live past the crash-loop second wait the backoff asked for, doubled at each
    restart: 0.5 s, then 1 s — read from the record's times."""
    job = rt.start("echo up; sleep 2; exit 3", restart="on-failure", max_restarts=2, backoff=0.5)
    until(lambda: rt.job(job.id).waiting_to_restart, timeout=10, what="the wait")
    waiting = rt.job(job.id)
    assert waiting.running and waiting.restart_at is not None
    assert waiting.restart_at > time.time() - 0.1  # when the next run starts, in the record
    done = ended(rt, job.id, timeout=20)
    assert [r.exit_code for r in done.runs] == [3, 3, 3]
    assert all((r.ended_at or 0) - r.started_at >= 1.9 for r in done.runs)
    first, second = gaps(done.runs)
    assert 0.45 <= first < 0.9 and 0.95 <= second < 1.5, (first, second)
    assert done.gave_up and done.restart_at is None


def test_a_job_that_succeeds_on_its_third_try_ends_exited_0(rt: Runtime, tmp_path: Path) -> None:
    counter = tmp_path / "tries"
    script = (
        f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; "
        'echo "try $n"; [ "$n" -ge 3 ]'
    )
    job = rt.start(script, restart="on-failure", backoff=0.1)
    done = ended(rt, job.id, timeout=20)
    assert (done.status, done.exit_code, done.restarts, done.gave_up) == (
        JobStatus.EXITED,
        0,
        2,
        False,
    )
    assert done.log_path.read_bytes() == b"try 1\ntry 2\ntry 3\n"
    assert [r.exit_code for r in done.runs] == [1, 1, 0]
    texts = [n.text for n in rt.notices()]
    assert texts[:2] == [
        f"[bg:{job.id} restarted (1 of 5) after exit 1]",
        f"[bg:{job.id} restarted (2 of 5) after exit 1]",
    ]
    assert texts[2].startswith(f"[bg:{job.id} exited 0, 18B out, ")
    assert texts[2].endswith(", restarted 2 times]")


def test_on_failure_leaves_a_success_alone_and_always_does_not(rt: Runtime) -> None:
    calm = ended(rt, rt.start("echo ok", restart="on-failure", backoff=0).id)
    assert (calm.exit_code, calm.restarts, len(calm.runs), calm.gave_up) == (0, 0, 1, False)
    eager = ended(rt, rt.start("echo ok", restart="always", max_restarts=1, backoff=0.1).id)
    assert (eager.exit_code, eager.restarts, eager.gave_up) == (0, 1, True)
    assert eager.log_path.read_bytes() == b"ok\nok\n"


def test_a_signal_nobody_asked_for_is_restarted(rt: Runtime) -> None:
    """Killed from outside bgview (here by itself): a crash, restarted on failure."""
    job = rt.start("echo x; kill -KILL $$", restart="on-failure", max_restarts=1, backoff=0)
    done = ended(rt, job.id, timeout=10)
    assert [r.signal for r in done.runs] == ["SIGKILL", "SIGKILL"]
    assert (done.status, done.signal, done.killed_by, done.gave_up) == (
        JobStatus.KILLED,
        "SIGKILL",
        None,
        True,
    )
    assert rt.notices()[0].text == f"[bg:{job.id} restarted (1 of 1) after SIGKILL]"


def test_a_kill_of_a_running_job_ends_its_policy(rt: Runtime) -> None:
    """``bgview kill`` is never a failure to restart: the job ends killed, with one run."""
    job = rt.start("echo up; sleep 30", restart="always", backoff=0)
    until(lambda: rt.job(job.id).pid is not None)
    killed = rt.kill(job.id, grace=1)
    assert (killed.status, killed.signal, killed.killed_by) == (
        JobStatus.KILLED,
        "SIGTERM",
        "user",
    )
    assert (killed.restarts, len(killed.runs), killed.gave_up) == (0, 1, False)
    assert [n.text.split(",")[0] for n in rt.notices()] == [f"[bg:{job.id} killed by SIGTERM"]


def test_a_kill_while_it_waits_to_restart_ends_it_at_once(rt: Runtime) -> None:
    job = rt.start("echo try; exit 1", restart="on-failure", backoff=30)
    until(lambda: rt.job(job.id).waiting_to_restart, timeout=10, what="the wait")
    asked = time.monotonic()
    killed = rt.kill(job.id)
    assert time.monotonic() - asked < 1.0
    assert (killed.status, killed.killed_by, killed.reason) == (
        JobStatus.KILLED,
        "user",
        "while waiting to restart after exit 1",
    )
    assert (killed.restarts, killed.restart_at) == (0, None)
    assert rt.notices()[0].text.startswith(
        f"[bg:{job.id} killed while waiting to restart after exit 1, 4B out, "
    )


def test_the_timeout_bounds_the_whole_job_and_ends_its_policy(rt: Runtime) -> None:
    job = rt.start("echo try; sleep 0.5; exit 1", restart="always", backoff=0, timeout=2.5)
    done = ended(rt, job.id, timeout=15)
    assert done.status is JobStatus.TIMEOUT
    assert done.wall_seconds() < 5
    assert 1 <= done.restarts <= 3 and not done.gave_up


# ---- restart: a new job like the old -----------------------------------------------------------


def test_restart_starts_a_finished_job_again_as_a_new_job(rt: Runtime, tmp_path: Path) -> None:
    """Same command, cwd, name, terminal size and policy; a new id that says whose restart it
    is."""
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    old = rt.start(
        "pwd; stty size", name="build", cwd=workdir, size=(100, 30), restart="on-failure"
    )
    ended(rt, old.id)
    new = rt.restart(old.id)
    assert new.id != old.id and new.restart_of == old.id
    assert (new.command, new.argv, new.cwd, new.name) == (old.command, old.argv, old.cwd, "build")
    assert new.restart_policy == old.restart_policy
    done = ended(rt, new.id)
    assert done.log_path.read_bytes().split() == [str(workdir).encode(), b"30", b"100"]
    assert rt.job(old.id).restart_of is None


def test_restart_of_a_running_job_kills_it_first(rt: Runtime) -> None:
    old = rt.start("echo up; sleep 30", name="web")
    until(lambda: rt.job(old.id).pid is not None)
    new = rt.restart(old.id, grace=1)
    before = rt.job(old.id)
    assert (before.status, before.killed_by) == (JobStatus.KILLED, "user")
    assert new.running and new.name == "web" and new.restart_of == old.id


def test_restart_of_an_unknown_job_is_one_clear_line(rt: Runtime) -> None:
    with pytest.raises(Exception, match="no job bash_9"):
        rt.restart("bash_9")
    assert not os.path.exists(rt.project.jobs_dir / "bash_1")


def test_between_runs_nothing_runs_or_serves(rt: Runtime) -> None:
    """While it waits to restart, its record says no process runs, its status says so and
    where it served is not offered as a place it serves; its policy in words says when."""
    job = rt.start(
        "echo 'listening on http://localhost:5173/'; sleep 1.2; exit 1",
        restart="on-failure",
        backoff=20,
    )
    until(lambda: rt.job(job.id).facts.process_count > 0, what="its process in the facts")
    until(lambda: rt.job(job.id).waiting_to_restart, timeout=10, what="the wait")
    waiting = rt.job(job.id)
    assert waiting.facts.process_count == 0 and waiting.facts.processes == ()
    assert serves(waiting) is None
    assert status_cell(waiting) == "restarting ↻0/5"
    assert waiting.restart_at is not None
    line = restart_line(waiting, now=waiting.restart_at - 12.5)
    assert line == "0 of 5 (on-failure, 20s backoff) · last run: exit 1 · next run in 12s"


def test_a_session_that_ends_takes_its_restarting_job_with_it(home: Path, project: Path) -> None:
    """The owner's end is not a failure to restart: the job ends with its session, also
    between runs."""
    from bgview.runtime import Session

    session = Session(project, home=home)
    job = session.start("echo try; exit 1", restart="always", backoff=20)
    until(lambda: session.job(job.id).waiting_to_restart, timeout=10, what="the wait")
    (ended_job,) = session.close()
    assert (ended_job.status, ended_job.killed_by, ended_job.restarts) == (
        JobStatus.KILLED,
        "owner-exit",
        0,
    )
