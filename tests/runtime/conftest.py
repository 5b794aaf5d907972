"""Fixtures of the runtime tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bgview.runtime import Runtime
from tests.runtime.helpers import FakeJob


@pytest.fixture
def fake(rt: Runtime) -> Iterator[Callable[..., FakeJob]]:
    """Make hand-written jobs; those still "running" are ended when the test is over."""
    made: list[FakeJob] = []

    def make(data: bytes = b"", *, running: bool = True) -> FakeJob:
        job = FakeJob(rt, data, running=running)
        made.append(job)
        return job

    yield make
    for job in made:
        job.end()
