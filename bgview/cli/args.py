"""What the command line accepts, checked at the edge: the parser class and the value types.

Every problem the user can fix ends in one line on stderr and exit status 2. Numbers are
checked here: ``inf``, ``nan``, ``1e400`` and negative values are refused (``prune
--older-than nan`` must not mean "every job").
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from bgview.runtime.limits import MAX_TAIL
from bgview.runtime.logstate import parse_size
from bgview.runtime.text import visible

USAGE_ERROR = 2


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` finds it (``COLUMNS``, else the
    terminal on stdout, else 80), without importing shutil: argparse makes a formatter for
    every option it is given, and shutil (with bz2, lzma) is slow to import on a busy machine."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        stream = sys.__stdout__
        try:
            columns = os.get_terminal_size(stream.fileno()).columns if stream else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, given the width (see :func:`_columns`)."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(prog, indent_increment, max_help_position, width or _columns())


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line that names the problem (and exit status 2).

    The message can quote what was typed (``unrecognized arguments: …``): it is shown
    :func:`visible`, so a pasted escape sequence stays on its line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: {visible(message)} (see {self.prog} --help)\n")


if TYPE_CHECKING:
    Subparsers: TypeAlias = argparse._SubParsersAction[Parser]
    """The ``add_subparsers`` action each command adds its parser to."""


def finite_not_negative(value: float) -> bool:
    """Neither ``inf`` nor ``nan``, and not negative (``-0`` included: its sign was typed)."""
    return math.isfinite(value) and math.copysign(1.0, value) > 0


def seconds(text: str) -> float:
    try:
        value = float(text.rstrip("s"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not finite_not_negative(value):
        raise argparse.ArgumentTypeError(
            f"not a number of seconds: {text!r} (it must be finite, 0 or more)"
        )
    return value


def size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        # parse_size's own words for a word or a sign; inf, nan and 1e400 get past its float()
        # and fail turning into an int, in Python's words (or as an OverflowError, below).
        words = str(exc) if str(exc).startswith("not a size") else _not_a_size(text)
        raise argparse.ArgumentTypeError(words) from None
    except OverflowError:
        raise argparse.ArgumentTypeError(_not_a_size(text)) from None


def _not_a_size(text: str) -> str:
    return f"not a size: {text!r} (a finite number of bytes: 512M, 1G)"


def winsize(text: str) -> tuple[int, int]:
    """``120x40``: a job's terminal size (2x2 to 1000x1000)."""
    from bgview.runtime.errors import InvalidRequest
    from bgview.runtime.jobpty import parse_size

    try:
        return parse_size(text)
    except InvalidRequest as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r} (1 to 65535)")
    return int(text)


def tail(text: str) -> int:
    value = size(text)
    if value > MAX_TAIL:
        raise argparse.ArgumentTypeError(f"--tail {text} is over the limit of {MAX_TAIL:,} bytes")
    return value


def age(text: str) -> float:
    """``7d``, ``12h``, ``30m``, ``45s``, ``2w`` or a number of seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    raw = text.strip().lower()
    scale = units.get(raw[-1:])
    number = raw[:-1] if scale else raw
    try:
        value = float(number) * (scale or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an age: {text!r} (try 7d or 12h)") from None
    if not finite_not_negative(value):  # nan compares false with every age: it pruned them all
        raise argparse.ArgumentTypeError(f"not an age: {text!r} (a finite age: 7d, 12h, 0)")
    return value
