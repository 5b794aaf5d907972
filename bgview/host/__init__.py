"""The host REPL and the helpers other REPLs use."""

from __future__ import annotations

from bgview.runtime.errors import BgviewError


def run_shell(project: str | None = None) -> int:
    """Run ``bgview shell`` (not built yet)."""
    raise BgviewError("bgview shell is not built yet")
