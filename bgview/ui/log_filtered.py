"""The filter's rows where the log needs a terminal: drawn as the pane draws them unfiltered.

A filter's rows are its matches (:mod:`bgview.ui.log_matches`), drawn from the log by their
byte spans. A match that stands for a row a terminal drew (a bar of a multi-bar progress, a
spinner's last frame) has no line of its own in the log — its raw bytes are hundreds of frames
— and is drawn from the row the scan's terminal drew for it instead (:attr:`Matches.drawn
<bgview.ui.log_matches.Matches.drawn>`): its text and colours as the pane shows them.
"""

from __future__ import annotations

from bgview.ui.log_decor import DecoratedLines


class FilteredLines(DecoratedLines):
    """Log lines whose filtered rows a terminal drew are drawn as drawn."""

    def _store(self, span: tuple[int, int], raw: bytes | None) -> None:
        row = self.model.drawn_row(span[0]) if self.model.filter is not None else None
        super()._store(span, raw if row is None else row.encode())
