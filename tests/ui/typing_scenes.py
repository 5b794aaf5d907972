"""The viewer's scenes of typing into a job, shared by the snapshot tests and ``make
screenshots``: the input box (``i``) at an ordinary prompt and at a password prompt, and a job
attached (``a``) — htop, from its real output recorded in ``recordings/htop.bin`` (htop 3 in a
120×30 pty, watching three processes).

The boxes and the attached screen are opened as ``i`` and ``a`` open them, but without a live
job behind them (the store's jobs are written by hand): the box is told whether the job's
terminal echoes instead of asking the pty, and the attached screen draws the recording and
follows nothing.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from bgview.runtime.facts import Facts, ProcessFact
from bgview.ui import BgviewApp
from bgview.ui.attach import AttachScreen
from bgview.ui.input_box import InputBox
from bgview.ui.job_table import JobTable
from tests.ui.scenarios import MB, Scenario, loaded, server_output
from tests.ui.store_builder import T0, StoreBuilder

HTOP = Path(__file__).with_name("recordings") / "htop.bin"


def _waiting(prompt: str, pid: int, command: str) -> Facts:
    return Facts(
        updated_at=T0,
        process_count=1,
        rss_bytes=9 * MB,
        processes=(ProcessFact(pid, command, 0.0, 9 * MB),),
        waiting_for_input=True,
        prompt=prompt,
    )


def prompts(store: StoreBuilder) -> None:
    """A dev server, a migration asking to go on, a deploy asking for a password."""
    store.add("npm run dev", server_output(12), status="running", name="dev", started=-185.5)
    store.add(
        "./manage.py migrate",
        b"Apply 3 migrations to the production database? [y/N] ",
        status="running",
        started=-20,
        pid=5301,
        facts=_waiting("Apply 3 migrations to the production database? [y/N]", 5301, "python"),
    )
    store.add(
        "ssh deploy@prod ./release.sh",
        b"deploy@prod's password: ",
        status="running",
        started=-8,
        pid=5401,
        facts=_waiting("deploy@prod's password:", 5401, "ssh deploy@prod ./release.sh"),
    )


def htop(store: StoreBuilder) -> None:
    """htop running as a job, beside a dev server."""
    store.add("npm run dev", server_output(12), status="running", name="dev", started=-185.5)
    store.add("htop", HTOP.read_bytes(), status="running", started=-30, pid=5501)


async def _box(pilot: Pilot[int], job_id: str, hidden: bool, typed: str) -> None:
    await loaded(pilot)
    app = pilot.app
    assert isinstance(app, BgviewApp)
    table = app.jobs_screen.query_one(JobTable)
    job = next(job for job in table.jobs.values() if job.id == job_id)
    table.move_to(job.dir)
    app.push_screen(InputBox(job, hidden=hidden, follow_echo=False))
    await pilot.pause()
    await pilot.press(*typed)
    await pilot.pause()


async def type_answer(pilot: Pilot[int]) -> None:
    """``i`` on the migration, ``y`` typed."""
    await _box(pilot, "bash_2", False, "y")


async def type_password(pilot: Pilot[int]) -> None:
    """``i`` on the deploy, whose terminal does not echo: a password typed."""
    await _box(pilot, "bash_3", True, "hunter2")


async def attached_htop(pilot: Pilot[int]) -> None:
    """``a`` on htop: its screen as the recording left it."""
    await loaded(pilot)
    app = pilot.app
    assert isinstance(app, BgviewApp)
    table = app.jobs_screen.query_one(JobTable)
    job = next(job for job in table.jobs.values() if job.id == "bash_2")
    table.move_to(job.dir)
    app.push_screen(AttachScreen(job, None, HTOP.read_bytes(), (120, 30)))
    await pilot.pause()
    await pilot.pause()


TYPING_SCENARIOS = [
    Scenario("input", prompts, (120, 32), type_answer, "i: a line typed for a job's prompt"),
    Scenario(
        "password",
        prompts,
        (120, 32),
        type_password,
        "i at a password prompt: the job's terminal does not echo, nor does the box",
    ),
    Scenario("attached", htop, (120, 32), attached_htop, "a: htop attached, in the viewer"),
]
