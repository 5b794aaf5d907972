"""The README's "Using bgview from your own REPL" examples, run verbatim in a real pty and driven
with keys: notices print above the prompt while it waits, are kept (not spent) while the viewer
is open, are never drawn over the viewer, and print once the prompt is back. And the plain
Python REPL with the same helpers."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from bgview.runtime import Runtime
from tests.support import until
from tests.term import Term

README = Path(__file__).resolve().parents[2] / "README.md"
ALT_ON, ALT_OFF = b"\x1b[?1049h", b"\x1b[?1049l"


def readme_examples() -> list[str]:
    """The Python blocks of the README's section on hosting bgview in your own REPL."""
    text = README.read_text()
    start = text.index("### Using bgview from your own REPL")
    end = text.index("\n## ", start)
    return re.findall(r"```python\n(.*?)```", text[start:end], re.DOTALL)


def test_the_section_has_an_asyncio_and_a_synchronous_example() -> None:
    examples = readme_examples()
    assert len(examples) == 2
    assert "asyncio.run(main())" in examples[0]
    assert "asyncio" not in examples[1] and "open_viewer_sync" in examples[1]


def drawn_while_the_viewer_was_open(term: Term) -> bytes:
    """Every byte written between the viewer taking the screen and giving it back."""
    raw = term.raw
    start = raw.rindex(ALT_ON)
    end = raw.find(ALT_OFF, start)
    return raw[start : end if end >= 0 else len(raw)]


def prompt_waits(term: Term) -> None:
    term.wait_for(lambda lines: any(line == ">" or line.startswith("> ") for line in lines))


def last_prompt_row(term: Term) -> int:
    return max(i for i, line in enumerate(term.lines()) if line == ">" or line.startswith("> "))


@pytest.mark.parametrize("example", [0, 1], ids=["asyncio", "synchronous"])
def test_the_readme_example_runs_as_written(
    home: Path, project: Path, rt: Runtime, example: int
) -> None:
    code = readme_examples()[example]
    term = Term([sys.executable, "-c", code], cwd=project, home=home)
    try:
        prompt_waits(term)
        term.wait_for("⚙ 0 Background Jobs")  # the chip, in the toolbar
        # A job that ends while the prompt waits: its notice lands above the prompt, and
        # what is half typed stays.
        term.run("sleep 0.3 &")
        term.wait_for("[bg:bash_1 started]")
        term.send("half typ")
        term.wait_for("[bg:bash_1 exited 0")
        term.wait_for(lambda ls: ls[last_prompt_row(term)] == "> half typ")
        assert last_prompt_row(term) > term.row("[bg:bash_1 exited 0")
        term.send("\x15")  # Ctrl+U: clear the line
        # One that ends while the viewer is open: toasted there, never printed over it …
        term.run("sleep 2 &")
        term.wait_for("[bg:bash_2 started]")
        term.run("/bashes")
        term.wait_for(lambda ls: term.screen.alternate and any("sleep 2" in ln for ln in ls))
        assert rt.job("bash_2").running  # it ends while the viewer is open
        until(lambda: rt.job("bash_2").status.ended, 10, "bash_2 ended")
        term.pump(0.5)  # time enough for a notice to be (wrongly) drawn
        assert b"[bg:bash_2" not in drawn_while_the_viewer_was_open(term)
        # … and kept, not spent: told once the prompt is back.
        term.send("\x1b")
        term.wait_for(lambda ls: not term.screen.alternate)
        term.wait_for("[bg:bash_2 exited 0")
        prompt_waits(term)
        term.send("\x04")  # Ctrl+D: the example leaves
        assert term.wait_exit() == 0
        assert term.text().count("[bg:bash_2 exited 0") == 1
    finally:
        term.close()


PLAIN_REPL_SETUP = """\
import time
from bgview import Session
from bgview.host import JobsWatch, PromptNotices, open_viewer_sync
session = Session()
notices = PromptNotices(session, "repl")
watch = JobsWatch(session, notices.show).start()
"""


def test_the_plain_python_repl(home: Path, project: Path, rt: Runtime) -> None:
    """`python -i`: a notice is printed while `>>>` waits (the prompt drawn again after it),
    kept while a command runs, and never printed over the viewer."""
    argv = [sys.executable, "-q", "-i", "-c", PLAIN_REPL_SETUP]
    term = Term(argv, cwd=project, home=home)
    try:
        term.wait_for(">>>")
        term.run('session.start("sleep 0.3").id')
        term.wait_for("'bash_1'")
        term.wait_for("[bg:bash_1 exited 0")
        term.wait_for(lambda ls: ls[term.row("[bg:bash_1 exited 0") + 1] == ">>>")
        # A command that runs while the job ends: the notice waits for it to finish.
        term.run('session.start("sleep 0.2").id; time.sleep(1.5); print("slept")')
        term.wait_for("slept")
        term.wait_for("[bg:bash_2 exited 0")
        assert term.row("slept") < term.row("[bg:bash_2 exited 0")
        # The viewer, from the plain REPL: nothing drawn over it, told after.
        term.run('session.start("sleep 2").id; open_viewer_sync(session.path)')
        term.wait_for(lambda ls: term.screen.alternate and any("sleep 2" in ln for ln in ls))
        assert rt.job("bash_3").running
        until(lambda: rt.job("bash_3").status.ended, 10, "bash_3 ended")
        term.pump(0.5)
        assert b"[bg:bash_3" not in drawn_while_the_viewer_was_open(term)
        term.send("\x1b")
        term.wait_for(lambda ls: not term.screen.alternate)
        term.wait_for("[bg:bash_3 exited 0")
        term.send("\x04")
        term.wait_exit()
    finally:
        term.close()
