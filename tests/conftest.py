"""Fixtures shared by every tier: a private store per test, the runtime, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bgview.runtime import Runtime
from bgview.runtime.store import all_projects

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh ``BGVIEW_HOME``; every job still running in it is killed afterwards."""
    store = tmp_path / "home"
    monkeypatch.setenv("BGVIEW_HOME", str(store))
    for var in ("BGVIEW_PROJECT", "BGVIEW_OWNER_PID", "BGVIEW_DISABLE_BACKGROUND_TASKS"):
        monkeypatch.delenv(var, raising=False)
    yield store
    for project in all_projects(store):
        rt = Runtime(project.path, home=store)
        for job in rt.jobs():
            if job.running:
                rt.kill(job.id, grace=0)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory (not a git checkout: the directory is its own project)."""
    path = tmp_path / "proj"
    path.mkdir()
    return path


@pytest.fixture
def rt(home: Path, project: Path) -> Runtime:
    return Runtime(project, home=home)


@pytest.fixture
def cli(home: Path, project: Path) -> RunCli:
    """Run the real ``bgview`` command in the project directory, as a user would."""

    def run(*args: str, timeout: float = 30, **kwargs: object) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "BGVIEW_HOME": str(home)}
        return subprocess.run(
            [sys.executable, "-m", "bgview", *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,  # type: ignore[arg-type]
        )

    return run
