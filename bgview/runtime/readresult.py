"""What a read gives back: a cursor read's :class:`Output`, a peek's :class:`Peek`."""

from __future__ import annotations

from dataclasses import dataclass

from bgview.runtime.model import Job


@dataclass(frozen=True)
class Output:
    """The result of one cursor read."""

    job: Job
    """The job as it was when the read began."""
    text: str
    """Cleaned complete lines (each ending in ``\\n``, but a last line cut by the job's end)."""
    lines: int
    start: int
    """The logical offset this read started from."""
    next_offset: int
    """Where the consumer's next read starts."""
    skipped: int = 0
    """Bytes this consumer will never see: the log cap dropped them before they were read."""
    more: bool = False
    """The character cap was reached: call again to read on."""
    unread: int = 0
    """Bytes of output after ``next_offset`` right now."""

    def render(self) -> str:
        """The text with the notes a reader needs (dropped bytes, how to read on)."""
        notes = []
        if self.skipped:
            notes.append(f"[{self.skipped:,} bytes dropped by the log size cap before this read]\n")
        body = self.text
        if body and not body.endswith("\n"):
            body += "\n"
        if self.more:
            body += (
                f"[output cut at the per-read character limit; {self.unread:,} more bytes"
                f" unread: read {self.job.id} again to continue]\n"
            )
        return "".join(notes) + body


@dataclass(frozen=True)
class Peek:
    """Raw bytes of a job's log by logical offset; reading them moved no cursor."""

    job: Job
    data: bytes
    start: int
    """Logical offset of ``data[0]``."""
    end: int
    """Logical offset just after the data: pass it as ``offset`` to continue."""
    dropped: int
    """Bytes the log cap dropped from the front of the log (the first offset still on disk)."""

    @property
    def truncated(self) -> bool:
        """Whether output before ``start`` exists (or existed) and is not included."""
        return self.start > 0
