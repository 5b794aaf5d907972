"""``bgview shell``: a prompt where every command runs through bgview.

A plain command runs in the foreground (:mod:`bgview.host.foreground`); ``cmd &`` and
``CMD&: cmd`` start it in the background; Ctrl+B sends a running command there; keys typed
ahead are the next prompt's. ``cd``, ``export``, ``unset`` and ``source`` change the shell
itself (:mod:`bgview.host.state`). Completion notices print above the prompt without touching
what is half typed (:class:`~bgview.host.notices.PromptNotices`); the bottom toolbar carries the
jobs chip (:mod:`bgview.host.prompt`), counted from the project's live feed
(:class:`~bgview.host.watch.StoreWatcher`).

The shell is one asyncio loop: the prompt, the feed's callbacks, the foreground streamer and
the viewer (a Textual app, run in the same loop when ``/bashes`` asks for it) take turns on the
terminal. When the terminal goes away (:mod:`bgview.host.hangup`) or SIGTERM comes, the shell
leaves at once, whatever it was doing; its jobs end with it, through their supervisors' watch
on this process.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app_or_none
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.shortcuts import print_formatted_text

from bgview.host.api import default_consumer, exit_viewers, open_viewer, viewer_is_open
from bgview.host.commands import Line, parse
from bgview.host.foreground import Foreground
from bgview.host.hangup import EXIT_HANGUP, TerminalGuard
from bgview.host.listing import help_text, job_table
from bgview.host.notices import PromptNotices
from bgview.host.prompt import STYLE, ShellPrompt
from bgview.host.state import evaluate
from bgview.host.terminal import job_size, window_size
from bgview.host.watch import StoreWatcher
from bgview.runtime import BgviewError, Job, JobStatus, Notice, Session, notice_text
from bgview.runtime.facts import FactKind
from bgview.runtime.notices import format_seconds, status_words
from bgview.runtime.text import visible

EXIT_TERM = 128 + signal.SIGTERM
SOURCE_WORDS = ("source", ".")
"""State commands whose output is shown as it comes (a sourced script may talk)."""


class Shell:
    """One ``bgview shell`` session. :meth:`run` it once."""

    def __init__(self, project: str | os.PathLike[str] | None = None, *, home: Path | None = None):
        self.home = home
        self.session = Session(project, home=home)
        self.consumer = default_consumer()
        self.seen: set[str] = set()
        """Jobs whose end the user saw already (foreground runs, kills): no notice for them."""
        self.prompt = ShellPrompt(self.session, home)
        self.watch = StoreWatcher(self.session, self._on_store_change)
        self.notices = PromptNotices(
            self.session,
            self.consumer,
            prompt=self.prompt.session,
            style=_notice_style,
            sheet=STYLE,
            skip=lambda notice: notice.job.id in self.seen,
        )
        self.leaving: int | None = None
        """Leaving unasked, with this status: the terminal went away (129), SIGTERM (143)."""
        self._work: asyncio.Future[None] | None = None

    # ---- the loop ---------------------------------------------------------------------------

    async def run(self) -> int:
        """Prompt, run, repeat; on the way out, end this shell's jobs (not the kept ones)."""
        # Commands run from here that start jobs themselves (`bgview run`) belong to us.
        os.environ["BGVIEW_OWNER_PID"] = str(os.getpid())
        os.environ["BGVIEW_PROJECT"] = str(self.session.path)
        if self.home is not None:
            os.environ["BGVIEW_HOME"] = str(self.home)
        loop = asyncio.get_running_loop()

        def hung_up() -> None:  # from the guard's thread
            loop.call_soon_threadsafe(self._leave, EXIT_HANGUP)

        guard = TerminalGuard(hung_up)
        loop.add_signal_handler(signal.SIGTERM, self._leave, EXIT_TERM)
        self.watch.start()
        _preload_viewer()
        where = visible(str(self.session.path))
        self._say(f"bgview shell · {where} · Ctrl+B backgrounds · /help", "class:ok")
        try:
            with guard:
                await self._repl(guard)
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            self.watch.stop()
            self.notices.close()
            self._close()
        return self.leaving or 0

    async def _repl(self, guard: TerminalGuard) -> None:
        while self.leaving is None:
            self.notices.flush()
            try:
                text = await self.prompt.read()
            except KeyboardInterrupt:
                continue
            except EOFError:
                if self.leaving is None and guard.check():
                    self._leave(EXIT_HANGUP)  # before the guard's own call gets here
                if self.leaving is not None:
                    return  # the terminal went away: no question to ask
                text = "exit"
            line = parse(text)
            if line.kind == "exit":
                if await self._confirm_exit():
                    return
                continue
            with self.notices.busy():
                await self._interruptible(self._dispatch(line))

    def _leave(self, status: int) -> None:
        """Leave now, whatever runs (in the loop): the terminal went away, or SIGTERM."""
        if self.leaving is not None:
            return
        self.leaving = status
        app = get_app_or_none()  # the prompt, or the question before exiting
        if app is not None and app.is_running and not app.is_done:
            app.exit(exception=EOFError())
        if viewer_is_open():
            exit_viewers(status)  # a Textual app is left, not cancelled: its threads end
        elif self._work is not None:
            self._work.cancel()

    async def _interruptible(self, work: Awaitable[None]) -> None:
        """Run one command; Ctrl+C (SIGINT: the terminal is cooked here) cancels it, not the
        shell, and a :class:`BgviewError` is one red line."""
        task = self._work = asyncio.ensure_future(work)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
            if self.leaving is None:
                self._say("^C", "class:error")
        except BgviewError as exc:
            message = str(exc).replace("`bgview list`", ":bg-list")  # say it in our words
            self._say(f"bgview: {visible(message)}", "class:error")
        finally:
            self._work = None
            loop.remove_signal_handler(signal.SIGINT)

    async def _dispatch(self, line: Line) -> None:
        handlers: dict[str, Callable[[Line], Awaitable[None]]] = {
            "foreground": self._foreground,
            "background": self._background,
            "bashes": self._bashes,
            "list": self._list,
            "output": self._output,
            "kill": self._kill,
            "help": self._help,
            "state": self._state,
            "unknown": self._unknown,
        }
        handler = handlers.get(line.kind)
        if handler is not None:
            await handler(line)

    # ---- commands ---------------------------------------------------------------------------

    async def _foreground(self, line: Line) -> None:
        size = job_size(sys.stdout.fileno())
        job = self.session.start(line.command, cwd=os.getcwd(), size=size)
        if job.status is JobStatus.FAILED:
            self.seen.add(job.id)
            self._say(notice_text(job), "class:error")
            return
        sys.stdout.flush()
        self.watch.note(job)
        outcome = await Foreground(
            self.session, job, stdin_fd=sys.stdin.fileno(), stdout_fd=sys.stdout.fileno()
        ).run()
        if outcome.hung_up:
            self._leave(EXIT_HANGUP)
            return
        if outcome.typeahead:
            self.prompt.type_ahead(outcome.typeahead)
        if outcome.ended_mid_line:
            self._say("")
        job = outcome.job
        # The user saw the output streamed: `:bg-output` gives only what comes after it.
        self.session.skip_to(job.id, outcome.shown, consumer=self.consumer)
        if outcome.backgrounded:
            self._say(f"[bg:{job.id} moved to background]", "class:started")
            return
        self.seen.add(job.id)
        ok = job.status is JobStatus.EXITED and job.exit_code == 0
        self._say(
            f"[{job.id} {status_words(job)}, {format_seconds(job.wall_seconds())}]",
            "class:ok" if ok else "class:error",
        )

    async def _background(self, line: Line) -> None:
        job = self.session.start(line.command, cwd=os.getcwd(), keep=line.keep)
        if job.status is JobStatus.FAILED:
            self.seen.add(job.id)
            self._say(notice_text(job), "class:error")
            return
        kept = "  (kept: it outlives this shell)" if line.keep else ""
        self._say(f"[bg:{job.id} started] {visible(line.command)}{kept}", "class:started")
        self.watch.note(job)

    async def _bashes(self, line: Line) -> None:
        self.notices.flush()
        await open_viewer(self.session.path, home=self.home)
        # Jobs that ended while the viewer was open were toasted there: not told twice.
        self.notices.discard()

    async def _list(self, line: Line) -> None:
        width = window_size(sys.stdout.fileno())[0]
        jobs = self.session.jobs()
        for text in job_table(jobs, owner_pid=os.getpid(), width=width):
            self._say(text)

    async def _output(self, line: Line) -> None:
        job_id = self._one_id(line, ":bg-output")
        result = self.session.read(job_id, consumer=self.consumer)
        text = result.render()
        if text:
            sys.stdout.write(text)
            sys.stdout.flush()
        state = "running" if result.job.running else status_words(result.job)
        if not result.lines:
            self._say(f"[{job_id}: no new output; {state}]", "class:ok")

    async def _kill(self, line: Line) -> None:
        job_id = self._one_id(line, "/kill")
        before = self.session.job(job_id)
        if before.status.ended:
            self._say(f"{job_id} had already ended: {notice_text(before)}", "class:ok")
            return
        loop = asyncio.get_running_loop()
        job: Job = await loop.run_in_executor(None, lambda: self.session.kill(job_id))
        self.seen.add(job_id)
        self._say(notice_text(job), "class:notice")
        self.watch.note(job)

    async def _help(self, line: Line) -> None:
        self._say(help_text())

    async def _state(self, line: Line) -> None:
        """``cd``, ``export``, ``source`` and the like: the shell itself changes."""
        stream = line.command.split(maxsplit=1)[0] in SOURCE_WORDS
        change = await evaluate(line.command, stream=stream)
        if change.errors:
            self._say(change.errors.rstrip("\n"), "class:error")
        note = change.note()
        if note is not None:
            self._say(note, "class:ok")

    async def _unknown(self, line: Line) -> None:
        raise BgviewError(f"not understood: {line.command!r} (see /help)")

    def _one_id(self, line: Line, command: str) -> str:
        words = line.command.split()
        if len(words) != 1:
            raise BgviewError(f"{command} takes one job id, like {command} bash_1")
        return words[0]

    # ---- exit -------------------------------------------------------------------------------

    async def _confirm_exit(self) -> bool:
        """Ask before ending running jobs; a second Ctrl+D means yes."""
        owned = self.session.owned()
        if not owned:
            return True
        n = len(owned)
        ids = ", ".join(j.id for j in owned[:6]) + (", …" if n > 6 else "")
        they = "they end" if n > 1 else "it ends"
        question = (
            f"{n} job{'s' if n > 1 else ''} of this shell still running ({ids}); "
            f"{they} when the shell exits. Exit anyway? [y/N] "
        )
        try:
            answer = await PromptSession[str]().prompt_async(question)
        except EOFError:
            return True
        except KeyboardInterrupt:
            return False
        return answer.strip().lower() in ("y", "yes")

    def _close(self) -> None:
        """End this shell's jobs, all at once: each may take its grace period to go."""
        if self.leaving is not None:
            # Leaving unasked (no terminal left to say anything on): no waiting for the jobs
            # here, their supervisors end them as this process exits (they watch it).
            atexit.unregister(self.session.close)
            return
        owned = self.session.owned()
        if owned:
            self._say(f"[ending {len(owned)} job{'s' if len(owned) > 1 else ''}…]", "class:ok")
            with ThreadPoolExecutor(max_workers=min(len(owned), 16)) as pool:
                kills = [
                    (job.id, pool.submit(self.session.kill, job.id, grace=1.0, by="owner-exit"))
                    for job in owned
                ]
                for job_id, kill in kills:
                    try:
                        kill.result()
                    except BgviewError as exc:  # its supervisor's pidfd watch still ends it
                        self._say(f"bgview: {job_id}: {visible(str(exc))}", "class:error")
        self.session.close()

    # ---- notices and the chip -----------------------------------------------------------------

    def _on_store_change(self) -> None:
        self.prompt.set_chip(self.watch.running(), self.watch.waiting())
        self.notices.show()  # printed if the prompt waits, else kept for when it does

    def _say(self, text: str, style: str = "") -> None:
        print_formatted_text(FormattedText([(style, text)]), style=STYLE)


