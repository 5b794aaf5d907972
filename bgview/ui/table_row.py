"""Drawing one row of the job table as a strip, and drawing it again cheaply.

A row is its cells, each padded, justified and cut to its column (:mod:`table_layout` says how
wide), then styled as a whole (the cursor's or the header's colours over the cells' own).
Running jobs' rows are drawn again every second for their runtime alone: that redraw splices
the new time cell into the strip drawn before instead of building the row again (an idle
viewer's frames were mostly the table's rows being rebuilt for one changed cell).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from bgview.runtime.model import Job
from bgview.ui.table_layout import COLUMNS, PAD, serves_cell, status_cell

KEEP_ROWS = 512
"""Rows remembered for splicing: a few screens' worth."""


def draw_row(
    texts: dict[str, Text],
    widths: dict[str, int],
    width: int,
    style: Style,
    over: Style | None,
    console: Console,
    job: Job | None = None,
) -> Strip:
    """One row: each cell padded, justified and cut to its column; ``over`` (the cursor's or
    the header's style) overrides the cells' own colours."""
    line = Text(no_wrap=True, end="")
    pad = " " * PAD
    for column in COLUMNS:
        cell_width = widths[column.key]
        if not cell_width:
            continue  # a column of facts no job has
        text = texts[column.key]
        if column.key == "status" and job is not None:
            text = status_cell(job, cell_width)
        elif column.key == "serves" and job is not None:
            text = serves_cell(job, cell_width)
        line.append(pad)
        line.append_text(_fitted(text, cell_width, column.justify == "right"))
        line.append(pad)
    segments = Segment.apply_style(line.render(console), style, over)
    return Strip(segments).crop_extend(0, width, style)


def _fitted(text: Text, width: int, right: bool) -> Text:
    text = text.copy()
    text.truncate(width, overflow="ellipsis")
    if right:
        text.pad_left(width - text.cell_len)
    else:
        text.pad_right(width - text.cell_len)
    return text


def time_span(widths: dict[str, int]) -> tuple[int, int]:
    """Where the time cell starts in a row, and how wide it is."""
    x = 0
    for column in COLUMNS:
        cell_width = widths[column.key]
        if column.key == "time":
            return x + PAD, cell_width
        if cell_width:
            x += cell_width + 2 * PAD
    raise AssertionError("the table has a time column")


@dataclass
class _Drawn:
    job: Job
    look: tuple[object, ...]
    """Everything but the runtime that the strip was drawn for (widths, width, styles)."""
    time: str
    strip: Strip


class RowStrips:
    """Rows drawn before, by row key: the same job drawn the same way again is the same
    strip; with only its runtime changed, the old strip with a new time cell."""

    def __init__(self) -> None:
        self._drawn: dict[str, _Drawn] = {}

    def clear(self) -> None:
        self._drawn.clear()

    def row(
        self,
        key: str,
        job: Job,
        texts: dict[str, Text],
        widths: dict[str, int],
        width: int,
        styles: tuple[Style, Style | None],
        console: Console,
    ) -> Strip:
        look = (tuple(widths.values()), width, *styles)
        time = texts["time"].plain
        drawn = self._drawn.get(key)
        if drawn is not None and drawn.job is job and drawn.look == look:
            if drawn.time != time:
                drawn.strip = _splice(drawn.strip, texts["time"], widths, styles, console)
                drawn.time = time
            return drawn.strip
        strip = draw_row(texts, widths, width, *styles, console, job)
        if len(self._drawn) >= KEEP_ROWS:
            self._drawn.clear()
        self._drawn[key] = _Drawn(job, look, time, strip)
        return strip


def _splice(
    strip: Strip,
    text: Text,
    widths: dict[str, int],
    styles: tuple[Style, Style | None],
    console: Console,
) -> Strip:
    x, cell_width = time_span(widths)
    if not cell_width or x + cell_width > strip.cell_length:
        return strip  # cut off by a narrow table: nothing of it shows
    cell = _fitted(text, cell_width, right=True)
    cell.end = ""
    segments = Segment.apply_style(cell.render(console), *styles)
    middle = Strip(segments).crop_extend(0, cell_width, styles[0])
    parts = [strip.crop(0, x), middle, strip.crop(x + cell_width, strip.cell_length)]
    return Strip.join(parts).simplify()  # the segments a whole row's drawing would give
