"""The host REPL (``bgview shell``) and the helpers any other REPL uses to host bgview.

See :mod:`bgview.host.api` for the helpers; :func:`run_shell` is the CLI's entry.
"""

from __future__ import annotations

from bgview.host.api import (
    RunningJobs,
    chip_text,
    default_consumer,
    drain_notices,
    open_viewer,
    print_above_prompt,
    running_count,
)
from bgview.host.shell import Shell, run_shell
from bgview.host.watch import StoreWatcher

__all__ = [
    "RunningJobs",
    "Shell",
    "StoreWatcher",
    "chip_text",
    "default_consumer",
    "drain_notices",
    "open_viewer",
    "print_above_prompt",
    "run_shell",
    "running_count",
]
