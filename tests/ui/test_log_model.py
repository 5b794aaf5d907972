"""Fast tests of the log pane's model, without Textual: the tail, the map of every line, how
they grow (partial lines, truncation, the size cap, a jump to the tail), reaching any line of
the whole log, and search and filter over it (:mod:`bgview.ui.log_model`,
:mod:`bgview.ui.log_map`, :mod:`bgview.ui.log_matches`)."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

from bgview.runtime.patterns import UserPattern
from bgview.ui import log_model
from bgview.ui.log_file import LogFile
from bgview.ui.log_map import STEP, LineMap, count_range
from bgview.ui.log_matches import WAIT, Matches, Scan, scan_range
from bgview.ui.log_model import LogModel
from bgview.ui.log_scan import compile_query, matching_rows

PLAIN = (
    "log_model",
    "log_scan",
    "log_index",
    "log_file",
    "ansi",
    "log_rows",
    "styled_term",
    "log_map",
    "log_matches",
    "log_termscan",
    "log_state",
)
"""The model's modules: plain Python (Rich for styling lines), never Textual."""


def test_the_model_needs_no_textual() -> None:
    """Each model module, and every bgview.ui module it imports, imports no Textual."""
    ui = Path(__file__).resolve().parents[2] / "bgview" / "ui"
    for name in PLAIN:
        tree = ast.parse((ui / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert not module.startswith("textual"), f"{name} imports {module}"
                if module.startswith("bgview.ui."):
                    assert module.removeprefix("bgview.ui.") in PLAIN, f"{name}: {module}"


def pattern(query: str) -> UserPattern:
    return compile_query(query)


# ---- the index's blocks ---------------------------------------------------------------------


# ---- matching a block -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "count", "query", "rows"),
    [
        (b"hay\nneedle\nhay\nneedles\n", 4, "needle", [1, 3]),  # RE2 over raw ASCII
        (b"a \x1b[31mred\x1b[0m word\nred\n", 2, "a red", [0]),  # colours do not split words
        (b"50%\r100% done\n", 1, "50%", []),  # a progress bar is matched as last drawn
        (b"one\r\ntwo\r\n", 2, "^two$", [1]),  # CRLF: the CR is no character of the line
        (b"caf\xc3\xa9\nplain\n", 2, "é", [0]),  # beyond ASCII: cleaned, then RE2 for UTF-8
        (b"foo\nbar\n", 2, r"foo\sbar", []),  # a match across lines matches neither line
        (b"foo\nbar foo bar\n", 2, r"foo\s*bar", [1]),  # …but a line that matches on its own
        (b"x\n\ny\n", 3, "^$", [1]),  # an empty match on an empty line, not past the end
        (b"abab\nabcd\n", 2, r"(ab)\1", [0]),  # a backreference: the fallback engine
        (b"NEEDLE\n", 1, "needle", [0]),  # smart case: lower case matches either
        (b"needle\n", 1, "NEEDLE", []),  # …a capital does not
    ],
)
def test_matching_rows(data: bytes, count: int, query: str, rows: list[int]) -> None:
    assert matching_rows(data, count, pattern(query)) == rows


# ---- a log on disk --------------------------------------------------------------------------


def job_with(tmp_path: Path, data: bytes) -> Path:
    job_dir = tmp_path / "bash_1"
    job_dir.mkdir(exist_ok=True)
    (job_dir / "output.log").write_bytes(data)
    return job_dir


def append(job_dir: Path, data: bytes) -> None:
    with open(job_dir / "output.log", "ab") as log:
        log.write(data)


NUMBERED = b"".join(b"needle %d\n" % i if i % 50 == 0 else b"hay %d\n" % i for i in range(1, 301))


def counted(model: LogModel) -> None:
    """Count the lines before the tail as the view's worker does, and take the count in."""
    job = model.count_job()
    if job is None:
        return
    lmap, stop = job
    assert model.file is not None
    for _ in count_range(lmap, stop, model.file.read_at, lambda: False):
        pass
    assert model.counted(lmap) is not None


def scanned(model: LogModel, scan: Scan, pos: int = 0) -> None:
    """Fill a scan's holes as the view's worker does."""
    assert model.file is not None
    for a, b in scan.plan(pos):
        for end, starts, stops in scan_range(model.file, a, b, scan.pattern, lambda: False):
            model.add_found(scan, a, end, starts, stops)
            a = end


def lines_of(model: LogModel, rows: range) -> list[bytes]:
    assert model.file is not None
    spans = model.row_spans(rows)
    return [model.file.read(*span) if span else b"?" for span in spans]


# ---- the map of every line ------------------------------------------------------------------


def test_the_map_finds_any_line_and_the_line_of_any_byte(tmp_path: Path) -> None:
    data = b"".join(b"%d\n" % i for i in range(100_000))  # lines of 2 to 6 bytes: 588,890 B
    job_dir = job_with(tmp_path, data)
    file = LogFile(job_dir)
    lmap = LineMap(0, 0)
    assert list(count_range(lmap, len(data), file.read_at, lambda: False))[-1] == len(data)
    assert (lmap.end_line, len(lmap._offs)) == (100_000, len(data) // STEP + 1)
    for line in (0, 1, 9, 10, 54_321, 99_999):
        start = lmap.start_of(line, file.read_at)
        assert start is not None and data[start:].startswith(b"%d\n" % line)
        assert lmap.line_at(start, file.read_at) == line
        assert lmap.line_at(start + 1, file.read_at) == line  # inside it too
    assert lmap.start_of(100_001, file.read_at) is None  # past the end


def test_the_map_moves_its_start_past_what_the_cap_dropped(tmp_path: Path) -> None:
    data = b"".join(b"line %06d\n" % i for i in range(20_000))  # 12 bytes a line
    job_dir = job_with(tmp_path, data)
    lmap = LineMap(0, 0)
    lmap.feed(data)
    cut = 12 * 15_000
    (job_dir / "output.log").write_bytes(data[cut:])
    (job_dir / "log.state").write_text(json.dumps({"gen": 1, "dropped": cut}))
    file = LogFile(job_dir)
    assert lmap.drop_before(cut, file.read_at)
    assert (lmap.base, lmap.first) == (cut, 15_000)  # numbers go on
    start = lmap.start_of(17_000, file.read_at)
    assert start == 12 * 17_000


# ---- the model ------------------------------------------------------------------------------


def test_opens_at_the_tail_and_takes_in_growth(tmp_path: Path) -> None:
    job_dir = job_with(tmp_path, b"one\ntw")
    model = LogModel()
    model.open(job_dir)
    assert (model.row_count, model.index.partial) == (2, True)
    assert model.update(follow=True).changed is False  # nothing new: cheap, nothing to do
    append(job_dir, b"o\nthree\n")
    update = model.update(follow=True)
    assert update.changed and update.took and not update.reopened
    assert [model.index.span(n) for n in range(3)] == [(0, 4), (4, 8), (8, 14)]


def test_a_big_log_opens_at_its_tail_and_reaches_every_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_model, "OPEN_WINDOW", 1000)
    data = b"".join(b"line %05d\n" % i for i in range(50_000))  # 11 B a line
    job_dir = job_with(tmp_path, data)
    model = LogModel()
    model.open(job_dir)
    assert model.tail.base > 0 and model.tail.base % 11 == 0  # from a line's start
    assert model.gap and model.row_count == 50_000  # an estimate, here right on
    assert lines_of(model, range(0, 2)) == [b"line 00000\n", b"line 00001\n"]  # home
    counted(model)
    assert not model.gap and model.row_count == 50_000
    assert lines_of(model, range(31_999, 32_001)) == [b"line 31999\n", b"line 32000\n"]
    assert lines_of(model, range(49_998, 50_001)) == [b"line 49998\n", b"line 49999\n", b"?"]
    assert model.row_of_offset(11 * 40_000 + 3) == 40_000


def test_the_estimate_is_made_right_when_the_count_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_model, "OPEN_WINDOW", 1000)
    long_lines = b"".join(b"%s\n" % (b"x" * 99) for _ in range(1000))  # 100 B a line
    job_dir = job_with(tmp_path, long_lines + b"".join(b"s %04d\n" % i for i in range(1000)))
    model = LogModel()
    model.open(job_dir)
    guess = model.tail.first  # by the tail's short lines: far too many
    job = model.count_job()
    assert job is not None
    lmap, stop = job
    assert model.file is not None
    for _ in count_range(lmap, stop, model.file.read_at, lambda: False):
        pass
    delta = model.counted(lmap)
    assert delta is not None and model.tail.first == guess + delta
    assert model.row_count == 2000
    assert lines_of(model, range(1999, 2000)) == [b"s 0999\n"]


