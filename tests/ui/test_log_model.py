"""Fast tests of the log pane's model, without Textual: the window of lines held, how it grows
(partial lines, truncation, the size cap, a jump to the tail), reading earlier output in, and
search and filter over it (:mod:`bgview.ui.log_model`, :mod:`bgview.ui.log_scan`)."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

from bgview.runtime.patterns import UserPattern
from bgview.ui import log_model
from bgview.ui.log_file import LogFile
from bgview.ui.log_index import LineIndex
from bgview.ui.log_model import LogModel
from bgview.ui.log_scan import Window, compile_query, find, matching_lines, matching_rows

PLAIN = ("log_model", "log_scan", "log_index", "log_file", "ansi", "log_rows", "styled_term")
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


def test_blocks_cover_the_lines_within_their_size() -> None:
    index = LineIndex(0, first=10)
    index.feed(b"aaaa\n" * 10 + b"tail")  # ten 5-byte lines and a partial one
    assert index.block_after(10, index.last, 12) == 12  # two lines fit in 12 bytes
    assert index.block_after(10, index.last, 3) == 11  # one line at least
    assert index.block_after(19, index.last, 100) == 21  # the partial line comes along
    assert index.block_before(21, 10, 8) == 20  # "tail" (4 bytes) and no more
    assert index.block_before(20, 10, 12) == 18
    assert index.block_before(11, 10, 1) == 10  # one line at least


def test_a_copy_keeps_still_while_the_index_grows() -> None:
    index = LineIndex()
    index.feed(b"one\ntwo\n")
    twin = index.copy()
    index.feed(b"three\n")
    index.drop_front(1)
    assert (twin.first, twin.last, twin.span(1)) == (0, 2, (4, 8))


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


def window_of(tmp_path: Path, data: bytes) -> Window:
    job_dir = job_with(tmp_path, data)
    index, _ = LogFile(job_dir).tail(len(data) + 1)
    return Window(LogFile(job_dir), index)


def test_matching_lines_over_many_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bgview.ui.log_scan.BLOCK_BYTES", 64)  # many blocks, and lines cut
    window = window_of(tmp_path, NUMBERED)
    assert matching_lines(window, 0, 300, pattern("needle")) == [49, 99, 149, 199, 249, 299]
    assert matching_lines(window, 100, 200, pattern("needle")) == [149, 199]


@pytest.mark.parametrize(
    ("query", "start", "forward", "keep", "found"),
    [
        ("needle", 0, True, None, 49),  # from the top: the first match
        ("needle", 49, True, None, 49),  # the start line itself counts
        ("needle", 50, True, None, 99),
        ("needle 1", 160, True, None, 99),  # past the last match: wraps around once
        ("needle", 120, False, None, 99),  # backwards
        ("needle", 20, False, None, 299),  # backwards past the first: wraps to the last
        ("needle", 0, True, [10, 99, 100], 99),  # under a filter only its lines count
        ("needle", 0, True, [10, 11], None),  # no match among them
        ("nowhere", 0, True, None, None),
    ],
)
def test_find(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    start: int,
    forward: bool,
    keep: list[int] | None,
    found: int | None,
) -> None:
    monkeypatch.setattr("bgview.ui.log_scan.BLOCK_BYTES", 100)
    window = window_of(tmp_path, NUMBERED)
    assert find(window, pattern(query), start, forward, keep) == found


def test_find_stops_when_cancelled_and_reports_progress(tmp_path: Path) -> None:
    window = window_of(tmp_path, NUMBERED * 2000)  # ~2.4 MB: some 20 blocks
    seen: list[float] = []
    assert find(window, pattern("nowhere"), 0, True, progress=seen.append) is None
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 10
    asked = 0

    def cancelled() -> bool:
        nonlocal asked
        asked += 1
        return asked > 3

    assert find(window, pattern("nowhere"), 0, True, cancelled=cancelled) is None
    assert asked == 4  # asked before each block: three blocks read, then it stopped


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


def test_a_big_log_opens_in_its_last_window_and_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_model, "OPEN_WINDOW", 1000)
    monkeypatch.setattr(log_model, "EXTEND_STEP", 500)
    job_dir = job_with(tmp_path, b"".join(b"line %05d\n" % i for i in range(500)))  # 11 B a line
    model = LogModel()
    model.open(job_dir)
    assert model.index.base > 0 and model.index.base % 11 == 0  # from a line's start
    first = model.index.first
    added = model.extend_back()
    assert added is not None
    assert added[1] == first and added[1] - added[0] == 45  # 500 bytes back, from a line start
    assert model.index.span(added[0])[0] == model.index.base


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
    append(job_dir, b"x" * 99 + b"\n")
    append(job_dir, (b"y" * 1023 + b"\n") * 3000)  # 3 MB: more than JUMP_AFTER
    paused = model.update(follow=False)
    assert paused.more and not paused.reopened  # paused: read on, a step at a time
    update = model.update(follow=True)
    assert update.reopened and model.index.first > 2  # numbers never repeat
    assert model.index.end == (job_dir / "output.log").stat().st_size


def test_bytes_dropped_by_the_size_cap_drop_their_rows(tmp_path: Path) -> None:
    job_dir = job_with(tmp_path, b"aaaa\nbbbb\ncccc\n")
    model = LogModel()
    model.open(job_dir)
    (job_dir / "output.log").write_bytes(b"cccc\ndddd\n")  # the cap kept the newest bytes
    (job_dir / "log.state").write_text(json.dumps({"gen": 1, "dropped": 10}))
    update = model.update(follow=False)
    assert update.rows_gone == 2 and model.dropped == 10
    assert [model.index.span(model.row_line(r)) for r in range(2)] == [(10, 15), (15, 20)]


def test_the_filter_takes_a_scans_matches_and_matches_new_lines_itself(tmp_path: Path) -> None:
    job_dir = job_with(tmp_path, b"needle 1\nhay\nneedle 2\nneedle par")
    model = LogModel()
    model.open(job_dir)
    generation, first, last = model.start_filter(pattern("needle"))
    assert (first, last) == (0, 3)  # complete lines go to a scan…
    assert list(model.visible) == [3]  # …the partial line is matched here, as it grows
    append(job_dir, b"tial\nhay\nneedle 4\n")
    model.update(follow=True)
    assert list(model.visible) == [3, 5]
    assert model.add_matches(generation - 1, [0]) == (0, 0)  # an older filter's: dropped
    assert model.add_matches(generation, [0, 2]) == (0, 2)
    assert [model.row_line(r) for r in range(model.row_count)] == [0, 2, 3, 5]
    assert model.row_of(2) == 1 and model.row_of(1) is None
    model.start_filter(None)
    assert model.row_count == 6
