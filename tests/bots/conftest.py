"""Fixtures of the bots tests; the simulator fixtures themselves live in tests/chat.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bots.platforms.tokens import MemoryKeyValueStore, TokenStorage
from tests.chat import admin, calls, serve

__all__ = ["admin", "calls", "serve"]


@pytest.fixture
def storage(sim) -> TokenStorage:
    """Token storage on the simulator's clock, as every process would share it."""

    def now() -> datetime:
        return datetime.fromtimestamp(sim.state.clock.now(), tz=UTC)

    return TokenStorage(MemoryKeyValueStore(now=now), now=now)