def test_truncation_starts_over_and_a_deleted_log_is_a_problem(tmp_path: Path) -> None:
    job_dir = job_with(tmp_path, b"one\ntwo\n")
    model = LogModel()
    model.open(job_dir)
    os.truncate(job_dir / "output.log", 0)
    append(job_dir, b"new\n")
    update = model.update(follow=True)
    assert update.truncated and update.reopened and model.row_count == 1
    (job_dir / "output.log").unlink()
    assert model.update(follow=True).changed
    assert model.problem == "bash_1 has no log"
    append(job_dir, b"back\n")
    assert model.update(follow=True).reopened and model.problem is None


def test_a_big_backlog_while_following_jumps_to_the_tail(tmp_path: Path) -> None:
    job_dir = job_with(tmp_path, b"start\n")
    model = LogModel()
    model.open(job_dir)
    scan = model.start_scan("filter", pattern("needle"))
    assert scan is not None
    scanned(model, scan)
    assert scan.done
    append(job_dir, (b"y" * 1023 + b"\n") * 3000)  # 3 MB: more than JUMP_AFTER
    paused = model.update(follow=False)
    assert paused.more and not paused.jumped  # paused: read on, a step at a time
    append(job_dir, b"needle skipped\n" + (b"y" * 1023 + b"\n") * 3000)
    update = model.update(follow=True)
    assert update.jumped and model.gap  # the skipped lines are counted afterwards…
    assert model.tail.end == (job_dir / "output.log").stat().st_size
    counted(model)
    assert model.row_count == 0  # …and scanned: the needle is in a hole yet
    filtering = model.scans["filter"]
    assert not filtering.done
    scanned(model, filtering)
    assert lines_of(model, range(0, 1)) == [b"needle skipped\n"]


