"""Waiting for conditions with a deadline (never a bare sleep), for the agent tests."""

from __future__ import annotations

from tests.support import until

__all__ = ["until"]
