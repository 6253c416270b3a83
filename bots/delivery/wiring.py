"""The chat runtime and the outbox deliverer of one process, built from the settings: the web
app keeps them in app.extensions, the scheduler process (reminders/__main__.py) hands them to its
jobs under the same names."""

from __future__ import annotations

from collections.abc import Mapping

from app.db import Database
from app.services.chat import DatabaseKeyValueStore
from bots.delivery.deliverer import OutboxDeliverer
from bots.runtime import ChatRuntime

CHAT = "gendan.chat"
DELIVERER = "gendan.deliverer"


def chat_services(config: Mapping, db: Database) -> dict[str, object]:
    """The platform clients on the shared token store, and the deliverer that uses them."""
    runtime = ChatRuntime(config, DatabaseKeyValueStore(db.engine))
    return {CHAT: runtime, DELIVERER: OutboxDeliverer(db, runtime)}