def test_bytes_dropped_by_the_size_cap_drop_their_rows(tmp_path: Path) -> None:
    job_dir = job_with(tmp_path, b"aaaa\nbbbb\ncccc\n")
    model = LogModel()
    model.open(job_dir)
    (job_dir / "output.log").write_bytes(b"cccc\ndddd\n")  # the cap kept the newest bytes
    (job_dir / "log.state").write_text(json.dumps({"gen": 1, "dropped": 10}))
    update = model.update(follow=False)
    assert update.rows_gone == 2 and model.dropped == 10
    assert model.row_spans(range(2)) == [(10, 15), (15, 20)]


def test_the_filter_takes_a_scans_matches_and_matches_new_lines_itself(tmp_path: Path) -> None:
    job_dir = job_with(tmp_path, b"needle 1\nhay\nneedle 2\nneedle par")
    model = LogModel()
    model.open(job_dir)
    scan = model.start_scan("filter", pattern("needle"))
    assert scan is not None and scan.holes == [(0, 22)]  # complete lines go to a scan…
    assert list(scan.matches.starts) == [22]  # …the partial line is matched here, as it grows
    append(job_dir, b"tial\nhay\nneedle 4\n")
    model.update(follow=True)
    assert list(scan.matches.starts) == [22, 41]
    scanned(model, scan)
    assert lines_of(model, range(model.row_count)) == [
        b"needle 1\n",
        b"needle 2\n",
        b"needle partial\n",
        b"needle 4\n",
    ]
    assert model.row_of_offset(13) == 1 and model.row_of_offset(9) is None
    model.start_scan("filter", None)
    assert model.row_count == 6


def test_a_scan_says_what_it_cannot_know_yet() -> None:
    # Matches at 100 and 300 of a 1,000-byte log; [500, 1000) not matched yet.
    scan = Scan("search", pattern("x"), 1, holes=[(500, 1000)])
    scan.matches.add([100, 300], [110, 310])
    assert scan.next(100, True, 0, 1000) == 1  # after 100: 300, nothing unmatched between
    assert scan.next(300, True, 0, 1000) == WAIT  # after 300: the hole may hold one
    assert scan.next(300, False, 0, 1000) == 0
    assert scan.next(100, False, 0, 1000) == WAIT  # wrapping back passes the hole
    scan.cover(500, 1000)
    assert scan.next(300, True, 0, 1000) == 0  # wraps around to the first
    assert scan.next(100, False, 0, 1000) == 1  # and back to the last
    assert Scan("search", pattern("x"), 1, holes=[]).next(0, True, 0, 9) is None
    # From just before a line (the top of the screen, less one): the line before it is not
    # what the search must have seen first.
    early = Scan("search", pattern("x"), 1, holes=[(0, 400)])
    early.matches.add([600], [610])
    assert early.next(399, True, 0, 1000) == 0


def test_matches_are_kept_in_order_and_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bgview.ui.log_matches.MAX_MATCHES", 3)
    found = Matches()
    assert found.add([50, 60], [55, 65]) == 0
    assert found.add([10], [15]) == 0  # an earlier stretch goes in before
    assert list(found.starts) == [10, 50, 60] and not found.full
    found.add([70], [75])
    assert found.full and len(found) == 3
    assert found.drop_before(50) == 1 and list(found.starts) == [50, 60]


def test_a_scan_passes_over_a_line_longer_than_a_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bgview.ui.log_matches.SCAN_BLOCK", 64)
    data = b"needle " + b"x" * 500 + b"\nhay\nneedle again\n"
    job_dir = job_with(tmp_path, data)
    found = list(scan_range(LogFile(job_dir), 0, len(data), pattern("needle"), lambda: False))
    starts = [s for _, got, _ in found for s in got]
    stops = [s for _, _, got in found for s in got]
    assert starts == [0, 512] and stops == [508, len(data)]


def test_a_match_found_before_the_count_gets_there_is_drawn_where_its_row_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_model, "OPEN_WINDOW", 1000)
    data = b"".join(b"line %05d\n" % i for i in range(50_000))  # 11 B a line
    job_dir = job_with(tmp_path, data)
    model = LogModel()
    model.open(job_dir)
    assert model.gap and model.map.end == 0  # nothing counted yet
    offset = 11 * 30_000
    model.seat_at(offset)
    row = model.row_of_offset(offset)
    assert row is not None
    assert lines_of(model, range(row - 2, row + 1)) == [
        b"line 29998\n",
        b"line 29999\n",
        b"line 30000\n",
    ]
