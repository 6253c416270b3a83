"""Retention: closed warnings (their cause went away, `resolved_at`) are deleted once closed
longer than ALERT_RETENTION_DAYS (0 keeps them forever), with their outbox rows, in batches.

What stays: every open alert (acknowledged or not: 收到 means someone is on it, not that the
cause went away), and closed ones younger than the retention. An alert with a message still on
its way (pending or sending) waits for the next prune. The outbox's `alert_id` is no foreign
key, so its rows are deleted here, first; an escalation (`parent_id`) closes with its parent
and goes with it.

Each batch is its own short transaction (the caller commits between batches): the oldest
closed alerts by `resolved_at`, found through the partial index ix_alert_resolved_at, so a
prune never scans the open alerts nor holds locks for long.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists
from sqlmodel import Session, col, select

from models.alerts import Alert
from models.enums import OutboxStatus
from models.outbox import Outbox

PRUNE_BATCH = 2000
ON_ITS_WAY = (OutboxStatus.pending, OutboxStatus.sending)


def prune_closed_alerts(
    *, session: Session, now: datetime, days: int, limit: int = PRUNE_BATCH
) -> int:
    """Delete up to `limit` alerts closed before `now - days` and their outbox rows; how many
    alerts went (fewer than `limit`: nothing older is left). The caller commits."""
    if days <= 0:
        return 0
    cutoff = now - timedelta(days=days)
    waiting = exists().where(Outbox.alert_id == Alert.id, col(Outbox.status).in_(ON_ITS_WAY))
    query = (
        select(Alert.id)
        .where(col(Alert.resolved_at).is_not(None), col(Alert.resolved_at) < cutoff, ~waiting)
        .order_by(col(Alert.resolved_at))
        .limit(limit)
    )
    ids = list(session.exec(query))
    if not ids:
        return 0
    session.execute(delete(Outbox).where(col(Outbox.alert_id).in_(ids)))
    session.execute(delete(Alert).where(col(Alert.id).in_(ids)))
    return len(ids)
