"""A job's processes as ``/proc`` shows them: CPU, memory, listening ports, terminal reads.

Everything here is read by the job's supervisor about once a second, so it reads only the
job's own processes, never all of ``/proc``:

- the processes: from the supervisor (a child subreaper, so every process of the job is below
  it) down through each thread's ``/proc/PID/task/TID/children``; where the kernel has no such
  file, :func:`bgview.runtime.tree.descendants` (a whole ``/proc`` snapshot) instead. A job
  started from inside this one is its own and is left out with what is below it;
- CPU: ``utime + stime`` of ``/proc/PID/stat`` between two samples over the wall time between
  them (a process seen for the first time: over its whole life so far);
- memory: the resident pages of ``/proc/PID/stat`` (field 24: the counter ``statm`` shows as
  its second field, read here from the file already open for the CPU);
- ports: sockets in ``/proc/PID/fd`` matched by inode to ``/proc/net/tcp`` and ``tcp6``
  entries in state ``0A`` (LISTEN), read only for sockets not seen before (:class:`Ports`);
- reading the terminal: see :func:`reads_terminal`.

Stdlib only (the supervisor imports it).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import stat
import time
from dataclasses import dataclass

from bgview.runtime import tree

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
_GONE = (errno.ENOENT, errno.ESRCH, errno.EACCES, errno.EPERM)
_READS = {
    "x86_64": frozenset({0, 17, 19}),  # read, pread64, readv
    "aarch64": frozenset({63, 65, 67}),  # read, readv, pread64
}.get(os.uname().machine, frozenset())
"""The system calls that read a descriptor, by number, on this machine's architecture."""
_LISTEN = b"0A"


@dataclass(frozen=True, slots=True)
class Sample:
    """One live process of the job at one sample."""

    pid: int
    pgid: int
    state: str
    tty: int
    """Its controlling terminal's device number (``tty_nr``)."""
    command: str
    cpu_percent: float
    rss_bytes: int


