"""Lines that change the shell itself: ``cd``, ``export``, ``unset``, ``source FILE`` (``.``).

A job's bash cannot change its parent, so such a line runs in a bash of its own that reports
back: it evaluates the line, then writes its status, its working directory and its
environment to a file the shell reads; the shell applies the difference to its own process,
which every later command inherits. Thus ``source .venv/bin/activate`` works as a user
expects, and so do ``cd ~/src``, ``export PATH="$PATH:$PWD/bin"`` and ``unset DEBUG``.

What a bash keeps only for itself cannot outlive it — an alias, a function, a shell option, a
variable not exported — and is said in one line, rather than letting it pass as done.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field

from bgview.host.commands import assignments_only
from bgview.runtime import BgviewError

SCRIPT = r"""
__bgview_state() { alias -p; printf '\1'; declare -F; printf '\1'; set +o; shopt -p; }
__bgview_report() {
  { printf '%s\0' "$1" "$PWD" "$__bgview_before" "$(__bgview_state)"; env -0; } >&"$__bgview_fd"
}
__bgview_before=$(__bgview_state)
__bgview_fd=$2
trap '__bgview_report $?' EXIT
eval "$1"
"""
"""Run as ``bash -c SCRIPT bgview LINE FD``: evaluate the line, report on the way out (also
when a sourced script calls ``exit``)."""

KEPT_BY_BASH = frozenset({"_", "SHLVL", "PWD", "OLDPWD"})
"""Variables bash sets for itself: only a change of directory carries PWD and OLDPWD over."""
_PREFIX = re.compile(r"^bgview: (?:eval: )?line \d+: ", re.MULTILINE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class StateChange:
    """What evaluating a line changed, and what it could not."""

    status: int
    changed: list[str] = field(default_factory=list)
    """Variables set or unset in the shell."""
    moved: bool = False
    """The working directory changed."""
    not_kept: list[str] = field(default_factory=list)
    """What bash kept for itself: ``alias ll``, ``function greet``, ``set -o vi``, ``FOO``."""
    errors: str = ""
    """What bash said on stderr (when it was not shown as it came)."""

    def note(self) -> str | None:
        """The one line that says what did not persist, if anything did not."""
        if not self.not_kept:
            return None
        what = _join(self.not_kept)
        verb = "does" if len(self.not_kept) == 1 else "do"
        return f"[{what} {verb} not persist: each command runs in a bash of its own]"


async def evaluate(line: str, *, stream: bool) -> StateChange:
    """Evaluate ``line`` in bash and apply what it changed to this process.

    ``stream``: the line's output goes straight to the terminal (a sourced script may talk);
    else stderr is kept and returned (a failed ``cd`` reads better without bash's ``line 1``).
    """
    bash = shutil.which("bash")
    if bash is None:
        raise BgviewError("bash is not on PATH: cd, export and source need it")
    before = os.getcwd()
    with tempfile.TemporaryFile() as report:
        fd = report.fileno()
        proc = await asyncio.create_subprocess_exec(
            bash,
            "-c",
            SCRIPT,
            "bgview",
            line,
            str(fd),
            pass_fds=(fd,),
            stderr=None if stream else asyncio.subprocess.PIPE,
        )
        try:
            _, err = await proc.communicate()
        except asyncio.CancelledError:  # Ctrl+C: the tty's SIGINT reached bash as well
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            raise
        report.seek(0)
        data = report.read()
    errors = _PREFIX.sub("", (err or b"").decode(errors="replace"))
    if not data:  # bash did not get as far as its exit trap (killed, or no such file)
        return StateChange(proc.returncode or 1, errors=errors)
    change = _apply(data, before)
    change.errors = errors
    names = assignments_only(line)
    if names is not None:  # `FOO=1`: a shell variable, unless FOO was exported already
        change.not_kept += [
            f"{name} (not exported)" for name in names if name not in change.changed
        ]
    return change


def _apply(data: bytes, before: str) -> StateChange:
    """Take over the cwd and the environment bash reported; say what it could not pass on."""
    status, cwd, shell_before, shell_after, *environ = data.split(b"\0")
    change = StateChange(int(status or b"1"))
    change.not_kept = _shell_only(shell_before.decode(), shell_after.decode())
    reported: dict[str, str] = {}
    for entry in environ:
        name, sep, value = os.fsdecode(entry).partition("=")
        if sep:
            reported[name] = value
    for name in sorted(set(reported) | set(os.environ)):
        # Names that are no identifier are not bash's to pass on (it drops them): left alone.
        if name in KEPT_BY_BASH or not _NAME.fullmatch(name):
            continue
        if name not in reported:
            del os.environ[name]
            change.changed.append(name)
        elif os.environ.get(name) != reported[name]:
            os.environ[name] = reported[name]
            change.changed.append(name)
    where = os.fsdecode(cwd)
    if where and where != before:
        os.chdir(where)
        os.environ["OLDPWD"], os.environ["PWD"] = before, where
        change.moved = True
    return change


def _shell_only(before: str, after: str) -> list[str]:
    """The aliases, functions and options the line left in its bash."""
    old = before.split("\1")
    new = after.split("\1")
    if len(old) != 3 or len(new) != 3:
        return []
    found: list[str] = []
    old_aliases, new_aliases = _aliases(old[0]), _aliases(new[0])
    found += [
        f"alias {name}" for name, text in new_aliases.items() if old_aliases.get(name) != text
    ]
    old_functions = set(old[1].splitlines())
    found += [
        "function " + entry.rsplit(" ", 1)[-1]
        for entry in new[1].splitlines()
        if entry not in old_functions
    ]
    old_options = set(old[2].splitlines())
    for entry in new[2].splitlines():
        if entry in old_options:
            continue
        command, flag, name = [*entry.split(), "", "", ""][:3]
        if command == "set":
            found.append(f"set {'-' if flag == '-o' else '+'}o {name}")
        elif command == "shopt":
            found.append(f"shopt {flag} {name}")
    return found


def _aliases(text: str) -> dict[str, str]:
    aliases = {}
    for entry in text.splitlines():
        if entry.startswith("alias "):
            name, _, value = entry[len("alias ") :].partition("=")
            aliases[name] = value
    return aliases


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]
