"""Fixtures of the bots tests; the simulator fixtures themselves live in tests/chat.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bots.platforms.tokens import MemoryKeyValueStore, TokenStorage
from models.base import utcnow
from tests.chat import admin, calls, serve

__all__ = ["admin", "calls", "serve"]


@pytest.fixture
def storage(sim) -> TokenStorage:
    """Token storage on the simulator's clock, as every process would share it."""

    def now() -> datetime:
        return datetime.fromtimestamp(sim.state.clock.now(), tz=UTC)

    return TokenStorage(MemoryKeyValueStore(now=now), now=now)


class Now:
    """The deliverer's clock; moving it moves the simulator's clock too (its rate windows)."""

    def __init__(self, sim):
        self.sim = sim
        self.value = utcnow()

    def __call__(self):
        return self.value

    def advance(self, **delta):
        self.set(self.value + timedelta(**delta))

    def set(self, value):
        self.sim.state.clock.advance((value - self.value).total_seconds())
        self.value = value


@pytest.fixture
def now(sim):
    return Now(sim)


@pytest.fixture
def deliverer(chat_app, db, now):
    """The outbox deliverer on the test database and the simulator, on the `now` clock."""
    from bots.delivery.deliverer import OutboxDeliverer

    return OutboxDeliverer(db, chat_app.extensions["gendan.chat"], now=now)
