"""Completion at the prompt: the shell's own commands, job ids after ``/kill`` and
``:bg-output``, and paths in plain commands."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from bgview.host.commands import BACKGROUND_PREFIX, REPL_COMMANDS
from bgview.runtime import Job
from bgview.runtime.text import visible

COMMAND_WORDS = [name.split()[0] for name in REPL_COMMANDS] + [BACKGROUND_PREFIX]


class ShellCompleter(Completer):
    """Completes the first word from the shell's commands, a job id after the commands that
    take one (running jobs first for ``/kill``), and file names anywhere else."""

    def __init__(self, jobs: Callable[[], list[Job]]) -> None:
        self.jobs = jobs
        self.paths = PathCompleter(expanduser=True)

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        before = document.text_before_cursor
        if " " not in before.lstrip():
            word = before.lstrip()
            if word and word[0] in "/:cCe" and "/" not in word[1:]:
                for name, what in REPL_COMMANDS.items():
                    head = name.split()[0]
                    if head.startswith(word) and head != word:
                        yield Completion(head, -len(word), display_meta=what)
                if BACKGROUND_PREFIX.startswith(word) and word != BACKGROUND_PREFIX:
                    yield Completion(
                        BACKGROUND_PREFIX + " ", -len(word), display_meta="start in background"
                    )
            if complete_event.completion_requested and (
                "/" in word[1:] or word.startswith(("./", "~", "../"))
            ):
                yield from self._paths(word)
            return
        head, _, rest = before.lstrip().partition(" ")
        if head in ("/kill", ":bg-output") and " " not in rest.strip():
            word = rest.strip()
            jobs = self.jobs()
            if head == "/kill":
                jobs = [j for j in jobs if j.running]
            for job in reversed(jobs):  # newest first: the one you just started
                if job.id.startswith(word):
                    state = "running" if job.running else job.status.value
                    yield Completion(
                        job.id, -len(word), display_meta=f"{state}: {visible(job.command)[:40]}"
                    )
            return
        if complete_event.completion_requested:  # file names on Tab only: they are many
            yield from self._paths(before.split(" ")[-1])

    def _paths(self, word: str) -> Iterable[Completion]:
        sub = Document(word, len(word))
        yield from self.paths.get_completions(sub, CompleteEvent())
