"""The warning board: the open warnings (未确认预警) as the managers' list and the standup show
them, and the recently answered ones with their response time.

One line per exception (its newest daily reminder; escalations are shown through the warning
they escalate), most urgent first: risk level, then the oldest. A warning's age counts from
when the exception was first raised (`since`), like its response time, so a warning open past
the 2-hour target reads as overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from app.services.alerts.handling import RESPONSE_TARGET_SECONDS, alerts_public
from app.services.core import Actor, visible_orders_clause
from models.alerts import Alert, AlertPublic, exception_columns
from models.enums import RiskLevel
from models.orders import Order

LEVEL_RANK = {RiskLevel.high: 0, RiskLevel.medium: 1, RiskLevel.low: 2}
BOARD_LIMIT = 200
ANSWERED_DAYS = 7


@dataclass(frozen=True)
class BoardFilters:
    """What the list is narrowed to; None shows all."""

    order_ids: tuple[int, ...] | None = None
    level: RiskLevel | None = None
    rule: str | None = None
    owner_id: int | None = None


@dataclass
class BoardLine:
    alert: AlertPublic
    age_seconds: int

    @property
    def age(self) -> str:
        return duration_text(self.age_seconds)

    @property
    def overdue(self) -> bool:
        """Open past the response target (answered: answered past it)."""
        seconds = self.alert.response_seconds
        return (seconds if seconds is not None else self.age_seconds) > RESPONSE_TARGET_SECONDS

    @property
    def response(self) -> str | None:
        seconds = self.alert.response_seconds
        return duration_text(seconds) if seconds is not None else None


def duration_text(seconds: int) -> str:
    """A duration as people say it: 2 天 3 小时, 3 小时 20 分, 15 分钟."""
    minutes = max(0, int(seconds)) // 60
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} 天 {hours} 小时" if hours else f"{days} 天"
    if hours:
        return f"{hours} 小时 {minutes} 分" if minutes else f"{hours} 小时"
    return f"{minutes} 分钟"


def _keyed(query, filters: BoardFilters):
    """The filters on columns of the exception key: they hold for every alert of an exception
    or for none, so the per-exception subquery takes them too (the standup's few orders then
    read their own alerts by ix_alert_order_id, not every alert ever raised)."""
    if filters.order_ids is not None:
        query = query.where(col(Alert.order_id).in_(filters.order_ids))
    if filters.level is not None:
        query = query.where(Alert.level == filters.level)
    if filters.rule is not None:
        query = query.where(Alert.rule == filters.rule)
    return query


def _filtered(query, filters: BoardFilters):
    query = _keyed(query, filters)
    if filters.owner_id is not None:
        query = query.where(Alert.owner_id == filters.owner_id)
    return query


def _lines(session: Session, rows: list, now: datetime) -> list[BoardLine]:
    return [
        BoardLine(a, int((now - a.since).total_seconds())) for a in alerts_public(session, rows)
    ]


def open_alerts(
    *, session: Session, actor: Actor, now: datetime, filters: BoardFilters | None = None
) -> list[BoardLine]:
    """The open warnings on the orders the actor may see, most urgent first."""
    filters = filters or BoardFilters()
    newest = _keyed(
        select(func.max(Alert.id)).where(
            col(Alert.acknowledged_at).is_(None), col(Alert.parent_id).is_(None)
        ),
        filters,
    ).group_by(*exception_columns())
    query = (
        select(Alert, Order.code)
        .join(Order, Order.id == Alert.order_id)
        .where(visible_orders_clause(actor), col(Alert.id).in_(newest))
    )
    query = _filtered(query, filters).order_by(Alert.since, Alert.id).limit(BOARD_LIMIT)
    lines = _lines(session, list(session.exec(query).all()), now)
    return sorted(lines, key=lambda x: (LEVEL_RANK[RiskLevel(x.alert.level)], x.alert.since))


def answered_alerts(
    *, session: Session, actor: Actor, now: datetime, filters: BoardFilters | None = None
) -> list[BoardLine]:
    """The warnings answered in the last week, latest first, with their response time."""
    filters = filters or BoardFilters()
    newest = _keyed(
        select(func.max(Alert.id)).where(
            col(Alert.parent_id).is_(None),
            col(Alert.acknowledged_at) >= now - timedelta(days=ANSWERED_DAYS),
        ),
        filters,
    ).group_by(*exception_columns())
    query = (
        select(Alert, Order.code)
        .join(Order, Order.id == Alert.order_id)
        .where(visible_orders_clause(actor), col(Alert.id).in_(newest))
    )
    query = _filtered(query, filters)
    query = query.order_by(col(Alert.acknowledged_at).desc(), col(Alert.id).desc())
    rows = list(session.exec(query.limit(BOARD_LIMIT)).all())
    return _lines(session, rows, now)
