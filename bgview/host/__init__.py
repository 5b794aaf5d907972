"""The host REPL (``bgview shell``) and the helpers any other REPL uses to host bgview.

See :mod:`bgview.host.api` for the helpers; :func:`run_shell` is the CLI's entry.

The names below are loaded on first use: :mod:`bgview.host.hangup` (stdlib only) is what
the viewer needs from here, and it must not pay for prompt_toolkit.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bgview.host.api import (
        RunningJobs,
        chip_text,
        default_consumer,
        drain_notices,
        open_viewer,
        open_viewer_sync,
        print_above_prompt,
        running_count,
    )
    from bgview.host.notices import PromptNotices
    from bgview.host.shell import Shell, run_shell
    from bgview.host.watch import JobsWatch, StoreWatcher

_HOME = {
    "RunningJobs": "api",
    "chip_text": "api",
    "default_consumer": "api",
    "drain_notices": "api",
    "open_viewer": "api",
    "open_viewer_sync": "api",
    "print_above_prompt": "api",
    "running_count": "api",
    "PromptNotices": "notices",
    "Shell": "shell",
    "run_shell": "shell",
    "JobsWatch": "watch",
    "StoreWatcher": "watch",
}
"""Where each exported name lives."""

__all__ = [
    "JobsWatch",
    "PromptNotices",
    "RunningJobs",
    "Shell",
    "StoreWatcher",
    "chip_text",
    "default_consumer",
    "drain_notices",
    "open_viewer",
    "open_viewer_sync",
    "print_above_prompt",
    "run_shell",
    "running_count",
]


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'bgview.host' has no attribute {name!r}")
    return getattr(importlib.import_module(f"bgview.host.{module}"), name)
