"""What ``:bg-list`` and ``/help`` print: plain text, sized to the terminal."""

from __future__ import annotations

from bgview.host.commands import REPL_COMMANDS
from bgview.runtime import Job, present


def job_table(jobs: list[Job], *, owner_pid: int, width: int) -> list[str]:
    """The jobs in the order of every listing (:mod:`bgview.runtime.present`), cut to
    ``width``; a mark says whose job it is: ``*`` this shell's (ends with it), ``k`` kept
    (outlives it), blank for others'. Every string is shown visible: each job is one line."""
    if not jobs:
        return ["no jobs yet: `<command> &` starts one in the background"]
    marks = {
        job.id: "k" if job.keep else ("*" if job.owner_pid == owner_pid else " ") for job in jobs
    }
    cells = [(row[0], marks[row[0]], *row[1:]) for row in present.rows(jobs)]
    headers = (present.HEADERS[0], " ", *present.HEADERS[1:])
    return [
        *present.table(cells, headers, width=width),
        "* ends with this shell   k kept (outlives it)",
    ]


HELP = """\
Commands run in the foreground, through bgview: each gets an id and a log.
  <command>               run it here; Ctrl+C interrupts it, Ctrl+B sends it to the background
  <command> &             start it in the background
  CMD&: <command>         the same; CMD&: --keep <command> outlives this shell
  cd DIR, export A=B, unset A, source FILE
                          change this shell's directory and environment
The shell's own:
{commands}
Keys: ↓ on an empty prompt selects the jobs chip, enter opens the viewer; Ctrl+D leaves.
Keys typed while a command runs, and not read by it, are the next prompt's (as in bash)."""


def help_text() -> str:
    """The ``/help`` text."""
    commands = "\n".join(f"  {name.ljust(22)}  {what}" for name, what in REPL_COMMANDS.items())
    return HELP.format(commands=commands)
