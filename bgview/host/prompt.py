"""The shell's prompt: its look, the jobs chip in the bottom toolbar, its keys, and the keys
typed ahead for it.

Keys of its own:

- ``↓`` on an empty prompt selects the chip, ``enter`` on it opens the viewer, ``↑``/``esc``
  go back to the line;
- ``enter`` on an incomplete command (an open quote, an ``if`` without ``fi``, a trailing
  ``|``) adds a line, with the continuation prompt ``>``, as bash does;
- ``Ctrl+Z`` does nothing: a prompt has nothing to suspend.
"""

from __future__ import annotations

import os
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app
from prompt_toolkit.filters import Condition, completion_is_selected, has_completions
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input.typeahead import get_typeahead, store_typeahead
from prompt_toolkit.input.vt100_parser import Vt100Parser
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.key_binding.key_processor import KeyPress
from prompt_toolkit.styles import Style

from bgview.host.completion import ShellCompleter
from bgview.host.syntax import incomplete
from bgview.runtime import Runtime
from bgview.runtime.events import chip_text
from bgview.runtime.fsio import open_private
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
        "chip.waiting": "bg:ansiyellow ansiblack",
        "hint": "ansibrightblack",
        "prompt-continuation": "ansigreen",
    }
)
CONTINUATION = "> "
"""bash's PS2."""


class ShellPrompt:
    """The prompt of one ``bgview shell``; :meth:`read` a line from it."""

    def __init__(self, runtime: Runtime, home: Path | None) -> None:
        self.root = runtime.path
        self.chip_count = 0
        """The chip's N: running jobs."""
        self.chip_waiting = 0
        """Of them, waiting for input (``· 1 waiting``)."""
        self.chip_focused = False
        self.session: PromptSession[str] = PromptSession(
            message=self._message,
            bottom_toolbar=self._toolbar,
            prompt_continuation=self._continuation,
            completer=ShellCompleter(runtime.jobs),
            complete_while_typing=True,
            history=_history(home),
            key_bindings=self._key_bindings(),
            style=STYLE,
        )
        self.session.default_buffer.on_text_changed += self._unfocus_chip

    async def read(self) -> str:
        """The next line (raises ``EOFError`` on Ctrl+D or a closed terminal,
        ``KeyboardInterrupt`` on Ctrl+C)."""
        try:
            return await self.session.prompt_async()
        finally:
            self.chip_focused = False

    def set_chip(self, count: int, waiting: int = 0) -> None:
        """The chip's counts: jobs running, and of them waiting for input."""
        if (count, waiting) != (self.chip_count, self.chip_waiting):
            self.chip_count, self.chip_waiting = count, waiting
            if self.session.app.is_running:
                self.session.app.invalidate()

    def type_ahead(self, data: bytes) -> None:
        """Keys typed before the prompt is back: it reads them first, as if typed now (an
        Enter among them runs the line before)."""
        keys: list[KeyPress] = []
        parser = Vt100Parser(keys.append)
        # The job's pty turned Enter into \n (ICRNL): it is Enter here again.
        parser.feed(data.decode(errors="replace").replace("\r\n", "\r").replace("\n", "\r"))
        parser.flush()
        store_typeahead(self.session.input, get_typeahead(self.session.input) + keys)

    # ---- drawing ------------------------------------------------------------------------------

    def _toolbar(self) -> StyleAndTextTuples:
        chip = chip_text(self.chip_count, self.chip_waiting)
        if self.chip_focused:
            return [
                ("class:chip.focused", f" {chip} "),
                ("class:hint", "  enter: open the jobs viewer · ↑: back"),
            ]
        style = "class:chip" if self.chip_count else "class:chip.idle"
        if self.chip_waiting:
            style = "class:chip.waiting"
        return [(style, f" {chip} "), ("class:hint", "  ↓ then enter: viewer · /help")]

    def _message(self) -> StyleAndTextTuples:
        here = Path.cwd()
        root = self.root
        try:
            shown = str(Path(root.name) / here.relative_to(root)) if here != root else root.name
        except ValueError:
            shown = str(here).replace(str(Path.home()), "~", 1)
        return [("class:project", visible(shown) or "/"), ("class:arrow", " ❯ ")]

    def _continuation(self, width: int, line_number: int, wrap_count: int) -> StyleAndTextTuples:
        """``> `` before each further line of a command; nothing before a wrapped part."""
        return [("class:prompt-continuation", CONTINUATION if not wrap_count else "")]

    # ---- keys ---------------------------------------------------------------------------------

    def _key_bindings(self) -> KeyBindings:
        bindings = KeyBindings()
        empty = Condition(lambda: not get_app().current_buffer.text)
        focused = Condition(lambda: self.chip_focused)
        unfinished = Condition(lambda: incomplete(get_app().current_buffer.text))

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

        @bindings.add("enter", filter=~focused & ~completion_is_selected & unfinished)
        def _continue(event: KeyPressEvent) -> None:
            """enter on an incomplete command: a further line, as bash's `>` prompt."""
            buffer = event.current_buffer
            buffer.cursor_position = len(buffer.text)
            buffer.insert_text("\n")

        @bindings.add("c-z")
        def _nothing_to_suspend(event: KeyPressEvent) -> None:
            """Ctrl+Z at the prompt: nothing runs, nothing to stop (no `^Z` typed either)."""

        return bindings

    def _unfocus_chip(self, _: object) -> None:
        self.chip_focused = False


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
