"""What a job's output says, read by its supervisor as it writes the output to the log.

The supervisor hands every batch it writes to :meth:`OutputScan.feed`, so this must cost next
to nothing for a job that prints a gigabyte: the work is done on whole blocks of complete lines
with C-speed calls (``bytes.find``, one regex search over the block), never line by line in
Python. It keeps:

- the URLs the job printed that name this machine or a private network — where it serves —
  newest first, deduplicated, colour codes stripped. A block is looked at only if it holds
  ``://`` or ``istening`` (``Listening on port 3000`` and ``listening on 0.0.0.0:8000`` count
  as ``http://localhost:3000`` and ``http://0.0.0.0:8000``). A link to a web site
  (``https://github.com/...`` in an npm notice) is not one of the job's URLs. Past
  :data:`URL_RATE` bytes a second (a firehose) only the end of each block is looked at;
- the last partial line, and the last line, for the prompt of a job that waits for input;
- matches of the readiness pattern and of the watched pattern (``notify_on``).

**Patterns.** They are Python's regexes (``re``, ``MULTILINE``: ``^`` and ``$`` match at every
line, as everywhere in bgview), run by the standard library: RE2 is not on the supervisor's
path. A backtracking engine can take exponential time (``(a+)+$b``), and bounding the line
length does not bound that, so each block's searches run under a CPU-time budget
(:data:`BUDGET`, an ``ITIMER_PROF`` timer; ``re`` checks for signals as it matches, and the
handler raises only while a search is armed). A pattern that runs out of it is given up for
good — a watch stops and says so, a readiness pattern can no longer make the job ready — rather
than stall the supervisor that copies the job's output. A line carried over from one block to
the next is bounded (:data:`MAX_LINE`): past it, it is searched as it is and the rest of it
skipped, so a 50 MB line without a newline costs one bounded search.

Stdlib only (the supervisor imports it).
"""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import TypeVar

from bgview.runtime.facts import MAX_TEXT, MAX_URLS, cut
from bgview.runtime.text import visible

MAX_LINE = 4096
"""Bytes of a line carried over between blocks (longer lines are searched cut to this)."""
TAIL = 512
"""Bytes kept of the last partial line and of the last line, for the prompt."""
BUDGET = 0.1
"""CPU seconds the searches of one block may take before the pattern is given up."""
URL_RATE = 4 << 20
"""Bytes of output a second looked through in full for URLs (see ``OutputScan._url_start``)."""
URL_TAIL = 2048

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[PX^_][^\x1b\n]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]"  # two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_URL = re.compile(r"https?://[^\s<>\"'`|\\^{}\x00-\x1f\x7f]+")
_LISTENING = re.compile(
    r"(?i)\blistening\b[^\n]{0,80}?"
    r"(?:\bport\s+(\d{1,5})\b|((?:\d{1,3}\.){3}\d{1,3}|localhost|\[[0-9a-f:.]*\]|\*)?:(\d{1,5})\b)"
)
_HOSTNAMES = frozenset({"localhost", os.uname().nodename.lower()})
T = TypeVar("T")


class TooSlow(Exception):
    """A pattern's searches of one block ran out of :data:`BUDGET`."""


_armed = False
_installed = False


def _on_budget(signum: int, frame: FrameType | None) -> None:
    if _armed:
        raise TooSlow


def within_budget(search: Callable[[], T]) -> T:
    """``search()``, or :class:`TooSlow` once it has used :data:`BUDGET` of CPU time."""
    global _armed, _installed
    if not _installed:
        signal.signal(signal.SIGPROF, _on_budget)
        _installed = True
    _armed = True
    signal.setitimer(signal.ITIMER_PROF, BUDGET)
    try:
        return search()
    finally:
        _armed = False
        signal.setitimer(signal.ITIMER_PROF, 0)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text) if "\x1b" in text or "\x9b" in text else text


def final_form(line: str) -> str:
    """A line as a terminal leaves it: what follows its last ``\\r`` (a progress bar's end),
    without surrounding blanks."""
    line = line.rstrip("\r\n")
    return line[line.rfind("\r") + 1 :].strip()


def shown(line: str) -> str:
    """A line the job printed, as a fact or a notice holds it: visible, one line, cut."""
    return cut(visible(final_form(line)), MAX_TEXT)


def is_local(url: str) -> bool:
    """Whether ``url`` names this machine or a private network (where a job serves)."""
    rest = url.split("://", 1)[1]
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1].lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    else:
        host = host.split(":", 1)[0]
    if host in _HOSTNAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_unspecified


def _tidy(url: str) -> str:
    """A URL without the punctuation around it in prose: ``(http://x/).`` -> ``http://x/``."""
    url = url.rstrip(".,;:!?'\"")
    for close, opening in ((")", "("), ("]", "[")):
        while url.endswith(close) and url.count(close) > url.count(opening):
            url = url[:-1].rstrip(".,;:!?'\"")
    return url


