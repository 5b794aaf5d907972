"""The filter (`f`) behind a firehose, under Textual's pilot: a running job's log grows by more
than the view takes in at a time while it follows (the view jumps to the tail, the stretch
skipped left to the filter's worker); the bar says how far the filter got while it is behind,
and once the output stops it has caught up: every matching line of the log, in order. A filter
that holds as many matches as it keeps says so; a plain word is found without the regex engine
(a filter keeping most lines of a firehose), keeping the same lines."""

from __future__ import annotations

from pathlib import Path

import pytest

import bgview.ui.log_matches
from bgview.ui import make_app
from bgview.ui.log_model import JUMP_AFTER
from bgview.ui.log_scan import compile_query, literal_of, matching_rows
from tests.ui.helpers import log_view, until, visible_lines, widget_text
from tests.ui.store_builder import StoreBuilder

FILLER = b"2026-11-21T00:00:00.000Z INFO worker-7 request handled path=/api/items status=200\n"


def burst(n: int) -> bytes:
    """More than the view takes in while following (it jumps), one needle in it."""
    return FILLER * (JUMP_AFTER // len(FILLER) + 5000) + b"NEEDLE %03d\n" % n


async def test_a_filter_behind_a_firehose_says_where_it_is_and_catches_up(
    home: Path, tmp_path: Path
) -> None:
    store = StoreBuilder(home, tmp_path / "proj")
    job_dir = store.add("./firehose", burst(0), status="running")
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            view = log_view(app)
            bar = app.screen.query_one("#log-bar")
            await until(pilot, lambda: view.row_count > 0, what="the log")
            await pilot.press("f", *"NEEDLE", "enter")
            await until(pilot, lambda: "filtering" not in widget_text(bar), what="the filter")
            said: set[str] = set()
            with open(job_dir / "output.log", "ab") as log:
                for n in range(1, 16):
                    log.write(burst(n))
                    log.flush()
                    view.update_log()  # what the live feed does when the log grows
                    said.add(view.state.busy or "")  # what the bar says of it, next frame
                    await pilot.pause()
            assert view.follow
            assert any(text.startswith("filtering… ") for text in said)  # behind, and says so
            want = [f"NEEDLE {n:03d}" for n in range(16)]
            await until(
                pilot,
                lambda: "filtering" not in widget_text(bar) and view.row_count == 16,
                timeout=30,
                what="the filter caught up",
            )
            assert "16 of" in widget_text(bar)
            assert visible_lines(view) == want  # every needle, in the order written
    finally:
        store.close()


async def test_a_filter_that_keeps_no_more_matches_says_so(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bgview.ui.log_matches, "MAX_MATCHES", 50)  # 2,000,000 in earnest
    store = StoreBuilder(home, tmp_path / "proj")
    store.add("./many", b"".join(b"match %d\n" % i for i in range(80)), status="exited")
    app = make_app(tmp_path / "proj", home=home)
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            view = log_view(app)
            bar = app.screen.query_one("#log-bar")
            await until(pilot, lambda: view.row_count == 80, what="the log")
            await pilot.press("f", *"match", "enter")
            await until(pilot, lambda: "filtering" not in widget_text(bar), what="the filter")
            assert view.row_count == 50
            assert "50 of 80 lines · ⚠ no more kept (50 at most)" in widget_text(bar)
    finally:
        store.close()


@pytest.mark.parametrize(
    "query",
    [
        "INFO",  # a capital: case counts
        "info",  # none: any case
        "status=500",  # punctuation that is plain text in a regex too
        "rror",  # inside a word
        "x y",  # a space
    ],
)
def test_a_plain_word_keeps_the_lines_the_regex_keeps(query: str) -> None:
    """A filter for a plain word (most are) is looked for with ``bytes.find`` rather than the
    regex engine, a tenth of the cost a match: the same lines either way."""
    lines = [b"INFO ok", b"info low", b"Warn x y", b"ERROR status=500", b"", b"errors", b"x  y"]
    data = b"\n".join(lines * 50)
    pattern = compile_query(query)
    assert literal_of(pattern) is not None
    want = [i for i, line in enumerate(lines * 50) if pattern.search(line.decode())]
    assert matching_rows(data, len(lines) * 50, pattern) == want
