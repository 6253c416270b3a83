"""Keeping an alert's waiting messages in step with the alert.

A warning message waits in the outbox (quiet hours, a busy robot) while the alert may be
acknowledged, closed because its cause went away, or superseded by a newer alert of the same
exception. Delivery asks `closed_reasons` in the transaction that claims the message and
cancels it instead of sending (`cancel_messages`); acknowledging and resolving cancel what is
still pending at once. The first message delivered starts the response clock
(`mark_delivered`): escalation and the response time count from there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models.alerts import Alert
from models.enums import OutboxStatus
from models.outbox import Outbox

CHUNK = 1000
ACKNOWLEDGED = "预警已确认"
SUPERSEDED = "已有更新的同一预警"
DELETED = "预警已删除"


def chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    """Sorted distinct ids in slices small enough for an IN list."""
    ids = sorted(set(ids))
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def closed_reasons(session: Session, alert_ids: Iterable[int]) -> dict[int, str]:
    """Why each of these alerts must not be sent any more (absent: still open). An alert that
    no longer exists (its order was deleted) is not sent either."""
    newer = aliased(Alert)
    superseded = (
        select(newer.id)
        .where(
            newer.rule == Alert.rule,
            newer.entity_type == Alert.entity_type,
            newer.entity_id == Alert.entity_id,
            newer.order_id == Alert.order_id,
            newer.id > Alert.id,
        )
        .exists()
    )
    reasons: dict[int, str] = {}
    for chunk in chunks(alert_ids):
        reasons |= dict.fromkeys(chunk, DELETED)
        query = select(
            Alert.id, Alert.acknowledged_at, Alert.resolved_at, Alert.resolved_reason, superseded
        ).where(col(Alert.id).in_(chunk))
        for alert_id, acked, resolved, why, newer_exists in session.exec(query):
            del reasons[alert_id]
            if acked is not None:
                reasons[alert_id] = ACKNOWLEDGED
            elif resolved is not None:
                reasons[alert_id] = f"预警已关闭：{why}" if why else "预警已关闭"
            elif newer_exists:
                reasons[alert_id] = SUPERSEDED
    return reasons


def cancel_messages(session: Session, reasons: dict[int, str]) -> None:
    """Cancel the still pending messages of these alerts, each with its alert's reason."""
    by_reason: dict[str, list[int]] = defaultdict(list)
    for alert_id, reason in reasons.items():
        by_reason[reason].append(alert_id)
    for reason, ids in by_reason.items():
        for chunk in chunks(ids):
            session.execute(
                update(Outbox)
                .where(col(Outbox.alert_id).in_(chunk), Outbox.status == OutboxStatus.pending)
                .values(status=OutboxStatus.cancelled, cancel_reason=reason[:200])
            )


def mark_delivered(session: Session, alert_ids: Iterable[int], now: datetime) -> None:
    """Record the first delivery of these alerts (a later one keeps the first time)."""
    for chunk in chunks(alert_ids):
        session.execute(
            update(Alert)
            .where(col(Alert.id).in_(chunk), col(Alert.delivered_at).is_(None))
            .values(delivered_at=now)
        )
