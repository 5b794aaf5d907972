"""What ``:bg-list`` and ``/help`` print: plain text, sized to the terminal."""

from __future__ import annotations

from bgview.host.commands import REPL_COMMANDS
from bgview.runtime import Job
from bgview.runtime.notices import format_duration, format_size, status_words
from bgview.runtime.text import visible


def job_table(jobs: list[Job], *, owner_pid: int, width: int) -> list[str]:
    """One line per job, newest last, cut to ``width``; a mark says whose job it is:
    ``*`` this shell's (ends with it), ``k`` kept (outlives it), blank for others'.

    Names and commands are shown :func:`visible` (a newline as ``^J``): whatever they hold,
    each job is one line, and no escape sequence in them reaches the terminal."""
    if not jobs:
        return ["no jobs yet: `<command> &` starts one in the background"]
    rows = []
    for job in jobs:
        mark = "k" if job.keep else ("*" if job.owner_pid == owner_pid else " ")
        rows.append(
            (
                job.id,
                mark,
                status_words(job),
                format_duration(job.wall_seconds()),
                format_size(job.output_bytes),
                visible((f"({job.name}) " if job.name else "") + job.command),
            )
        )
    header = ("ID", " ", "STATUS", "TIME", "OUTPUT", "COMMAND")
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(5)]
    lines = []
    for row in [header, *rows]:
        cells = "  ".join(c.ljust(w) for c, w in zip(row[:5], widths, strict=True))
        line = f"{cells}  {row[5]}"
        lines.append(line if len(line) <= width else line[: max(width - 1, 20)] + "…")
    lines.append("* ends with this shell   k kept (outlives it)")
    return lines


HELP = """\
Commands run in the foreground, through bgview: each gets an id and a log.
  <command>               run it here; Ctrl+C interrupts it, Ctrl+B sends it to the background
  <command> &             start it in the background
  CMD&: <command>         the same; CMD&: --keep <command> outlives this shell
  cd DIR, export A=B      change this shell's directory / environment
The shell's own:
{commands}
Keys: ↓ on an empty prompt selects the jobs chip, enter opens the viewer; Ctrl+D leaves."""


def help_text() -> str:
    """The ``/help`` text."""
    commands = "\n".join(f"  {name.ljust(22)}  {what}" for name, what in REPL_COMMANDS.items())
    return HELP.format(commands=commands)
