"""Fixtures for the host REPL's tests: the real ``bgview shell`` on a screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.term import Term


@pytest.fixture
def shell(home: Path, project: Path) -> Iterator[Term]:
    """``bgview shell`` in the test's project, its first prompt on screen."""
    term = Term.shell(home, project)
    try:
        term.wait_prompt(1)
        yield term
    finally:
        term.close()
