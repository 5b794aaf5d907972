"""What a person does with a job's log beyond reading it: go to a line, copy lines out, open
the log in a pager or an editor, wrap long lines, show when each line came.

The keys live on :class:`~bgview.ui.log_panel.LogPanel` (so the footer lists them whenever
the log has the focus); this mixin carries their actions.

| key | action |
| --- | --- |
| g / home, G | the log's first line; its last (and follow) |
| : | go to a line number (``1200``) or a percentage (``50%``) |
| y | copy the current line (in visual mode: the lines selected) |
| v | visual mode: movement keys select lines, ``y`` copies them, ``esc`` leaves |
| mouse drag | select lines as ``v`` does, copied on release (:mod:`bgview.ui.log_mouse`) |
| o / e | open the log in ``$PAGER`` (``less -R``) / ``$EDITOR``, at the line on screen |
| w | wrap long lines (or cut them at the pane's edge again) |
| t | a gutter with each line's arrival time |

Copying goes through the terminal (OSC 52, Textual's ``copy_to_clipboard``), the text cleaned
as a cleaned read is (colours gone, ``\\r`` overwrites applied), at most :data:`MAX_COPY`
bytes of log.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType

from bgview.runtime.clean import clean_bytes
from bgview.runtime.text import visible
from bgview.ui.ansi import render_row
from bgview.ui.log_file import LogGone

if TYPE_CHECKING:
    from bgview.ui.log_decor import DecoratedLines
    from bgview.ui.log_view import LogView

MAX_COPY = 1024 * 1024
"""The most log bytes one copy takes (OSC 52 carries the text base64-encoded in one write)."""
DEFAULT_PAGER = "less -R"

_GO = Binding.Group("Go", compact=True)
_COPY = Binding.Group("Copy", compact=True)
_OPEN = Binding.Group("Open", compact=True)
_SHOW = Binding.Group("Wrap/Time", compact=True)
LOG_BINDINGS: list[BindingType] = [
    Binding("g", "log_top", "Top", tooltip="The log's first line", group=_GO),
    Binding("G", "log_bottom", "End", key_display="G", tooltip="The last line; follow", group=_GO),
    Binding("colon", "goto", "Line", key_display=":", tooltip="Go to a line or a %", group=_GO),
    Binding("y", "copy", "Copy", tooltip="Copy the current line (or the selection)", group=_COPY),
    Binding(
        "v",
        "visual",
        "Select",
        tooltip="Select lines (or drag the mouse over them); y copies them",
        group=_COPY,
    ),
    Binding("o", "pager", "Pager", tooltip="Open the log in $PAGER at this line", group=_OPEN),
    Binding("e", "editor", "Editor", tooltip="A copy of the log in $EDITOR", group=_OPEN),
    Binding("w", "wrap", "Wrap", tooltip="Wrap long lines", group=_SHOW),
    Binding("t", "times", "Times", tooltip="Show when each line came", group=_SHOW),
]

_GOTO = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*")


def parse_goto(text: str, rows: int) -> int | None:
    """The row ``:`` goes to: ``1200`` is the 1,200th line, ``50%`` half way; ``None`` for
    anything else."""
    found = _GOTO.fullmatch(text)
    if found is None or rows <= 0:
        return None
    number, percent = float(found.group(1)), found.group(2)
    if percent:
        return min(rows - 1, int(rows * min(number, 100.0) / 100))
    return max(0, min(rows - 1, int(number) - 1))


def copy_text(view: DecoratedLines, first: int, last: int) -> tuple[str, bool]:
    """The cleaned text of view rows ``first``..``last`` (inclusive), and whether it was cut
    to :data:`MAX_COPY`: a line of the log cleaned as a cleaned read cleans it, a row a
    terminal drew (a multi-bar progress, a full-screen program) as that terminal shows it."""
    model = view.model
    if model.file is None or last < first:
        return "", False
    # A line is a byte at least: more rows than MAX_COPY cannot all be copied.
    rows = view.model_rows(first, min(last, first + MAX_COPY))
    pieces: list[str] = []
    raw: list[bytes] = []
    taken, cut = 0, last > first + MAX_COPY

    def flush() -> None:
        if raw:
            pieces.append(clean_bytes(b"".join(raw)).rstrip("\n"))
            raw.clear()

    try:
        lines = [r for r in rows if isinstance(r, int)]
        span_list = model.row_spans(range(lines[0], lines[-1] + 1)) if lines else []
        spans = {lines[0] + i: s for i, s in enumerate(span_list)} if lines else {}
        for row in rows:
            if isinstance(row, str):
                flush()
                line = render_row(row).plain.rstrip()
                taken += len(line) + 1
                pieces.append(line)
            else:
                span = spans.get(row)
                if span is None:
                    continue
                start, stop = span
                drawn = model.drawn_row(start)
                if drawn is not None:  # a filter's row that a terminal drew: as drawn
                    flush()
                    line = render_row(drawn).plain.rstrip()
                    taken += len(line) + 1
                    pieces.append(line)
                    continue
                taken += stop - start
                if taken > MAX_COPY:
                    cut = True
                    break
                data = model.file.read(start, stop)
                raw.append(data if data.endswith(b"\n") else data + b"\n")
            if taken > MAX_COPY:
                cut = True
                break
    except LogGone:
        return "", False
    flush()
    return "\n".join(pieces), cut


def copy_rows(view: DecoratedLines, first: int, last: int) -> None:
    """Copy view rows ``first``..``last`` to the clipboard through the terminal (OSC 52) and
    say so: what ``y``, ``v`` … ``y`` and a mouse drag over the log do."""
    text, cut = copy_text(view, first, last)
    if not text and last < first:
        return
    view.app.copy_to_clipboard(text)
    lines = last - first + 1
    said = f"copied {lines:,} line{'s' if lines != 1 else ''}"
    if cut:
        said = "copied the first 1 MB of the selection (the most a terminal takes at once)"
    view.app.notify(said, markup=False)


def file_line(view: LogView, row: int) -> int:
    """The 1-based number, in ``output.log`` as it is on disk, of the line at ``row``."""
    offset = view.model.offset_of_row(row)
    line = view.model.line_row(offset) if offset is not None else None
    return (line or 0) + 1


def run_outside(argv: list[str]) -> str | None:
    """Run ``argv`` on the terminal the viewer gave up; a one-line reason if it could not."""
    try:
        completed = subprocess.run(argv, check=False)
    except OSError as exc:
        return f"could not run {visible(argv[0])}: {exc.strerror}"
    if completed.returncode not in (0, None):
        return f"{visible(argv[0])} exited {completed.returncode}"
    return None


def pager_argv(path: Path, line: int) -> list[str]:
    """``$PAGER`` (or ``less -R``) at ``line`` of ``path``."""
    return [*_command("PAGER", DEFAULT_PAGER), f"+{line}", str(path)]


def editor_argv(path: Path, line: int) -> list[str]:
    """``$EDITOR`` (or ``$VISUAL``, or ``vi``) at ``line`` of ``path``."""
    fallback = os.environ.get("VISUAL") or "vi"
    return [*_command("EDITOR", fallback), f"+{line}", str(path)]


def _command(var: str, default: str) -> list[str]:
    try:
        words = shlex.split(os.environ.get(var) or default)
    except ValueError:
        words = []
    return words or shlex.split(default)


def snapshot(log: Path) -> Path:
    """A private copy of ``log`` for an editor: the job's own log is never edited."""
    folder = Path(tempfile.mkdtemp(prefix="bgview-"))
    copy = folder / f"{log.parent.name}.log"
    with open(log, "rb") as src, open(copy, "wb") as dst:
        os.chmod(copy, 0o600)
        size = os.fstat(src.fileno()).st_size
        offset = 0
        while offset < size:
            sent = os.sendfile(dst.fileno(), src.fileno(), offset, size - offset)
            if sent == 0:
                break
            offset += sent
    return copy


def remove_snapshot(copy: Path) -> None:
    copy.unlink(missing_ok=True)
    copy.parent.rmdir()
