"""Every component of the store's path is checked, from ``$BGVIEW_HOME`` down to a job's files.

A store another user could redirect is refused before anything is read or written: a symlink
they planted on the way, a directory above the store that they can write to (and that is not
sticky), or one that is theirs. Inside the store nothing is ever followed: a symlink in place of
``projects/``, a project, ``jobs/``, a job, a record, the log or ``cursors`` is refused or
skipped. A dangling symlink is one line saying so, never a traceback; a symlink of ours (or
root's) above the store, like ``/var/run -> /run``, still works.

The other user is a real one (``bgview-other``, created if missing: these tests run as root),
and the directories they write to are chowned to them and removed afterwards.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bgview.runtime import Runtime
from tests.support import until

OTHER = "bgview-other"


@dataclass(frozen=True)
class User:
    """A real account on this machine, other than the one running the tests."""

    name: str
    uid: int
    gid: int

    def run(self, *argv: str) -> None:
        """Run ``argv`` as this user, with none of our groups."""
        subprocess.run(
            ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", *argv],
            check=True,
            capture_output=True,
        )


@pytest.fixture(scope="session")
def other_user() -> User:
    """``bgview-other``: created (as a system user, no home) the first time it is needed."""
    if os.geteuid() != 0:
        pytest.fail("these tests need root: they create a second user and chown to it")
    if subprocess.run(["id", OTHER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", OTHER], check=True)
    entry = pwd.getpwnam(OTHER)
    return User(OTHER, entry.pw_uid, entry.pw_gid)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A directory the other user can reach (pytest's ``tmp_path`` sits in root's 0700
    directories). Ours, 0755, in ``/tmp``; every job left running in a store below it is
    ended, then it is removed with everything the other user put in it."""
    base = Path(tempfile.mkdtemp(prefix="bgview-paths-", dir="/tmp"))
    os.chmod(base, 0o755)
    yield base
    for root, dirs, _files in os.walk(base):
        if "projects" in dirs and not os.path.islink(os.path.join(root, "projects")):
            _end_jobs(Path(root))
    shutil.rmtree(base)


def _end_jobs(home: Path) -> None:
    """Kill every job still running in the store ``home``."""
    for key in os.listdir(home / "projects"):
        info = home / "projects" / key / "project.json"
        if os.path.islink(home / "projects" / key) or not info.is_file():
            continue
        rt = Runtime(json.loads(info.read_text())["path"], home=home)
        for job in rt.jobs():
            if job.running:
                rt.kill(job.id, grace=0)