EVENT_STYLES = {
    FactKind.READY: "class:started",
    FactKind.INPUT: "class:notice",
    FactKind.MATCH: "class:error",
    FactKind.MATCHES: "class:error",
    FactKind.WATCH_STOPPED: "class:ok",
}
"""How a fact event is drawn above the prompt: a job that is ready as one that started, one
that waits for input as a notice, a watched pattern's match as an error (it is one, mostly)."""


def _notice_style(notice: Notice) -> str:
    """A job's end: yellow if it exited 0, red otherwise; an event by its kind (the
    job runs on: its status says nothing about the event)."""
    if notice.event is not None:
        return EVENT_STYLES.get(notice.event.kind, "class:notice")
    job = notice.job
    ok = job.status is JobStatus.EXITED and job.exit_code == 0
    return "class:notice" if ok else "class:error"


PRELOAD = (
    "bgview.ui",
    # What a Textual app imports only when it first runs: its terminal driver and input
    # parser, and the viewer's file watcher. Cold, they cost the first /bashes ~100 ms.
    "textual.drivers.linux_driver",
    "textual.pilot",
    "textual.scrollbar",
    "watchfiles",
)


def _preload_viewer() -> None:
    """Import the viewer in the background so that ``/bashes`` opens at once."""

    def load() -> None:
        for name in PRELOAD:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)

    threading.Thread(target=load, name="bgview-preload", daemon=True).start()


def run_shell(project: str | None = None) -> int:
    """Run ``bgview shell`` until the user leaves; the exit status."""
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise BgviewError("bgview shell needs a terminal (stdin and stdout must be a tty)")
    return asyncio.run(Shell(project).run())
