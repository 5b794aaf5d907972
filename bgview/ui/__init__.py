"""The Textual viewer."""

from __future__ import annotations

from bgview.runtime.errors import BgviewError


def run_viewer(project: str | None = None, all_projects: bool = False) -> int:
    """Open the viewer full-screen (not built yet)."""
    raise BgviewError("the viewer is not built yet")
