"""The MCP Inspector (npm ``@modelcontextprotocol/inspector``), a client nobody here wrote, for
the MCP tests: installed with npm into a cache directory outside the repository, once.

``make test`` runs ``python -m tests.agent.inspector`` before the tests; the tests' fixture
does the same if it finds none (a lock keeps two test workers from installing at once). A
version is pinned: its CLI's flags and output are what the tests read.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = "@modelcontextprotocol/inspector"
VERSION = "2.12.0"


def cache_dir() -> Path:
    """Where it is installed: ``$XDG_CACHE_HOME/bgview-tests/mcp-inspector-VERSION``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bgview-tests" / f"mcp-inspector-{VERSION}"


def binary() -> Path:
    return cache_dir() / "node_modules" / ".bin" / "mcp-inspector"


def install() -> Path:
    """The Inspector's launcher, installed first if it is not there yet."""
    target = binary()
    if target.exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the MCP Inspector tests: apt-get install npm")
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():  # another worker may have installed it while we waited
            print(f"installing {PACKAGE}@{VERSION} into {root}", file=sys.stderr)
            subprocess.run(
                [
                    npm,
                    "install",
                    "--prefix",
                    str(root),
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    f"{PACKAGE}@{VERSION}",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                timeout=600,
            )
    return target


if __name__ == "__main__":
    print(install())
