"""The job table's rows redrawn for their runtime alone: the new time cell spliced into the
row drawn before gives exactly the row a full redraw gives (colours and cut columns too)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from rich.style import Style

from bgview.runtime.model import Job, JobStatus
from bgview.ui.table_layout import cells, fit, widths_of
from bgview.ui.table_order import JobOrder
from bgview.ui.table_row import RowStrips, draw_row

START = 1_790_000_000.0


def _job() -> Job:
    return Job(
        "bash_12",
        "/proj",
        "npm run dev -- --port 5173",
        ("bash", "-c", "npm run dev"),
        "/proj",
        JobStatus.RUNNING,
        started_at=START,
        dir=Path("/store/jobs/bash_12"),
    )


@pytest.mark.parametrize(
    ("width", "styles"),
    [
        # a plain row, room for everything
        (120, (Style(color="white", bgcolor="black"), None)),
        # the cursor's colours over the cells' own
        (120, (Style(color="black", bgcolor="cyan"), Style(color="black", bgcolor="cyan"))),
        # a narrow table: the command cut short, the time cell still whole
        (50, (Style(color="white"), None)),
    ],
)
def test_a_spliced_runtime_is_the_row_drawn_anew(
    width: int, styles: tuple[Style, Style | None]
) -> None:
    console = Console(width=200, color_system="truecolor", force_terminal=True)
    job = _job()
    order = JobOrder()
    order.load([job], lambda: START + 3600, 10)  # widths for an hour's runtime: 1h00m00s
    widths = fit(width, order.natural)
    strips = RowStrips()
    key = str(job.dir)
    for seconds in (59, 61, 3599):  # 59s, then 1m01s, then 59m59s: shorter and longer texts

        def clock(now: float = START + seconds) -> float:
            return now

        texts = cells(job, clock)
        spliced = strips.row(key, job, texts, widths, width, styles, console)
        whole = draw_row(texts, widths, width, *styles, console, job)
        assert spliced.text == whole.text
        assert list(spliced) == list(whole.simplify())
    assert widths_of(job, lambda: START + 3600)["time"] <= widths["time"]
