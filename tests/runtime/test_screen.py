"""Cleaned reads of output that moves the cursor: what a terminal of the job's size shows.

Unit cases on hand-written bytes; real programs' recorded output (``tests/recordings``) read
whole and compared with what tmux shows for the same bytes; and cursor reads through the
terminal a read leaves beside the consumer's cursor.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bgview.runtime import Runtime
from bgview.runtime.clean import clean_bytes
from bgview.runtime.emulation import SUFFIX
from bgview.runtime.screen import FULL_SCREEN_NOTE, Terminal
from tests.recordings.record import tmux_capture
from tests.runtime.helpers import FakeJob

Fake = Callable[..., FakeJob]
RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"
NAMES = sorted(path.stem for path in RECORDINGS.glob("*.bytes"))
SEP = "=" * 20 + " screen\n"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        # a cursor move to column 1 and text written over what was there
        (b"abc\x1b[Gxyz\n", "xyz\n"),
        # a three-bar progress that moves up two rows to redraw: its last frame only
        (
            b"a 0%\nb 0%\nc 0%\x1b[2A\ra 50%\nb 50%\nc 50%\x1b[2A\r\x1b[2Ka 100%\nb 100%\n"
            b"c 100%\ndone\n",
            "a 100%\nb 100%\nc 100%\ndone\n",
        ),
        # rich's way: erase the line, up one, erase, up one, erase, redraw
        (
            b"x 1\ny 1\x1b[2K\x1b[1A\x1b[2K\rx 2\ny 2\n",
            "x 2\ny 2\n",
        ),
        # erase in display: what was on screen goes to the history first (tmux's
        # scroll-on-clear), the cursor goes home, the text after it follows
        (b"one\ntwo\n\x1b[2J\x1b[Hthree\n", "one\ntwo\nthree\n"),
        # erase below the cursor (ESC [ J) after moving up: those rows are gone
        (b"keep\ndrop 1\ndrop 2\n\x1b[2A\x1b[Jnew\n", "keep\nnew\n"),
        # ESC [ 3 J clears tmux's history only: the screen stays
        (b"stays\n\x1b[3J", "stays\n"),
        # a scroll region (rows 1-3) with a status line below it: lines scroll inside the
        # region, the status line stays at the bottom until the end
        (
            b"\x1b[1;3r\x1b[5;1Hstatus\x1b[1;1Ha\nb\nc\nd\n\x1b[r",
            "a\nb\nc\nd\n\n\nstatus\n",
        ),
        # save the cursor, write elsewhere, restore and go on
        (b"ab\x1b7\x1b[3;1Hthree\x1b8cd\n", "abcd\n\nthree\n"),
        # insert and delete characters
        (b"abcdef\x1b[3G\x1b[2@XY\x1b[2P\n", "abXYef\n"),
        # insert a line above the cursor's row, delete one
        (b"1\n2\n3\x1b[2;1H\x1b[Lnew\x1b[4;1H\x1b[M\n", "1\nnew\n2\n\n"),
        # a line longer than the terminal is one line, not two rows
        (b"x" * 150 + b"\n", "x" * 150 + "\n"),
        # ...but a \r in it returns to the start of the row it wrapped onto, not of the line
        (b"a" * 125 + b"\rZZ\n", "a" * 120 + "ZZaaa\n"),
        # colours and titles are still not text
        (b"\x1b]0;t\x07\x1b[31mred\x1b[0m\x1b[B\x1b[Aok\n", "redok\n"),
        # a move down goes to the next row, in the same column
        (b"red\x1b[Bok\n", "red\n   ok\n"),
        # the alternate screen: what it shows is the current screen, said so in one line
        (
            b"before\n\x1b[?1049h\x1b[Htop line\n\x1b[3;5Hrow 3",
            "before\n" + FULL_SCREEN_NOTE + "\ntop line\n\n    row 3\n",
        ),
        # ...and once the program leaves it, the main screen is back as it was
        (b"before\n\x1b[?1049hfull screen\x1b[?1049lafter\n", "before\nafter\n"),
        # a non-ASCII digit ("₂") inside an escape is passed over, as tmux does (pyte took
        # it for a digit and failed on random bytes); as text it stays
        ("a\x1b[1₂Ab\x1b[Ac\nd ₂\n".encode(), "abc\nd ₂\n"),
    ],
)
def test_terminal_cases(raw: bytes, shown: str) -> None:
    assert clean_bytes(raw) == shown


def test_a_screen_repainted_from_the_top_is_a_full_screen_program() -> None:
    """A program that moves from the last row back to the first, without the alternate
    screen, is shown as its current screen too: not as a stream of frames."""
    frame = b"".join(b"row %d frame %%d\n" % i for i in range(39)) + b"row 39 frame %d"
    data = b"\x1b[H\x1b[2J" + b"".join(
        b"\x1b[H" + frame.replace(b"%d", b"%d" % n) for n in range(3)
    )
    text = clean_bytes(data)
    assert text.startswith(FULL_SCREEN_NOTE + "\n")
    assert text.count("frame 2") == 40 and "frame 1" not in text


def test_a_terminal_saved_and_loaded_goes_on_the_same() -> None:
    data = (
        b"a 1\nb 1\x1b[1A\rwide \xe4\xb8\xad\xe6\x96\x87 \xcc\x81\n" + b"z" * 130 + b"\x1b[?1049hx"
    )
    whole = Terminal(120, 40)
    whole.feed(data.decode())
    for cut in range(0, len(data), 7):
        first = Terminal(120, 40)
        first.feed(data[:cut].decode("utf-8", "ignore"))
        again = Terminal.load(first.dump())
        assert again.dump() == first.dump()
    assert len(whole.dump()) < 20_000


# ---- real programs, against tmux -------------------------------------------------------------


def _tidy(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _first_difference(want: list[str], got: list[str]) -> str:
    for n, (a, b) in enumerate(zip(want, got, strict=False)):
        if a != b:
            return f"line {n + 1} differs:\n  tmux:   {a!r}\n  bgview: {b!r}"
    n = min(len(want), len(got))
    extra = want[n] if len(want) > n else got[n]
    side = "tmux" if len(want) > n else "bgview"
    return f"line {n + 1} is only in {side}'s: {extra!r}"


@pytest.mark.parametrize("name", NAMES)
def test_recorded_output_reads_as_tmux_shows_it(name: str) -> None:
    """The whole recorded output, read once at the job's end, is tmux's history and screen
    (``NAME.tmux``, made by ``tests/recordings/record.py``); for a full-screen program, its
    current screen is tmux's visible screen."""
    data = (RECORDINGS / f"{name}.bytes").read_bytes()
    whole, screen = (RECORDINGS / f"{name}.tmux").read_text().split(SEP)
    text = clean_bytes(data)
    assert "\x1b" not in text
    if FULL_SCREEN_NOTE in text:
        want, got = _tidy(screen), _tidy(text.partition(FULL_SCREEN_NOTE + "\n")[2])
    else:
        want, got = _tidy(whole), _tidy(text)
    assert got == want, _first_difference(want, got)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("name", ["rich_bars", "tqdm_bars", "apt_install", "htop_live"])
