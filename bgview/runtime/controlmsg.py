"""The requests a job's supervisor takes on its ``control`` FIFO, typed: end the job
(:class:`KillRequest`), set its terminal's size (:class:`ResizeRequest`).

They travel as one JSON line each (:func:`encode_control`); the supervisor reads them with
:func:`parse_control`, which refuses garbage in one line (logged; the supervisor lives on)
instead of raising.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bgview.runtime.record import KillReason, check_winsize


@dataclass(frozen=True, slots=True)
class KillRequest:
    """End every process of the job: SIGTERM now, SIGKILL after ``grace`` seconds."""

    by: KillReason
    grace: float = 3.0


@dataclass(frozen=True, slots=True)
class ResizeRequest:
    """Set the job's terminal size (its foreground group gets SIGWINCH)."""

    columns: int
    rows: int


ControlRequest = KillRequest | ResizeRequest
MAX_GRACE = 3600.0


MAX_CONTROL_LINE = 4096
"""The longest control request read: a real one is a few dozen bytes. A longer line is
garbage, refused before it is parsed (JSON nested a few thousand deep would exhaust the
parser's recursion: a ``RecursionError``, not a ``ValueError``, in the supervisor's loop)."""
SHOWN = 60
"""Bytes of a refused request quoted in the reason."""


def encode_control(request: ControlRequest) -> bytes:
    """One line for the job's ``control`` FIFO.

    It starts with a newline as well as ending with one: whatever an earlier writer left
    unfinished in the FIFO (a request cut short when its writer died, garbage without a
    newline) becomes a line of its own, refused, rather than the start of this one. The
    supervisor skips empty lines.
    """
    if isinstance(request, KillRequest):
        data: dict[str, Any] = {"op": "kill", "by": request.by.value, "grace": request.grace}
    else:
        data = {"op": "resize", "columns": request.columns, "rows": request.rows}
    return ("\n" + json.dumps(data) + "\n").encode()


def parse_control(line: bytes) -> ControlRequest:
    """Read one control line; ``ValueError`` for anything malformed, naming the request (its
    first bytes, escaped: it may be binary) and saying what is wrong with it, so that the
    supervisor's log shows which request it refused."""
    try:
        return _parse_control(line)
    except ValueError as exc:
        shown = repr(line[:SHOWN])[2:-1]
        if len(line) > SHOWN:
            shown += f"… ({len(line):,} bytes)"
        raise ValueError(f"{shown}: {exc}") from None


def _parse_control(line: bytes) -> ControlRequest:
    if len(line) > MAX_CONTROL_LINE:
        raise ValueError(f"too long for a control request (at most {MAX_CONTROL_LINE} bytes)")
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("not an object")
    op = data.get("op")
    if op == "kill":
        grace = data.get("grace", 3.0)
        if isinstance(grace, bool) or not isinstance(grace, int | float):
            raise ValueError(f"grace {grace!r} is not a number")
        if not (0 <= grace <= MAX_GRACE):  # also refuses NaN
            raise ValueError(f"grace {grace!r} is out of range")
        by = data.get("by", KillReason.USER.value)
        if not isinstance(by, str) or by not in {reason.value for reason in KillReason}:
            raise ValueError(f"unknown kill reason {by!r}")
        return KillRequest(KillReason(by), float(grace))
    if op == "resize":
        return ResizeRequest(*check_winsize(data.get("columns"), data.get("rows")))
    raise ValueError(f"unknown op {op!r}")
