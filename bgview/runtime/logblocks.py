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

*Plain* is :mod:`bgview.runtime.plainbytes`'s: text that the cleaned read gives exactly as
written. A block said not plain is looked at again by the caller, as before; only *plain* is
trusted.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from queue import SimpleQueue

from bgview.runtime.plainbytes import plain_between

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