class OutputScan:
    """One job's output, block by block: its URLs, its last lines, its patterns' matches."""

    def __init__(self) -> None:
        self.carry = b""
        """The line being written (no newline yet), at most :data:`MAX_LINE` bytes."""
        self.skipping = False
        """The rest of an over-long line is being skipped, up to its newline."""
        self.partial = b""
        self.last_line = b""
        self.urls: list[str] = []
        """Newest first, at most :data:`~bgview.runtime.facts.MAX_URLS`."""
        self.urls_changed = False
        self.window = 0.0
        self.looked = 0
        """Bytes looked through for URLs in the second that began at :attr:`window`."""
        self.ready: re.Pattern[str] | None = None
        """The readiness pattern, while the job is not ready yet."""
        self.ready_line: str | None = None
        """The line that matched it, once one did."""
        self.watch: re.Pattern[str] | None = None
        """The watched pattern, while it is watched."""
        self.count_only = False
        """Within the watch's cooldown: matches are only counted."""
        self.first_match: str | None = None
        """The first matching line since the keeper last took the matches."""
        self.matched = 0
        """Matches since the keeper last took them."""
        self.failed: list[str] = []
        """``"ready"`` or ``"watch"``: patterns given up since the keeper last looked."""

    # ---- feeding -----------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Read one batch of the job's output (as written to its log). Copies only what it
        keeps (the last line's tail) and, when there is something to search, the block."""
        nl = data.rfind(b"\n")
        if nl < 0:
            self.partial = (self.partial + data[-TAIL:])[-TAIL:]
            if self.skipping:
                return
            self.carry += data
            if len(self.carry) > MAX_LINE:
                self._overlong()
            return
        before = data.rfind(b"\n", max(0, nl - TAIL), nl)
        if before >= 0 or nl >= TAIL:
            line = data[max(before + 1, nl - TAIL) : nl]
        else:
            line = (self.partial + data[:nl])[-TAIL:]
        if line.strip():
            self.last_line = line
        self.partial = data[max(nl + 1, len(data) - TAIL) :]
        start = 0
        if self.skipping or self.carry:
            start = data.find(b"\n") + 1
            if not self.skipping:
                self._scan(self.carry + data[:start])  # the line carried over, now whole
            self.skipping = False
        if start <= nl:
            self._scan(data, start, nl + 1)
        self.carry = data[nl + 1 :]
        if len(self.carry) > MAX_LINE:
            self._overlong()

    def _overlong(self) -> None:
        """A line past :data:`MAX_LINE` without its newline: search what there is of it, skip
        the rest."""
        block, self.carry, self.skipping = self.carry[:MAX_LINE] + b"\n", b"", True
        self._scan(block)

    def _scan(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        """Search ``data[start:end]``, whole lines; decoded only if there is a reason to."""
        end = len(data) if end is None else end
        look = self._url_start(data, start, end)
        urls = data.find(b"://", look, end) >= 0 or data.find(b"istening", look, end) >= 0
        if not (urls or self.ready is not None or self.watch is not None):
            return
        text = strip_ansi(data[start:end].decode("utf-8", "replace"))
        if urls:
            self._find_urls(text)
        if self.ready is not None:
            self._find_ready(text, self.ready)
        if self.watch is not None:
            self._find_matches(text, self.watch)

    # ---- URLs --------------------------------------------------------------------------------

    def _url_start(self, data: bytes, start: int, end: int) -> int:
        """Where to begin looking for a URL in ``data[start:end]``: at its start, while less
        than :data:`URL_RATE` bytes have been looked at this second; past that (a firehose),
        only in its last :data:`URL_TAIL` bytes. Looking for ``://`` costs about a
        millisecond a megabyte, which would slow a fast job's capture by a fifth; a server
        prints its URL when it is up, at the end of a burst, not in the middle of one."""
        now = time.monotonic()
        if now - self.window >= 1.0:
            self.window, self.looked = now, 0
        size = end - start
        if self.looked + size <= URL_RATE:
            self.looked += size
            return start
        tail = max(start, end - URL_TAIL)
        return max(start, data.rfind(b"\n", start, tail) + 1)

    def _find_urls(self, text: str) -> None:
        found = [(m.start(), _tidy(m.group())) for m in _URL.finditer(text)]
        if "istening" in text:
            for match in _LISTENING.finditer(text):
                start = text.rfind("\n", 0, match.start()) + 1
                end = text.find("\n", match.end())
                if "://" in text[start : end if end >= 0 else len(text)]:
                    continue  # the line gives its URL itself
                port = match.group(1) or match.group(3)
                host = match.group(2) or "localhost"
                url = f"http://{'localhost' if host == '*' else host}:{int(port)}"
                found.append((match.start(), url))
            found.sort()
        for _, url in found[-MAX_URLS:]:
            if not is_local(url):
                continue
            url = cut(url, MAX_TEXT)
            if self.urls[:1] == [url]:
                continue
            if url in self.urls:
                self.urls.remove(url)
            self.urls.insert(0, url)
            del self.urls[MAX_URLS:]
            self.urls_changed = True

    # ---- patterns ----------------------------------------------------------------------------

    def _find_ready(self, text: str, pattern: re.Pattern[str]) -> None:
        try:
            match = within_budget(lambda: pattern.search(text))
        except TooSlow:
            self.ready = None
            self.failed.append("ready")
            return
        if match is not None:
            self.ready_line = shown(_line_of(text, match.start()))
            self.ready = None

    def _find_matches(self, text: str, pattern: re.Pattern[str]) -> None:
        def search() -> tuple[str | None, int]:
            if self.count_only:
                return None, len(pattern.findall(text))
            match = pattern.search(text)
            if match is None:
                return None, 0
            end = text.find("\n", match.start())
            rest = len(pattern.findall(text, end + 1)) if end >= 0 else 0
            return _line_of(text, match.start()), 1 + rest

        try:
            line, count = within_budget(search)
        except TooSlow:
            self.watch = None
            self.failed.append("watch")
            return
        if line is not None and self.first_match is None:
            self.first_match = shown(line)
        self.matched += count

    # ---- the last lines ----------------------------------------------------------------------

    def prompt(self) -> str | None:
        """The last partial line, cleaned (else the last line): what a prompt asks."""
        for raw in (self.partial, self.last_line):
            text = final_form(strip_ansi(raw.decode("utf-8", "replace")))
            if text:
                return cut(visible(text), MAX_TEXT)
        return None


def _line_of(text: str, at: int) -> str:
    """The line of ``text`` that holds character ``at``."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start : end if end >= 0 else len(text)]