def bgview(
    *args: str, cwd: Path, home: Path | None = None, state: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The real ``bgview`` command, with ``BGVIEW_HOME`` or ``XDG_STATE_HOME`` as given (and
    no other setting of ours leaking in from the environment)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("BGVIEW_") and k != "XDG_STATE_HOME"
    }
    if home is not None:
        env["BGVIEW_HOME"] = str(home)
    if state is not None:
        env["XDG_STATE_HOME"] = str(state)
    return subprocess.run(
        [sys.executable, "-m", "bgview", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit status 2 and one line on stderr, naming the problem; nothing on stdout."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bgview: "), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def tree(path: Path) -> list[tuple[str, int]]:
    """Every name below ``path`` with its size: what a command must not have touched."""
    found = []
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            st = os.lstat(os.path.join(root, name))
            found.append((os.path.relpath(os.path.join(root, name), path), st.st_size))
    return sorted(found)


@pytest.fixture
def project(shared: Path) -> Path:
    path = shared / "proj"
    path.mkdir()
    return path


def private(path: Path) -> Path:
    """A directory of ours that nobody else may write to."""
    path.mkdir(mode=0o700)
    return path


# ---- above the store --------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["above the store", "as BGVIEW_HOME", "as XDG_STATE_HOME"])
def test_a_symlink_another_user_planted_is_refused(
    other_user: User, shared: Path, project: Path, where: str
) -> None:
    """In a sticky directory anyone may write to (like /tmp), another user plants a symlink to
    a directory of ours: a store reached through it could be redirected by them at any time.
    ``bgview run`` and ``bgview list`` refuse it in one line and write nothing through it."""
    sticky = shared / "sticky"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    target = private(shared / "mine")
    link = sticky / "link"
    other_user.run("ln", "-s", str(target), str(link))
    assert os.lstat(link).st_uid == other_user.uid
    places = {
        "above the store": {"home": link / "home"},
        "as BGVIEW_HOME": {"home": link},
        "as XDG_STATE_HOME": {"state": link},
    }[where]
    for command in (["run", "echo hi"], ["list"]):
        result = bgview(*command, cwd=project, **places)
        assert_refused(result, str(link))
        assert "another user" in result.stderr or "symbolic link" in result.stderr
    assert tree(target) == []


@pytest.mark.parametrize("kind", ["world-writable", "group-writable", "another user's"])
def test_a_directory_another_user_can_change_above_the_store_is_refused(
    other_user: User, shared: Path, project: Path, kind: str
) -> None:
    """Two levels above the store sits a directory another user can write to (or owns): they
    could rename the store's parent away and put their own in its place. Refused, whichever
    level it is at, by ``bgview run`` and ``bgview list``."""
    weak = shared / "weak"
    weak.mkdir()
    if kind == "world-writable":
        os.chmod(weak, 0o777)
    elif kind == "group-writable":
        os.chown(weak, 0, other_user.gid)
        os.chmod(weak, 0o770)
    else:
        os.chown(weak, other_user.uid, other_user.gid)
        os.chmod(weak, 0o755)
    middle = private(weak / "middle")
    home = middle / "home"
    words = ["belongs to another user"] if kind == "another user's" else ["writable by other"]
    for command in (["run", "echo hi"], ["list"]):
        assert_refused(bgview(*command, cwd=project, home=home), str(weak), *words)
    assert tree(middle) == []


def test_a_sticky_directory_others_can_write_to_is_fine(shared: Path, project: Path) -> None:
    """A sticky directory open to all (``/tmp`` itself) is not a weakness: nobody else can
    rename or remove what is ours in it. A store below one works."""
    sticky = shared / "sticky"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    home = sticky / "home"
    started = bgview("run", "echo fine", cwd=project, home=home)
    assert started.returncode == 0, started.stderr
    assert bgview("wait", started.stdout.strip(), cwd=project, home=home).returncode == 0
    assert "fine" in bgview("output", started.stdout.strip(), cwd=project, home=home).stdout


@pytest.mark.parametrize("link", ["ours", "root's, relative, two in a row"])
def test_a_symlink_of_ours_or_roots_above_the_store_works(
    shared: Path, project: Path, link: str
) -> None:
    """Like ``/var/run -> /run``: a symlink only we (or root) could have made, to a directory
    only we (or root) can change, is followed. ``bgview run``, ``list`` and ``output`` work
    through it, and the job's files are where the symlink leads."""
    real = private(shared / "real")
    if link == "ours":
        alias = shared / "alias"
        alias.symlink_to(real)
    else:
        (shared / "first").symlink_to("real")  # relative to its own directory
        alias = shared / "second"
        alias.symlink_to(shared / "first")
        os.lchown(alias, 0, 0)
    home = alias / "home"
    started = bgview("run", "echo through the link", cwd=project, home=home)
    assert started.returncode == 0, started.stderr
    job_id = started.stdout.strip()
    assert bgview("wait", job_id, cwd=project, home=home).returncode == 0
    listed = json.loads(bgview("list", "--json", cwd=project, home=home).stdout)
    assert [j["id"] for j in listed] == [job_id]
    assert "through the link" in bgview("output", job_id, cwd=project, home=home).stdout
    assert any(name.endswith("output.log") for name, _ in tree(real / "home"))


@pytest.mark.parametrize(
    "where", ["BGVIEW_HOME", "a component", "XDG_STATE_HOME", "a loop", "a chain"]
)
def test_a_dangling_symlink_is_one_line(shared: Path, project: Path, where: str) -> None:
    """A symlink to nothing, wherever it is on the way to the store, is a one-line message
    (exit 2) from ``bgview run`` and ``bgview list``, never a traceback; nothing is created
    where it points."""
    dangling = shared / "dangling"
    dangling.symlink_to(shared / "nothing" / "here")
    places: dict[str, Path]
    if where == "BGVIEW_HOME":
        places = {"home": dangling}
    elif where == "a component":
        places = {"home": dangling / "home"}
    elif where == "XDG_STATE_HOME":
        places = {"state": dangling}
    elif where == "a loop":
        (shared / "loop").symlink_to("loop")
        places = {"home": shared / "loop" / "home"}
    else:  # a symlink to a symlink to nothing
        (shared / "chain").symlink_to(dangling)
        places = {"home": shared / "chain" / "home"}
    for command in (["run", "echo hi"], ["list"]):
        assert_refused(bgview(*command, cwd=project, **places))
    assert not (shared / "nothing").exists()


# ---- inside the store -------------------------------------------------------------------------

FORGED = "forged-output-do-not-show"


@dataclass
class Store:
    """A store with one ended job (``bash_1``, which printed ``one``)."""

    home: Path
    project: Path
    job: Path

    @property
    def project_dir(self) -> Path:
        return self.job.parent.parent

    def path_of(self, part: str) -> Path:
        """The store's path for one of its components."""
        return {
            "projects": self.home / "projects",
            "project": self.project_dir,
            "jobs": self.project_dir / "jobs",
            "job": self.job,
        }.get(part, self.job / part)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return bgview(*args, cwd=self.project, home=self.home)


@pytest.fixture
def store(shared: Path, project: Path) -> Store:
    home = shared / "home"
    started = bgview("run", "echo one", cwd=project, home=home)
    assert started.returncode == 0, started.stderr
    assert bgview("wait", "bash_1", cwd=project, home=home).returncode == 0
    (job,) = (home / "projects").glob("*/jobs/bash_1")
    return Store(home, project, job)


def plant(store: Store, part: str, elsewhere: Path) -> Path:
    """Move one component of the store out to ``elsewhere`` and leave a symlink to it in its
    place; the moved copy is doctored (its output forged, its command changed) so that a
    command that followed the symlink would show it."""
    path = store.path_of(part)
    moved = elsewhere / "moved"
    os.rename(path, moved)
    path.symlink_to(moved)
    for log in [moved, *moved.rglob("output.log")]:
        if log.name == "output.log" and not log.is_symlink():
            log.write_text(f"{FORGED}\n")
    for record in [moved, *moved.rglob("result.json")]:
        if record.name == "result.json" and not record.is_symlink():
            record.write_text(record.read_text().replace("echo one", FORGED))
    return moved


INSIDE = [
    "projects",
    "project",
    "jobs",
    "job",
    "meta.json",
    "state.json",
    "result.json",
    "output.log",
    "cursors",
]


@pytest.mark.parametrize("part", INSIDE)
def test_a_symlink_inside_the_store_is_never_followed_by_readers(
    store: Store, shared: Path, part: str
) -> None:
    """A symlink sits in place of a directory or a file of the store, pointing at a doctored
    copy: ``bgview list`` (also ``--all``), ``output`` and ``output --peek`` either refuse
    (one line, exit 2) or leave that job out; none of them shows what the symlink leads to, or
    writes there (a cursor)."""
    elsewhere = private(shared / "elsewhere")
    plant(store, part, elsewhere)
    before = tree(elsewhere)
    for command in (
        ["list", "--json"],
        ["list", "--all"],
        ["output", "bash_1"],
        ["output", "bash_1", "--peek"],
    ):
        result = store.cli(*command)
        assert FORGED not in result.stdout, (command, result.stdout)
        if result.returncode != 0:
            assert_refused(result)
    assert tree(elsewhere) == before


@pytest.mark.parametrize(
    "part",
    [
        "projects",
        "project",
        "jobs",
    ],
)
def test_a_symlink_inside_the_store_is_never_followed_by_run(
    store: Store, shared: Path, part: str
) -> None:
    """With ``projects/``, the project or ``jobs/`` a symlink to a copy elsewhere, ``bgview
    run`` refuses in one line and creates nothing there: no job runs from a redirected
    store."""
    elsewhere = private(shared / "elsewhere")
    plant(store, part, elsewhere)
    before = tree(elsewhere)
    assert_refused(store.cli("run", "echo two"), "symbolic link")
    assert tree(elsewhere) == before


@pytest.mark.parametrize(
    "name",
    [
        "notices.log",
        "counter",
        "project.json",
    ],
)
def test_a_symlinked_file_of_a_project_is_never_followed(
    store: Store, shared: Path, name: str
) -> None:
    """A project's own files (its ended-jobs log, its id counter, its ``project.json``) made
    symlinks to copies elsewhere: ``bgview run``, ``notices`` and ``list --all`` refuse (one
    line) or do without them; the copies are neither read (a fresh consumer learns of no
    notice through them) nor written."""
    elsewhere = private(shared / "elsewhere")
    real = store.project_dir / name
    moved = elsewhere / name
    os.rename(real, moved)
    real.symlink_to(moved)
    before = moved.read_bytes()
    for command in (["run", "echo two"], ["notices", "--consumer", "fresh"], ["list", "--all"]):
        result = store.cli(*command)
        if result.returncode != 0:
            assert_refused(result)
        if command[0] == "run" and result.returncode == 0:
            assert store.cli("wait", result.stdout.strip()).returncode == 0
        if name == "notices.log":
            assert "[bg:bash_1" not in result.stdout, (command, result.stdout)
    assert moved.read_bytes() == before
    assert os.listdir(elsewhere) == [name]


def test_a_symlinked_store_is_refused_even_if_it_is_ours(store: Store, shared: Path) -> None:
    """``$BGVIEW_HOME`` itself a symlink (ours, to a good store): refused, not followed."""
    alias = shared / "alias"
    alias.symlink_to(store.home)
    result = bgview("list", cwd=store.project, home=alias)
    assert_refused(result, "symbolic link")


def test_a_store_checked_while_readers_work_refuses_a_late_symlink(
    store: Store, shared: Path
) -> None:
    """The checks are made on every use, not once: a job that was read fine is refused after
    its project's directory became a symlink, within the same process."""
    rt = Runtime(store.project, home=store.home)
    assert [j.id for j in rt.jobs()] == ["bash_1"]
    elsewhere = private(shared / "elsewhere")
    plant(store, "project", elsewhere)
    until(lambda: rt.jobs() == [], timeout=2, what="the redirected job to be left out")


# ---- where the store is -------------------------------------------------------------------------


def test_a_relative_xdg_state_home_is_ignored(shared: Path, project: Path) -> None:
    """``XDG_STATE_HOME=state`` (relative, which the XDG spec says to ignore) would put a
    different store in every directory: the store stays under ``~/.local/state``."""
    home = private(shared / "user-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BGVIEW_")}
    env.update(HOME=str(home), XDG_STATE_HOME="state")
    started = subprocess.run(
        [sys.executable, "-m", "bgview", "run", "echo where"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert started.returncode == 0, started.stderr
    assert not (project / "state").exists()
    assert list((home / ".local" / "state" / "bgview" / "projects").glob("*/jobs/bash_1"))
    _end_jobs(home / ".local" / "state" / "bgview")


def test_no_home_directory_is_one_line(shared: Path, project: Path) -> None:
    """A user with no password entry and no ``HOME`` (a container's bare uid): ``bgview
    list`` says to set ``BGVIEW_HOME`` in one line instead of a traceback."""
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_STATE_HOME")}
    env = {k: v for k, v in env.items() if not k.startswith("BGVIEW_")}
    uid = 54321
    with pytest.raises(KeyError):
        pwd.getpwuid(uid)
    as_nobody = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    result = subprocess.run(
        [*as_nobody, sys.executable, "-m", "bgview", "list"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert_refused(result, "BGVIEW_HOME")
