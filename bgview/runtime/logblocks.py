"""Reading a log in blocks of whole lines, and for a filtered read, one step ahead on the
machine's second core, telling which blocks are plain.

A filtered read over a big log (``bgview output ID --filter RE``,
:func:`bgview.runtime.output.scan`) makes three passes over every byte: the read itself, the
look for any byte that needs cleaning (:mod:`bgview.runtime.clean`), and the search. Done one
after the other on one core they cost about twice what ``grep`` does for the whole job. Here a
thread reads the next blocks and looks at them while the caller searches the current one: the
read (``os.pread``), the look (the C library's ``strspn``, through ctypes) and RE2's search all
run without holding the GIL, so the two cores work at once. The blocks and what is done with
them do not change: only when they are read and looked at.

*Plain* means printable ASCII, tabs and newlines only (:data:`dirtymap.PLAIN`): text that the
cleaned read gives exactly as written, whose ``translate`` look (``clean.needs_cleaning``)
would find nothing. A block said not plain is looked at again by the caller, as before; only
*plain* is trusted.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from queue import SimpleQueue

from bgview.runtime.dirtymap import PLAIN

Block = tuple[int, bytes, int]
"""``(physical_start, data, end)``: ``data[:end]`` is whole lines (see :func:`blocks`)."""
READ_CHUNK = 1 << 20
MAX_LINE_BYTES = 1 << 20
"""A partial line longer than this is delivered without waiting for its newline: a program
that never ends its line must not hide its output forever."""
DEPTH = 2
"""Blocks read ahead of the caller at most (1 MiB each): enough to keep the reader busy, and
little read for nothing when the caller stops early (a read's character cap)."""
AHEAD_SHARE = 2 / 3
"""How much of each block the thread looks at; the caller looks at the rest as it takes the
block. The thread also reads the block, the caller also searches it: so each core has about
as much to do (the look costs about what the read and the search cost together)."""


def blocks(fd: int, pos: int, size: int, final: bool) -> Iterator[tuple[int, bytes, int]]:
    """Yield ``(physical_start, data, end)``, oldest first: ``data[:end]`` is a block of whole
    lines; the rest of ``data``, the start of the next line, is read again with the next block
    (cheaper than copying every block to cut it there).

    A trailing partial line is yielded only when the job has ended (``final``) or it has grown
    past :data:`MAX_LINE_BYTES`.
    """
    want = READ_CHUNK
    while pos < size:
        data = os.pread(fd, min(want, size - pos), pos)
        if not data:
            break
        end = data.rfind(b"\n") + 1
        if end == 0:
            if len(data) >= MAX_LINE_BYTES:
                end = len(data)
            elif pos + len(data) < size:
                want *= 2  # a line longer than a block, not yet over the limit: read it whole
                continue
            else:
                if final:
                    yield pos, data, len(data)
                return
        yield pos, data, end
        pos += end
        want = READ_CHUNK


def split_lines(block: bytes) -> Iterator[bytes]:
    """The lines of ``block``, each with its ``\\n`` (not ``bytes.splitlines``, which also
    splits at ``\\r`` and would tear a progress bar's rewrites apart)."""
    start = 0
    while start < len(block):
        end = block.find(b"\n", start) + 1 or len(block)
        yield block[start:end]
        start = end


@functools.cache
def _strspn() -> Callable[[bytes | int, bytes], int] | None:
    """The C library's ``strspn`` (it releases the GIL, and is quicker than a ``translate``),
    taking a ``bytes`` or an address in one, or ``None`` where ctypes or the library cannot
    be had. Looked up on first use: a small read does not pay for importing ctypes."""
    try:
        import ctypes

        function = ctypes.CDLL(None).strspn
    except (ImportError, OSError, AttributeError):
        return None
    function.restype = ctypes.c_size_t
    function.argtypes = (ctypes.c_void_p, ctypes.c_char_p)
    spn: Callable[[bytes | int, bytes], int] = function
    return spn


def plain_between(data: bytes, start: int, end: int) -> bool:
    """Whether ``data[start:end]`` is plain (see the module docstring).

    ``strspn`` reads a C string: a ``bytes`` object always ends in a NUL past its last byte,
    and a NUL inside it, not being plain, stops the count before ``end`` just as any other
    such byte does. It reads ``data`` where it lies, never a copy.
    """
    if start >= end:
        return True
    strspn = _strspn()
    if strspn is None:
        return not data[start:end].translate(None, PLAIN)
    if start == 0:
        return strspn(data, PLAIN) >= end
    import ctypes  # loaded already: _strspn found it

    address = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value
    assert address is not None
    return strspn(address + start, PLAIN) >= end - start


def is_plain(data: bytes, end: int) -> bool:
    """Whether ``data[:end]`` is plain."""
    return plain_between(data, 0, end)


class ReadAhead:
    """``blocks`` read by a thread ahead of the caller, each with whether it is plain (the
    thread looks at most of it, the caller at the rest: :data:`AHEAD_SHARE`).

    Iterate it for ``(start, data, end, plain)``; :meth:`close` it (or use ``with``) when
    done, before the log's descriptor is closed: it stops the thread and waits for it. An
    error reading the log is raised to the caller, where the block would have been.
    """

    def __init__(self, blocks: Iterator[Block], depth: int = DEPTH) -> None:
        self._blocks = blocks
        self._queue: SimpleQueue[tuple[int, bytes, int, int, bool] | BaseException | None] = (
            SimpleQueue()
        )
        self._room = threading.Semaphore(depth)
        self._stopped = False
        self._thread = threading.Thread(target=self._read, name="bgview-readahead", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                self._room.acquire()
                if self._stopped:
                    return
                block = next(self._blocks, None)
                if block is None:
                    break
                start, data, end = block
                cut = int(end * AHEAD_SHARE)
                self._queue.put((start, data, end, cut, plain_between(data, 0, cut)))
        except BaseException as exc:  # handed to the caller, raised there
            self._queue.put(exc)
            return
        self._queue.put(None)

    def __iter__(self) -> Iterator[Looked]:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            self._room.release()
            start, data, end, cut, head = item
            yield start, data, end, head and plain_between(data, cut, end)

    def close(self) -> None:
        self._stopped = True
        self._room.release()
        self._thread.join()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Looked = tuple[int, bytes, int, bool]
"""A block and whether it is plain: ``False`` may also mean "not looked at"."""


@contextlib.contextmanager
def looked_at(source: Iterator[Block], ahead: bool) -> Iterator[Iterator[Looked]]:
    """``source``'s blocks, read ahead on a thread and looked at there (``ahead``), or read
    in the caller's turn and not looked at (each then ``plain=False``)."""
    if not ahead:
        yield ((start, data, end, False) for start, data, end in source)
        return
    with ReadAhead(source) as reader:
        yield iter(reader)
