"""Closing warnings whose cause went away (the stage finished, the goods arrived, the issue was
verified): the sweep compares each rule's open alerts with what the rule finds now, closes
those no longer found with a reason, closes their escalations, and cancels their messages
still waiting in the outbox."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.services.alerts.lifecycle import cancel_messages, chunks
from models.alerts import Alert, exception_columns, exception_key

REASONS = {
    "stage_overdue": "阶段已完成或计划已调整，不再逾期",
    "purchase_overdue": "采购已到货或交期已调整",
    "predicted_delay": "已到货或延期风险已降低",
    "key_shortage": "缺料已补齐",
    "issue_overdue": "问题点已处理或已关闭",
    "signoff_pending": "会签已完成",
    "payment_overdue": "回款已到账",
    "over_budget": "成本已回到预算内",
}
GONE = "原因已消除"
LEVEL_CHANGED = "风险等级已变化，由新的预警接替"
PARENT_CLOSED = "所升级的预警已关闭"


def _vanished(
    session: Session, rule: str, found: set[tuple], order_ids: frozenset[int] | None
) -> dict[int, str]:
    query = select(Alert.id, *exception_columns()).where(
        Alert.rule == rule, col(Alert.resolved_at).is_(None)
    )
    if order_ids is not None:
        query = query.where(col(Alert.order_id).in_(sorted(order_ids)))
    same_entity = {key[:4] for key in found}
    reasons = {}
    for alert_id, *key in session.exec(query):
        key = exception_key(*key)
        if key in found:
            continue
        reasons[alert_id] = LEVEL_CHANGED if key[:4] in same_entity else REASONS.get(rule, GONE)
    return reasons


def _escalations(session: Session, parents: list[int]) -> dict[int, str]:
    out = {}
    for chunk in chunks(parents):
        query = select(Alert.id).where(
            col(Alert.parent_id).in_(chunk), col(Alert.resolved_at).is_(None)
        )
        out |= dict.fromkeys(session.exec(query), PARENT_CLOSED)
    return out


def resolve_vanished(
    *,
    session: Session,
    rule: str,
    found: set[tuple],
    now: datetime,
    order_ids: frozenset[int] | None = None,
) -> list[int]:
    """Close the rule's open alerts (within `order_ids`) whose exception key is not among
    `found`, and their escalations; the ids closed."""
    reasons = _vanished(session, rule, found, order_ids)
    if not reasons:
        return []
    reasons |= _escalations(session, list(reasons))
    _close(session, reasons, now)
    cancel_messages(session, {i: f"预警已关闭：{why}" for i, why in reasons.items()})
    return sorted(reasons)


def settle_closed(session: Session, closed: dict[int, str], now: datetime) -> list[int]:
    """After alerts were closed in SQL (id -> reason): close their escalations and cancel the
    messages of both still waiting; every id closed."""
    if not closed:
        return []
    reasons = dict(closed) | _escalations(session, list(closed))
    _close(session, {i: r for i, r in reasons.items() if i not in closed}, now)
    cancel_messages(session, {i: f"预警已关闭：{why}" for i, why in reasons.items()})
    return sorted(reasons)


def _close(session: Session, reasons: dict[int, str], now: datetime) -> None:
    by_reason: dict[str, list[int]] = defaultdict(list)
    for alert_id, reason in reasons.items():
        by_reason[reason].append(alert_id)
    for reason, ids in by_reason.items():
        for chunk in chunks(ids):
            session.execute(
                update(Alert)
                .where(col(Alert.id).in_(chunk))
                .values(resolved_at=now, resolved_reason=reason)
            )
