"""The runtime's start-up path stays small: stdlib only, no face imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PACKAGE_PARENT = Path(__file__).resolve().parents[2]
HEAVY = ("textual", "rich", "prompt_toolkit", "watchfiles", "mcp", "regex", "pexpect")


def test_the_supervisor_and_the_api_import_without_site_packages() -> None:
    # The supervisor runs as `python -S`: no site-packages. Import what it and `bgview run`
    # import, the same way, and list what came in.
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1]); "
        "import bgview.runtime.supervisor, bgview.cli; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code, str(PACKAGE_PARENT)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    modules = json.loads(out.stdout)
    assert not [m for m in modules if m.split(".")[0] in HEAVY]
    assert not [m for m in modules if m.startswith(("bgview.ui", "bgview.host", "bgview.agent"))]
