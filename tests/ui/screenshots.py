"""``make screenshots``: the README's pictures, drawn from the snapshot tests' scenes.

Each scene of :mod:`tests.ui.scenarios`, :mod:`tests.ui.scenarios_term`,
:mod:`tests.ui.scenarios_log` and :mod:`tests.ui.typing_scenes` (the input box, at a prompt
and at a password prompt, and htop attached) is built in a throwaway store and drawn exactly
as the snapshot tests draw it (the same Textual screenshot function pytest-textual-snapshot
uses), then written to ``screenshots/<scene>.svg``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from textual._doc import take_svg_screenshot

from tests.ui.scenarios import SCENARIOS, build_app
from tests.ui.scenarios_log import LOG_SCENARIOS
from tests.ui.scenarios_term import TERM_SCENARIOS
from tests.ui.typing_scenes import TYPING_SCENARIOS

OUT = Path(__file__).resolve().parents[2] / "screenshots"


def main(names: list[str] | None = None) -> int:
    """Draw every scene, or only those ``names`` (``python -m tests.ui.screenshots search``)."""
    for var in ("NO_COLOR", "TEXTUAL_THEME", "FORCE_COLOR"):
        os.environ.pop(var, None)
    os.environ["TZ"] = "UTC"
    time.tzset()
    OUT.mkdir(exist_ok=True)
    for scenario in [*SCENARIOS, *TERM_SCENARIOS, *LOG_SCENARIOS, *TYPING_SCENARIOS]:
        if names and scenario.name not in names:
            continue
        with tempfile.TemporaryDirectory(prefix="bgview-shot-") as tmp:
            app, store = build_app(scenario, Path(tmp) / "home")
            try:
                svg = take_svg_screenshot(
                    app=app, terminal_size=scenario.size, run_before=scenario.keys
                )
            finally:
                store.close()
        path = OUT / f"{scenario.name}.svg"
        path.write_text(svg)
        print(f"{path.relative_to(OUT.parent)}  {scenario.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
