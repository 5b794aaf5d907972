"""Users' regexes: RE2 runs them in linear time, the bounded fallback runs what RE2 cannot, and
both keep the meaning Python gave them (``^``/``$`` at every line, Unicode classes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from bgview.runtime import InvalidRequest, Runtime
from bgview.runtime import output as output_module
from bgview.runtime.clean import clean_bytes
from bgview.runtime.output import scan, select_lines
from bgview.runtime.patterns import FALLBACK_BUDGET, UserPattern
from tests.conftest import RunCli

LINE = 50_000
BOUND = 4.0
"""Seconds a pathological pattern may take through the whole CLI. Generous against a loaded
machine: the point is the one-second bound against the 10-13 s these took before."""

WRITE = "import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))"


def _job(rt: Runtime, data: bytes) -> str:
    """A real job that writes ``data`` and ends."""
    job = rt.start([sys.executable, "-c", WRITE, data.hex()])
    job, done = rt.wait(job.id, timeout=30)
    assert done and job.output_bytes == len(data), job
    return job.id


def _long_lines_job(cli: RunCli) -> str:
    """A real job whose log is three 50,000-character lines: a's; a's and b's mixed; x's."""
    code = (
        f"n = {LINE}; print('a' * n); print(''.join('ab'[i * i % 7 % 2] for i in range(n)));"
        " print('x' * n)"
    )
    job = cli("run", "--", sys.executable, "-c", code).stdout.strip()
    assert cli("wait", job, "--timeout", "30").returncode == 0
    return job


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        # nested repeats that cannot end in a match: RE2 says so at once (backtracking: hours)
        (["output", "--filter", "(a+)+$b"], "nothing"),
        (["output", "--filter", "(x+x+)+y"], "nothing"),
        (["output", "--filter", "(a|aa)*c"], "nothing"),
        # nested repeats that do match a whole 50,000-character line (cut to fit one read)
        (["output", "--filter", "^(a+)+$"], "lines"),
        # a repeat count past RE2's limit of 1,000: the fallback, which gives up within its
        # second with a clear message
        (["output", "--filter", "(.*){1,32000}[bc]"], "took over"),
        # the same with 1,000, within RE2's limit: answered, the b's line found
        (["output", "--filter", "(.*){1,1000}[bc]"], "lines"),
        # RE2's slowest kind (many states at once) at the 1,000 copies it is allowed
        (["output", "--filter", "[ab]{1,500}b[ab]{1,500}x"], "nothing"),
        # 2,000 copies: past what RE2 is given, so the bounded fallback
        (["output", "--filter", "[a-z]{1,1000}[a-z]{1,1000}x"], "took over"),
        # a backreference (the fallback's job) that backtracks without end
        (["output", "--filter", r"(a+)+\1b"], "took over"),
        # an exclude is matched the same way: every line stays
        (["output", "--exclude", "(a+)+$b"], "lines"),
        # filter and exclude both on the fallback share one budget, not one each
        (["output", "--filter", r"(a+)+\1b", "--exclude", r"(x+)+\1y"], "took over"),
        # wait --for on an ended job: not found, at once
        (["wait", "--for", "(a+)+$b", "--timeout", "30"], "not found"),
    ],
)
def test_pathological_patterns_answer_within_a_second(
    cli: RunCli, args: list[str], answer: str
) -> None:
    job = _long_lines_job(cli)
    command, *rest = args
    started = time.monotonic()
    result = cli(command, job, *rest)
    elapsed = time.monotonic() - started
    assert elapsed < BOUND, (elapsed, result)
    if answer == "took over":
        assert result.returncode == 2, result
        assert f"took over {FALLBACK_BUDGET:g}s" in result.stderr
        assert result.stderr.count("\n") == 1 and result.stdout == ""
    elif answer == "not found":
        assert result.returncode == 1, result
    else:
        assert result.returncode == 0, result
        assert (result.stdout == "") == (answer == "nothing"), result.stdout[:200]


@pytest.mark.parametrize(
    ("pattern", "linear"),
    [
        # what filters usually are: RE2
        ("ERROR|WARN", True),
        (r"^\d{4}-\d{2}-\d{2}T", True),
        # Python syntax RE2 spells differently, rewritten for it: {,n}, \Z, \u
        (r"a{,3}b\Z", True),
        (r"caf\u00e9", True),
        # backreferences, lookaround, possessive repeats: only the fallback has them
        (r"(\w)\1", False),
        (r"foo(?!bar)", False),
        (r"(?<=id=)\d+", False),
        (r"a++", False),
        # counted repeats past 1,000 copies in all, nested ones multiplied
        ("(.*){1,32000}", False),
        ("((a{1,10}){1,10}){1,11}", False),
        ("[a-z]{1,1000}[a-z]{1,1000}", False),
        ("((a{1,10}){1,10}){1,10}", True),
    ],
)
def test_which_engine_runs_a_pattern(pattern: str, linear: bool) -> None:
    assert UserPattern(pattern, "filter").linear is linear


LINES = [
    "ok start",
    "ERROR one",
    "error two",
    "warn: x",
    "",
    "line at the end",
    "ERROR two",
    "not ok",
]
UNICODE_LINES = ["naïve café", "took ٣ms", "a\u00a0b", "okay ✓", "ok ✓", "Straße", "plain"]


@pytest.mark.parametrize(
    ("lines", "pattern", "kept"),
    [
        # ^ anchors at the start of every line, not only of the text
        (LINES, "^ok", ["ok start"]),
        # $ anchors at the end of every line, before its newline
        (LINES, "end$", ["line at the end"]),
        # ^$ keeps the empty line
        (LINES, "^$", [""]),
        # ^...$ one whole line
        (LINES, "^ERROR two$", ["ERROR two"]),
        # case-sensitive unless the pattern says otherwise
        (LINES, "ERROR", ["ERROR one", "ERROR two"]),
        (LINES, "(?i)^error", ["ERROR one", "error two", "ERROR two"]),
        # Python's {,n} is {0,n}
        (LINES, "^o{,1}k ", ["ok start"]),
        # \w, \d and \s are Unicode, as in Python, on text that is not all ASCII
        (UNICODE_LINES, r"^\w+ \w+$", ["naïve café", "took ٣ms"]),
        (UNICODE_LINES, r"\dms$", ["took ٣ms"]),
        (UNICODE_LINES, r"a\sb", ["a\u00a0b"]),
        (UNICODE_LINES, r"^[\w]+$", ["Straße", "plain"]),
        # \b there is Unicode too (the fallback runs it on such text)
        (UNICODE_LINES, r"\bok\b", ["ok ✓"]),
        # case folding beyond ASCII
        (UNICODE_LINES, "(?i)CAFÉ", ["naïve café"]),
    ],
)
def test_anchors_and_classes_keep_their_python_meaning(
    rt: Runtime, lines: list[str], pattern: str, kept: list[str]
) -> None:
    job = _job(rt, "".join(f"{line}\n" for line in lines).encode())
    out = rt.read(job, filter=pattern)
    assert out.text == "".join(f"{line}\n" for line in kept)
    assert out.lines == len(kept)


def test_matching_is_on_the_cleaned_text(rt: Runtime) -> None:
    """Colour codes and a progress bar's rewrites do not hide a line from a filter, and ^
    sees no escape: matching is on what the reader gets, not the raw bytes."""
    job = _job(rt, b"\x1b[31mFA\x1b[1mIL\x1b[0m x\nPASS y\n10%\r100% done\n")
    assert rt.read(job, filter="^FAIL").text == "FAIL x\n"
    assert rt.read(job, consumer="again", filter="^100% done$").text == "100% done\n"


@pytest.mark.parametrize(
    ("pattern", "kept"),
    [
        # a backreference: a doubled letter
        (r"(\w)\1", ["committed", "foo bar", "foobar", "foo baz"]),
        # a named one: a word said twice
        (r"\b(?P<w>\w+) (?P=w)\b", ["the the end"]),
        # lookahead: foo not followed by bar
        (r"foo(?!bar)", ["foo bar", "foo baz"]),
        # lookbehind: digits after id=
        (r"(?<=id=)\d+", ["id=42"]),
    ],
)
def test_what_re2_cannot_run_still_works(rt: Runtime, pattern: str, kept: list[str]) -> None:
    lines = ["committed", "the the end", "foo bar", "foobar", "foo baz", "id=42", "x=1"]
    job = _job(rt, "".join(f"{line}\n" for line in lines).encode())
    assert rt.read(job, filter=pattern).text == "".join(f"{line}\n" for line in kept)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        # a megabyte of pattern is refused before any engine spends seconds on it
        ("(" * 1_000_000, "longer than the 32,768 characters allowed"),
        # a long one both engines read: the fallback's reason, with where it went wrong
        ("a" * 20_000 + "(", "missing ) at position 20001"),
        # groups too deeply nested for the fallback's parser
        ("(" * 5_000, "nested too deeply"),
    ],
    ids=["1MB-of-parens", "20k-then-paren", "5k-parens"],
)
def test_a_huge_invalid_pattern_gets_a_short_message(
    rt: Runtime, pattern: str, reason: str
) -> None:
    job = _job(rt, b"x\n")
    with pytest.raises(InvalidRequest) as caught:
        rt.read(job, filter=pattern)
    message = str(caught.value)
    assert message.startswith("invalid filter regex '" + pattern[:20])
    assert f"({len(pattern):,} characters)" in message
    assert reason in message
    assert len(message) < 200
    assert rt.read(job).text == "x\n"  # a refused read moved nothing


def test_a_long_invalid_pattern_on_the_command_line_is_one_short_line(cli: RunCli) -> None:
    job = cli("run", "--", "echo", "x").stdout.strip()
    assert cli("wait", job).returncode == 0
    result = cli("output", job, "--filter", "[" + "x" * 100_000)  # near the argv limit
    assert result.returncode == 2
    assert result.stderr.startswith("bgview: invalid filter regex '[xxxx")
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 200


@pytest.mark.parametrize(
    ("filter_", "exclude", "kept"),
    [
        # both on RE2: keep the errors, then drop the expected one
        ("ERROR|WARN", "expected", ["ERROR disk full", "WARN slow", "ERROR là"]),
        # the exclude on the fallback (a lookahead), the filter on RE2
        ("ERROR", r"ERROR (?!disk)", ["ERROR disk full"]),
        # the filter on the fallback (a backreference), the exclude on RE2
        (r"(\w)\1", "full", ["ok all good", "ERROR expected", "ERROR là"]),
        # only an exclude
        (None, "^ok|ERROR", ["WARN slow", "fine ✓"]),
        # on a line that needed cleaning (colour codes)
        ("^ERROR", "full|expected", ["ERROR là"]),
    ],
)
def test_filter_and_exclude_together(
    rt: Runtime, filter_: str | None, exclude: str | None, kept: list[str]
) -> None:
    data = (
        b"ok all good\nERROR disk full\nWARN slow\nERROR expected\nfine \xe2\x9c\x93\n"
        b"\x1b[31mERROR\x1b[0m l\xc3\xa0\n"
    )
    job = _job(rt, data)
    out = rt.read(job, filter=filter_, exclude=exclude)
    assert out.text == "".join(f"{line}\n" for line in kept)
    assert out.lines == len(kept)


def _old_select(text: str, pattern: str) -> str:
    """The lines the previous engine (``regex`` over the whole text) kept: the reference."""
    compiled = regex.compile(pattern, regex.MULTILINE | regex.VERSION0)
    out, pos = [], 0
    while pos <= len(text):
        match = compiled.search(text, pos)
        if match is None:
            break
        start = max(text.rfind("\n", 0, match.start()) + 1, pos)
        newline = text.find("\n", max(match.end(), match.start() + 1) - 1)
        end = len(text) if newline < 0 else newline + 1
        if start < end:
            out.append(text[start:end])
        pos = end if end > pos else pos + 1
    return "".join(out)


# Patterns whose RE2 spelling differs from what was typed, or whose meaning depends on the text
# being ASCII, and text mixing ASCII, other scripts, combining marks, digits and spaces.
PATTERNS = [
    r"\w+",
    r"^\w",
    r"\d",
    r"\D$",
    r"\s",
    r"\S+$",
    r"[\w-]+",
    r"[^\s]",
    r"[\W]",
    r"\bok\b",
    r"\Bk",
    r"a{,2}b",
    r"\Z",
    r"\S\Z",
    r"(?i)ok|σ",
    r"^$",
    r"\s$",
    r"[[:alpha:]]+",
    r"\u00e9",
    r"\w{2,5}",
    r"\w\s\w",
]
text_pieces = st.lists(
    st.sampled_from(
        ["a", "b", "ok", "OK", "σ", "Σ", "é", "e\u0301", "٣", "7", " ", "\u00a0", "\t", "\n", "_"]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text_pieces, st.sampled_from(PATTERNS))
def test_lines_kept_are_those_the_previous_engine_kept(text: str, pattern: str) -> None:
    compiled = UserPattern(pattern, "filter")
    assert select_lines(text, compiled, None)[0] == _old_select(text, pattern)
    assert select_lines(text.encode("ascii", "ignore").decode(), compiled, None)[0] == (
        _old_select(text.encode("ascii", "ignore").decode(), pattern)
    )


# Patterns that never match a newline nor see where a block ends, for reads in small blocks.
LINE_PATTERNS = [
    r"\w+",
    r"^\w",
    r"\d",
    r"[\w-]+",
    r"[^\s]",
    r"\S+$",
    r"\bok\b",
    r"\Bk",
    r"x{,2}7",
    r"(?i)OK|é",
    r"^$",
    r"^ok$",
    r"[[:alpha:]]+",
    r"\u00e9",
    r"(x)\1",
]
terminal_bytes = st.lists(
    st.sampled_from(
        [b"ok", b"x", b"7", b" ", b"\n", b"\x1b[31m", b"\r", b"\x08", b"\xff", b"\xc3\xa9", b"\xc3"]
    ),
    max_size=60,
).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(terminal_bytes, st.sampled_from(LINE_PATTERNS))
def test_a_read_in_small_blocks_keeps_what_one_search_of_the_cleaned_text_keeps(
    data: bytes, pattern: str
) -> None:
    """Whether a block is searched where it lies (plain) or after cleaning, and wherever the
    blocks end (a 16-byte read size here, so lines straddle them), the lines kept are those of
    the cleaned text."""
    compiled = UserPattern(pattern, "filter")
    saved = output_module.READ_CHUNK
    output_module.READ_CHUNK = 16
    try:
        with tempfile.TemporaryFile() as handle:
            handle.write(data)
            handle.flush()
            got = scan(handle.fileno(), 0, 0, True, compiled, None, 1_000_000).text
    finally:
        output_module.READ_CHUNK = saved
    whole = clean_bytes(data)
    want = "".join(_old_select(line, pattern) for line in whole.splitlines(keepends=True))
    assert got == want


def test_no_engine_is_loaded_on_the_start_path() -> None:
    """``bgview run`` and the supervisor (which runs without site-packages) never import an
    engine, nor does loading the reading code: patterns compile them on first use."""
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1]); "
        "import bgview.runtime.supervisor, bgview.cli, bgview.runtime.output; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    parent = str(Path(__file__).resolve().parents[2])
    out = subprocess.run(
        [sys.executable, "-S", "-c", code, parent],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    loaded = {m.split(".")[0] for m in json.loads(out.stdout)}
    assert not loaded & {"re2", "regex"}