def _read(path: str, size: int = 4096) -> bytes | None:
    """A small ``/proc`` file in one read; ``None`` if the process is gone or hidden."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in _GONE:
            return None
        raise
    try:
        return os.read(fd, size)
    except OSError as exc:
        if exc.errno in _GONE:
            return None
        raise
    finally:
        os.close(fd)


def _children(pid: int) -> list[int] | None:
    """The children of every thread of ``pid``; ``None`` where the kernel keeps no
    ``children`` files (built without ``CONFIG_PROC_CHILDREN``)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError as exc:
        if exc.errno in _GONE:
            return []
        raise
    found: list[int] = []
    for tid in tids:
        try:
            fd = os.open(f"/proc/{pid}/task/{tid}/children", os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            if os.path.isdir(f"/proc/{pid}/task/{tid}"):
                return None  # the thread is there, its children file is not
            continue  # the thread ended meanwhile
        except OSError as exc:
            if exc.errno in _GONE:
                continue
            raise
        try:
            raw = os.read(fd, 65536)
        except OSError as exc:
            if exc.errno not in _GONE:
                raise
            raw = b""
        finally:
            os.close(fd)
        found.extend(int(n) for n in raw.split())
    return found


class Sampler:
    """The processes of the job below ``root``, sample after sample (it remembers each
    process's CPU time, to give its CPU % over the interval, and its command)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.prev: dict[tuple[int, int], tuple[int, float]] = {}
        """``(pid, start)`` -> CPU ticks and when they were read."""
        self.known: dict[tuple[int, int, bytes], str | None] = {}
        """``(pid, start, comm)`` -> its command, or ``None`` for another job's supervisor
        (``comm`` changes on exec, and the command with it)."""
        self.use_children = True

    def sample(self, *, measure: bool = True) -> list[Sample]:
        """Every live process of the job now, parents before their children. With
        ``measure`` the sample is the start of the next CPU interval; a look in between (at
        the ports) leaves the interval as it is."""
        now = time.monotonic()
        boot = time.clock_gettime(time.CLOCK_BOOTTIME)
        found: list[Sample] = []
        seen: dict[tuple[int, int], tuple[int, float]] = {}
        included = {self.root}
        for pid in self._pids():
            item = self._one(pid, now, boot, seen, included)
            if item is not None:
                found.append(item)
                included.add(pid)
        if measure:
            self.prev = seen
        if len(self.known) > 4 * len(seen) + 64:  # forget what ended long ago
            alive = {key[:2] for key in seen}
            self.known = {k: v for k, v in self.known.items() if k[:2] in alive}
        return found

    def _pids(self) -> list[int]:
        """PIDs below the root, parents first (nested supervisors' subtrees are cut later)."""
        if self.use_children:
            order: list[int] = []
            queue = [self.root]
            while queue:
                kids = _children(queue.pop(0))
                if kids is None:
                    self.use_children = False
                    break
                order.extend(kids)
                queue.extend(kids)
            else:
                return order
        return [p.pid for p in tree.descendants(self.root, skip=tree.is_supervisor)]

    def _one(
        self,
        pid: int,
        now: float,
        boot: float,
        seen: dict[tuple[int, int], tuple[int, float]],
        included: set[int],
    ) -> Sample | None:
        raw = _read(f"/proc/{pid}/stat")
        if raw is None:
            return None
        close = raw.rfind(b")")
        fields = raw[close + 2 :].split()
        try:
            state = fields[0].decode()
            ppid, pgid, tty = int(fields[1]), int(fields[2]), int(fields[4])
            ticks = int(fields[11]) + int(fields[12])
            start, rss = int(fields[19]), int(fields[21]) * PAGE
        except (IndexError, ValueError):
            return None
        if state in ("Z", "X"):
            return None
        if ppid not in included:
            # Its parent was left out: another job's supervisor, or something below one.
            return None
        key = (pid, start, raw[raw.find(b"(") + 1 : close])
        if key not in self.known:
            found = tree.read_proc(pid)
            if found is None:
                return None
            self.known[key] = None if tree.is_supervisor(found) else found.command
        command = self.known[key]
        if command is None:
            return None
        before = self.prev.get((pid, start))
        if before is not None and now > before[1]:
            cpu = (ticks - before[0]) / CLK_TCK / (now - before[1]) * 100
        else:
            life = boot - start / CLK_TCK
            cpu = ticks / CLK_TCK / life * 100 if life > 0 else 0.0
        seen[(pid, start)] = (ticks, now)
        return Sample(pid, pgid, state, tty, command, round(max(cpu, 0.0), 1), rss)


# ---- ports -----------------------------------------------------------------------------------


def socket_inodes(pid: int) -> list[int]:
    """The inodes of the sockets ``pid`` holds open (``socket:[N]`` in ``/proc/PID/fd``)."""
    where = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(where)
    except OSError as exc:
        if exc.errno in _GONE:
            return []
        raise
    found: list[int] = []
    for fd in fds:
        try:
            target = os.readlink(f"{where}/{fd}")
        except OSError as exc:
            if exc.errno in _GONE:
                continue
            raise
        if target.startswith("socket:["):
            found.append(int(target[8:-1]))
    return found


def _address(hexed: bytes) -> str:
    """``0100007F`` -> ``127.0.0.1``; the 32-digit form -> an IPv6 address. The kernel writes
    each 32-bit word in host order (little-endian here)."""
    raw = bytes.fromhex(hexed.decode())
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return str(ipaddress.IPv4Address(words))
    address = ipaddress.IPv6Address(words)
    mapped = address.ipv4_mapped  # an IPv4 peer of a dual-stack socket: as Python 3.13 writes it
    return f"::ffff:{mapped}" if mapped is not None else str(address)


RECHECK = 10.0
"""Seconds before a socket found not listening is looked up again (one bound now and
listening later keeps its inode)."""


class Ports:
    """The TCP ports a job's sockets listen on, looked up by inode.

    ``/proc/net/tcp`` costs milliseconds to read however few sockets it lists (the kernel
    walks its whole connection table), so it is read only for sockets not seen before: a
    listening socket keeps its inode until it is closed, and one found not listening (a
    client connection, a Unix socket) is looked up again only every :data:`RECHECK` seconds.
    An idle server, whose sockets do not change, costs no read at all.
    """

    def __init__(self) -> None:
        self.listening: dict[int, tuple[int, str]] = {}
        """inode -> (port, address)."""
        self.other: dict[int, float] = {}
        """inode of a socket found not listening -> when it was looked up."""

    def look(self, holders: dict[int, int], now: float) -> list[tuple[int, str, int]]:
        """``(port, address, pid)`` of each listening socket among ``holders`` (inode -> the
        pid holding it), sorted by port."""
        self.listening = {i: v for i, v in self.listening.items() if i in holders}
        self.other = {i: t for i, t in self.other.items() if i in holders}
        unknown = [
            inode
            for inode in holders
            if inode not in self.listening and now - self.other.get(inode, -RECHECK) >= RECHECK
        ]
        if unknown:
            found = _listening_sockets()
            for inode in unknown:
                if inode in found:
                    self.listening[inode] = found[inode]
                else:
                    self.other[inode] = now
        return sorted((port, address, holders[i]) for i, (port, address) in self.listening.items())


def _listening_sockets() -> dict[int, tuple[int, str]]:
    """inode -> ``(port, address)`` of every listening TCP socket of this network namespace."""
    found: dict[int, tuple[int, str]] = {}
    for name in ("tcp", "tcp6"):
        try:
            with open(f"/proc/self/net/{name}", "rb") as handle:
                table = handle.read()
        except OSError:
            continue  # no IPv6 here, or no /proc/net
        for line in table.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            host, _, port = fields[1].partition(b":")
            found[int(fields[9])] = (int(port, 16), _address(host))
    return found


# ---- reading the terminal --------------------------------------------------------------------


def reads_terminal(pid: int, tty: int, canonical: bool) -> bool:
    """Whether ``pid`` is blocked reading its controlling terminal (device ``tty``).

    ``/proc/PID/syscall`` says so directly: the number of a read (``read``, ``readv``,
    ``pread64``) and, as its first argument, a descriptor that is the terminal. Where that
    file cannot be read (a kernel without it, a ptrace policy against it, an architecture
    whose numbers are not known here), the kernel function it sleeps in
    (``/proc/PID/wchan``) stands in: ``n_tty_read``, or ``wait_woken`` (where ``n_tty_read``
    waits) with the terminal in canonical mode. A program that waits in ``poll``, ``select``
    or ``epoll`` (a full-screen program, Node's readline) is not taken for one reading it: it
    may as well be a server waiting for its clients.
    """
    raw = _read(f"/proc/{pid}/syscall", 256) if _READS else None
    if raw is not None:
        fields = raw.split()
        if not fields or fields[0] == b"running":
            return False
        try:
            number = int(fields[0])
            fd = int(fields[1], 16) if number in _READS else -1
        except (IndexError, ValueError):
            return False
        if fd < 0:
            return False
        try:
            st = os.stat(f"/proc/{pid}/fd/{fd}")
        except OSError:
            return False
        return stat.S_ISCHR(st.st_mode) and st.st_rdev == tty
    wchan = (_read(f"/proc/{pid}/wchan", 64) or b"").strip()
    return wchan == b"n_tty_read" or (wchan == b"wait_woken" and canonical)
