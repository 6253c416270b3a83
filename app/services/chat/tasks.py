"""Slow work a chat command hands off (a summary to build, an image to fetch and attach).

The task row is written in the command's transaction; the delivery loop runs it
(bots/tasks.py) and sends its result through the outbox, so the webhook answers at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.base import utcnow
from models.outbox import BotTask


def enqueue_task(
    *, session: Session, kind: str, payload: dict[str, Any], now: datetime | None = None
) -> BotTask:
    """Queue a task to run as soon as the delivery loop gets to it."""
    now = now or utcnow()
    task = BotTask(kind=kind, payload=payload, created_at=now, not_before=now)
    session.add(task)
    session.flush()
    return task
