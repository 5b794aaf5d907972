"""``bgview shell``: a prompt where every command runs through bgview.

A plain command runs in the foreground (:mod:`bgview.host.foreground`); ``cmd &`` and
``CMD&: cmd`` start it in the background; Ctrl+B sends a running command there. Completion
notices print above the prompt without touching what is half typed; the bottom toolbar
carries the jobs chip (``↓`` on an empty prompt selects it, ``enter`` opens the viewer).

The shell is one asyncio loop: the prompt, the store watcher (chip and notices), the
foreground streamer and the viewer (a Textual app, run in the same loop when ``/bashes``
asks for it) take turns on the terminal, and :attr:`Shell.state` says whose turn it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app
from prompt_toolkit.filters import Condition, has_completions
from prompt_toolkit.formatted_text import FormattedText, StyleAndTextTuples
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.shortcuts import print_formatted_text
from prompt_toolkit.styles import Style

from bgview.host.api import (
    RunningJobs,
    chip_text,
    default_consumer,
    drain_notices,
    open_viewer,
    print_above_prompt,
)
from bgview.host.commands import Line, parse
from bgview.host.completion import ShellCompleter
from bgview.host.foreground import Foreground
from bgview.host.listing import help_text, job_table
from bgview.host.terminal import window_size
from bgview.host.watch import StoreWatcher
from bgview.runtime import BgviewError, Job, JobStatus, Session, notice_text
from bgview.runtime.fsio import open_private
from bgview.runtime.notices import format_seconds, status_words
from bgview.runtime.paths import store_root
from bgview.runtime.text import visible

STYLE = Style.from_dict(
    {
        "project": "ansicyan bold",
        "arrow": "ansigreen bold",
        "notice": "ansiyellow",
        "started": "ansicyan",
        "ok": "ansibrightblack",
        "error": "ansired",
        "bottom-toolbar": "noreverse bg:default",
        "chip": "bg:ansiblue ansiwhite",
        "chip.idle": "ansibrightblack",
        "chip.focused": "bg:ansiyellow ansiblack bold",
        "hint": "ansibrightblack",
    }
)

State = Literal["busy", "prompt", "viewer"]


class Shell:
    """One ``bgview shell`` session. :meth:`run` it once."""

    def __init__(self, project: str | os.PathLike[str] | None = None, *, home: Path | None = None):
        self.home = home
        self.session = Session(project, home=home)
        self.consumer = default_consumer()
        self.running = RunningJobs(self.session)
        self.chip_count = 0
        self.chip_focused = False
        self.state: State = "busy"
        """Whose turn it is on the terminal: notices print only at the prompt."""
        self.seen: set[str] = set()
        """Jobs whose end the user saw already (foreground runs, kills): no notice for them."""
        self.prompt: PromptSession[str] = PromptSession(
            message=self._message,
            bottom_toolbar=self._toolbar,
            completer=ShellCompleter(self.session.jobs),
            complete_while_typing=True,
            history=_history(home),
            key_bindings=self._key_bindings(),
            style=STYLE,
        )
        self.prompt.default_buffer.on_text_changed += self._unfocus_chip

    # ---- the loop ---------------------------------------------------------------------------

    async def run(self) -> int:
        """Prompt, run, repeat; on the way out, end this shell's jobs (not the kept ones)."""
        # Commands run from here that start jobs themselves (`bgview run`) belong to us.
        os.environ["BGVIEW_OWNER_PID"] = str(os.getpid())
        os.environ["BGVIEW_PROJECT"] = str(self.session.path)
        if self.home is not None:
            os.environ["BGVIEW_HOME"] = str(self.home)
        drain_notices(self.session, self.consumer)  # start our notices from now
        watcher = StoreWatcher(self.session, self._on_store_change)
        watcher.start()
        self.chip_count = self.running.count()
        _preload_viewer()
        where = visible(str(self.session.path))
        self._say(f"bgview shell · {where} · Ctrl+B backgrounds · /help", "class:ok")
        try:
            while True:
                self._print_notices()
                self.state = "prompt"
                try:
                    text = await self.prompt.prompt_async()
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    text = "exit"
                finally:
                    self.state = "busy"
                    self.chip_focused = False
                line = parse(text)
                if line.kind == "exit":
                    if await self._confirm_exit():
                        break
                    continue
                await self._interruptible(self._dispatch(line))
        finally:
            watcher.stop()
            self._close()
        return 0

    async def _interruptible(self, work: Awaitable[None]) -> None:
        """Run one command; Ctrl+C (SIGINT: the terminal is cooked here) cancels it, not the
        shell, and a :class:`BgviewError` is one red line."""
        task = asyncio.ensure_future(work)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
            self._say("^C", "class:error")
        except BgviewError as exc:
            message = str(exc).replace("`bgview list`", ":bg-list")  # say it in our words
            self._say(f"bgview: {visible(message)}", "class:error")
        finally:
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
            "cd": self._cd,
            "export": self._export,
            "unknown": self._unknown,
        }
        handler = handlers.get(line.kind)
        if handler is not None:
            await handler(line)

    # ---- commands ---------------------------------------------------------------------------

    async def _foreground(self, line: Line) -> None:
        size = window_size(sys.stdout.fileno())
        job = self.session.start(line.command, cwd=os.getcwd(), size=size)
        if job.status is JobStatus.FAILED:
            self.seen.add(job.id)
            self._say(notice_text(job), "class:error")
            return
        sys.stdout.flush()
        outcome = await Foreground(
            self.session, job, stdin_fd=sys.stdin.fileno(), stdout_fd=sys.stdout.fileno()
        ).run()
        if outcome.ended_mid_line:
            self._say("")
        job = outcome.job
        # The user saw the output streamed: `:bg-output` gives only what comes after it.
        self.session.skip_to(job.id, outcome.shown, consumer=self.consumer)
        if outcome.backgrounded:
            self._say(f"[bg:{job.id} moved to background]", "class:started")
            self.chip_count = self.running.count()
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
        self.chip_count = self.running.count()

    async def _bashes(self, line: Line) -> None:
        self._print_notices()
        self.state = "viewer"
        try:
            await open_viewer(self.session.path, home=self.home)
        finally:
            self.state = "busy"
            self.chip_count = self.running.count()
        # Jobs that ended while the viewer was open were toasted there: not told twice.
        drain_notices(self.session, self.consumer)

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
        self.chip_count = self.running.count()

    async def _help(self, line: Line) -> None:
        self._say(help_text())

    async def _cd(self, line: Line) -> None:
        target = os.path.expanduser(line.command or "~")
        if line.command == "-":
            target = os.environ.get("OLDPWD", os.getcwd())
        try:
            previous = os.getcwd()
            os.chdir(target)
        except OSError as exc:
            raise BgviewError(f"cd: {target}: {exc.strerror}") from None
        os.environ["OLDPWD"], os.environ["PWD"] = previous, os.getcwd()

    async def _export(self, line: Line) -> None:
        name, _, value = line.command.partition("=")
        if not name.isidentifier():
            raise BgviewError(f"export: not a variable name: {name!r}")
        os.environ[name] = value

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
        count = self.running.count()
        if count != self.chip_count:
            self.chip_count = count
            app = self.prompt.app
            if app.is_running:
                app.invalidate()
        if self.state == "prompt":
            self._print_notices()

    def _print_notices(self) -> None:
        """Print the notices not given yet, above the prompt if one is running."""
        for notice in drain_notices(self.session, self.consumer):
            if notice.job.id in self.seen:
                continue
            job = notice.job
            ok = job.status is JobStatus.EXITED and job.exit_code == 0
            style = "class:notice" if ok else "class:error"
            print_above_prompt(notice.text, style, sheet=STYLE)

    def _toolbar(self) -> StyleAndTextTuples:
        chip = chip_text(self.chip_count)
        if self.chip_focused:
            return [
                ("class:chip.focused", f" {chip} "),
                ("class:hint", "  enter: open the jobs viewer · ↑: back"),
            ]
        style = "class:chip" if self.chip_count else "class:chip.idle"
        return [(style, f" {chip} "), ("class:hint", "  ↓ then enter: viewer · /help")]

    def _message(self) -> StyleAndTextTuples:
        here = Path.cwd()
        root = self.session.path
        try:
            shown = str(Path(root.name) / here.relative_to(root)) if here != root else root.name
        except ValueError:
            shown = str(here).replace(str(Path.home()), "~", 1)
        return [("class:project", visible(shown) or "/"), ("class:arrow", " ❯ ")]

    def _key_bindings(self) -> KeyBindings:
        bindings = KeyBindings()
        empty = Condition(lambda: not get_app().current_buffer.text)
        focused = Condition(lambda: self.chip_focused)

        @bindings.add("down", filter=empty & ~focused & ~has_completions)
        def _focus_chip(event: KeyPressEvent) -> None:
            """↓ on an empty prompt: select the jobs chip."""
            self.chip_focused = True

        @bindings.add("enter", filter=focused)
        def _open_viewer(event: KeyPressEvent) -> None:
            """enter on the chip: open the viewer (as if `/bashes` were typed)."""
            event.current_buffer.text = "/bashes"
            event.current_buffer.validate_and_handle()

        @bindings.add("up", filter=focused)
        @bindings.add("escape", filter=focused, eager=True)
        def _unfocus(event: KeyPressEvent) -> None:
            """↑ or esc: back to the prompt line."""
            self.chip_focused = False

        return bindings

    def _unfocus_chip(self, _: object) -> None:
        self.chip_focused = False

    def _say(self, text: str, style: str = "") -> None:
        print_formatted_text(FormattedText([(style, text)]), style=STYLE)


def _history(home: Path | None) -> History:
    """The shell's history, kept private (commands can hold secrets) in the store."""
    root = home or store_root()
    path = root / "shell_history"
    try:
        os.makedirs(root, 0o700, exist_ok=True)
        os.close(open_private(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND))
    except OSError:
        return InMemoryHistory()
    return FileHistory(str(path))


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