def test_tmux_still_shows_what_was_recorded(name: str) -> None:
    """The references are tmux's: a few made again by the tmux here give the same."""
    data = (RECORDINGS / f"{name}.bytes").read_bytes()
    whole, screen = tmux_capture(data)
    assert f"{whole}\n{SEP}{screen}\n" == (RECORDINGS / f"{name}.tmux").read_text()


# ---- cursor reads -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["rich_bars", "tqdm_bars", "pip_install", "git_clone", "apt_install"]
)
def test_reads_as_the_output_comes_give_each_line_once(rt: Runtime, fake: Fake, name: str) -> None:
    """Read after every few lines written: every read is clean text, no line comes twice,
    and the last lines — the bars' final state, the summary — are what tmux shows."""
    data = (RECORDINGS / f"{name}.bytes").read_bytes()
    whole = _tidy((RECORDINGS / f"{name}.tmux").read_text().split(SEP)[0])
    job = fake()
    cuts = sorted(random.Random(name).sample(range(len(data)), min(40, len(data) // 50)))
    got, at = "", 0
    for cut in [*cuts, len(data)]:
        job.append(data[at:cut])
        at = cut
        got += rt.read(job.id).text
    job.end()
    got += rt.read(job.id).text
    assert "\x1b" not in got and "\r" not in got
    lines = _tidy(got)
    assert lines[-2:] == whole[-2:]
    assert [line for line in lines if line in whole] == [line for line in whole if line in lines]


def test_a_read_split_by_the_cap_goes_on_exactly(rt: Runtime, fake: Fake) -> None:
    """Lines the terminal made final that a read had no room for come first in the next."""
    frames = b"".join(b"\x1b[2K\rbar %d%%" % n for n in range(50))
    data = b"".join(b"line %04d\n" % n for n in range(300)) + b"\x1b[A" + frames + b"\n"
    job = fake(data, running=False)
    got = ""
    for _ in range(200):
        out = rt.read(job.id, max_chars=500)
        assert len(out.text) <= 500
        got += out.text
        if not out.more and not out.text:
            break
    assert got == clean_bytes(data)


def test_a_full_screen_program_is_read_as_its_current_screen(rt: Runtime, fake: Fake) -> None:
    data = (RECORDINGS / "top_live.bytes").read_bytes()
    # top repaints the main screen: from its second frame on it is known as full-screen
    starts = [n for n in range(len(data)) if data.startswith(b"\x1b[H", n)]
    half = starts[2]
    job = fake(data[:half])
    first = rt.read(job.id)
    # (its first frame's top row scrolled into the history, as in tmux, before it was known)
    assert first.text.count(FULL_SCREEN_NOTE + "\n") == 1
    assert rt.read(job.id).text == ""  # nothing new: nothing given
    job.append(data[half:])
    job.end()
    screen = (RECORDINGS / "top_live.tmux").read_text().split(SEP)[1]
    last = rt.read(job.id).text
    assert _tidy(last.partition(FULL_SCREEN_NOTE + "\n")[2]) == _tidy(screen)
    # a filter looks at the screen's lines
    job2 = fake(data, running=False)
    found = rt.read(job2.id, filter="^MiB Mem")
    mem = [line for line in _tidy(screen) if line.startswith("MiB Mem")]
    assert found.text == f"{FULL_SCREEN_NOTE}\n{mem[0]}\n"


def test_the_terminal_is_kept_beside_the_cursor_and_rebuilt_without_it(
    rt: Runtime, fake: Fake
) -> None:
    saved = Path()
    job = fake(b"done 1\n")
    saved = job.dir / "cursors" / f"agent{SUFFIX}"
    assert rt.read(job.id).text == "done 1\n"
    assert not saved.exists()  # plain output: no terminal
    # a two-row redraw: the lower row stays within the program's reach of one row up
    job.append(b"a 1\nb 1\x1b[1A\r\x1b[2Ka 2\n\x1b[2Kb 2\n")
    assert rt.read(job.id).text == "a 2\n"
    assert saved.exists() and len(saved.read_bytes()) < 10_000
    # plain lines after it: the terminal has settled, its last row is given, and it goes
    job.append(b"next\n")
    assert rt.read(job.id).text == "b 2\nnext\n"
    assert not saved.exists()
    # a terminal needed again is rebuilt from the log: what was read is not read again
    job.append(b"x\x1b[1A\r\n")
    assert rt.read(job.id).text == ""
    assert saved.exists()
    saved.unlink()  # lost (a full disk): the next read gives only what comes after
    job.append(b"y\n")
    job.end()
    assert rt.read(job.id).text == "y\n"


def test_plain_output_never_imports_the_terminal(tmp_path: Path) -> None:
    """pyte is loaded only for output that needs a terminal."""
    log = tmp_path / "log"
    log.write_bytes(b"\x1b[31mred\x1b[0m\r\x1b[Kprogress 100%\nplain\n" * 1000)
    code = (
        "import os, sys\n"
        "from bgview.runtime.output import scan\n"
        f"fd = os.open({str(log)!r}, os.O_RDONLY)\n"
        "text = scan(fd, 0, 0, True).text\n"
        "assert text.count('progress 100%') == 1000, text[:200]\n"
        "print('pyte' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
