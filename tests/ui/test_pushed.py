"""JobsScreen pushed inside another Textual app: it looks as it does in bgview (its layout is
its own), and `q` leaves the screen, never the host app."""

from __future__ import annotations

from pathlib import Path

from bgview.ui import JobsScreen
from bgview.ui.job_screen import JobScreen
from tests.ui.helpers import until
from tests.ui.scenarios import SCENARIOS, Host, build_app, loaded

SIZE = (120, 32)
PARTS = ("#jobs", "#log-panel", "#footer", "JobsChip", "#log-bar")


def regions(screen: JobsScreen) -> dict[str, object]:
    return {part: screen.query_one(part).region for part in PARTS}


async def test_pushed_it_is_laid_out_as_in_bgview_and_q_goes_back(tmp_path: Path) -> None:
    """The same store at the same size: the table, the log pane, its bar, the footer and the
    chip sit exactly where bgview puts them; q (on the table, and from a job's own screen)
    returns to the host's screen, and the host keeps running."""
    scenario = next(s for s in SCENARIOS if s.name == "table")
    own, store = build_app(scenario, tmp_path / "home")
    try:
        async with own.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            expected = regions(own.jobs_screen)
            assert own.jobs_screen.query_one("#jobs").region.height == 12  # 40% of 32 rows
        host = Host(tmp_path / "home")
        async with host.run_test(size=SIZE) as pilot:
            screen = host.open_jobs()
            await until(pilot, lambda: screen.loaded, what="the jobs")
            await pilot.pause()
            assert regions(screen) == expected
            await pilot.press("q")
            await until(pilot, lambda: host.screen is not screen, what="the host's screen")
            assert host.is_running and host.query_one("#host")
            screen = host.open_jobs()
            await until(pilot, lambda: screen.loaded, what="the jobs again")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(host.screen, JobScreen), what="a job open")
            await pilot.press("q")
            await until(pilot, lambda: len(host.screen_stack) == 1, what="both screens gone")
            assert host.is_running
            assert host.return_code is None
    finally:
        store.close()
