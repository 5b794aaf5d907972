"""Whether a typed command is complete or waits for more lines, as bash decides it: an open
quote, an ``if`` without its ``fi``, a trailing ``|`` or ``&&``, a here-document, a backslash
at the end. Enter on an incomplete command gives a continuation prompt instead of running it.

bash itself is asked (``bash -n``: parse, do not run), in the C locale so that its words can
be read; where it cannot be run, :mod:`shlex` finds open quotes and trailing backslashes.
"""

from __future__ import annotations

import functools
import shlex
import shutil
import subprocess

_MORE = (b"unexpected EOF", b"unexpected end of file", b"here-document")
"""What bash says of a command that goes on past the end of the text."""
CHECK_TIMEOUT = 2.0
"""Seconds ``bash -n`` may take (it takes a few milliseconds)."""


@functools.lru_cache(maxsize=64)
def incomplete(text: str) -> bool:
    """Whether ``text`` needs more lines to be a whole command."""
    if not text.strip():
        return False
    if _ends_with_backslash(text):
        return True
    bash = shutil.which("bash")
    if bash is None:
        return _open_quote(text)
    try:
        checked = subprocess.run(
            [bash, "-n", "-c", text],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env={"LC_ALL": "C"},
            timeout=CHECK_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return _open_quote(text)
    return any(words in checked.stderr for words in _MORE)


def _ends_with_backslash(text: str) -> bool:
    """An odd run of backslashes at the very end: the newline is escaped."""
    run = len(text) - len(text.rstrip("\\"))
    return run % 2 == 1


def _open_quote(text: str) -> bool:
    try:
        shlex.split(text)
    except ValueError:  # "No closing quotation", "No escaped character"
        return True
    return False
