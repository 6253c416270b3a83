"""Warnings (预警) the rule sweep raised: one row per (rule, entity, order, level, local day).

The unique key makes a rule that runs every few minutes raise each reminder once a day; the
short id people answer with is the row id, shown as #A12 ("收到 #A12").
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, member, utcnow
from models.enums import RiskLevel

# One exception: the same rule on the same entity of the same order at the same level. It is
# reminded once a local day (ALERT_KEY), acknowledged once, escalated from its first alert.
EXCEPTION_KEY = ("rule", "entity_type", "entity_id", "order_id", "level")
ALERT_KEY = (*EXCEPTION_KEY, "day")


class Alert(SQLModel, table=True):
    __tablename__ = "alert"
    __table_args__ = (
        sa.UniqueConstraint(*ALERT_KEY, name="uq_alert_key"),
        sa.Index("ix_alert_open_day", "acknowledged_at", "day"),
        # The sweep closes a rule's open alerts: it reads those only, however many closed ones
        # the years have kept (the index stays the size of what is open).
        sa.Index(
            "ix_alert_unresolved",
            "rule",
            "entity_id",
            postgresql_where=sa.text("resolved_at IS NULL"),
            sqlite_where=sa.text("resolved_at IS NULL"),
        ),
        # The escalation rules' first delivery of each of today's exceptions (min of
        # delivered_at over its unacknowledged alerts): a probe here finds nothing for an
        # exception not yet delivered, without reading its alerts.
        sa.Index(
            "ix_alert_first_delivery",
            *EXCEPTION_KEY,
            "delivered_at",
            postgresql_where=sa.text("acknowledged_at IS NULL AND delivered_at IS NOT NULL"),
            sqlite_where=sa.text("acknowledged_at IS NULL AND delivered_at IS NOT NULL"),
        ),
        # The retention prune takes the oldest closed alerts first (alerts/retention.py).
        sa.Index(
            "ix_alert_resolved_at",
            "resolved_at",
            postgresql_where=sa.text("resolved_at IS NOT NULL"),
            sqlite_where=sa.text("resolved_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=40)
    entity_type: str = Field(max_length=40)
    entity_id: int
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    level: RiskLevel = Field(sa_type=enum_column(RiskLevel))
    day: date = Field(description="本地日期")
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    message: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When the exception was first raised: carried over from the previous days' alerts of the
    # same rule and entity until one is acknowledged (the escalation clock runs from here).
    since: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    parent_id: int | None = Field(default=None, description="升级提醒所针对的预警")
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by_id: int | None = Field(default=None, foreign_key="users.id")
    ack_via: str | None = Field(default=None, max_length=16)
    response_seconds: int | None = Field(default=None, description="预警送达到确认的秒数")
    # When a message of this alert first reached someone: the response and escalation clocks
    # run from the exception's first delivery, not from creation (quiet hours hold messages).
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_reason: str | None = Field(default=None, max_length=200)


class AlertPublic(SQLModel):
    id: int
    ref: str = Field(description="短编号，例如 A12")
    rule: str
    rule_name: str
    entity_type: str
    entity_id: int
    order_id: int
    order_code: str
    level: RiskLevel
    level_name: str
    day: date
    owner_id: int | None
    owner_name: str | None = None
    message: str
    created_at: datetime
    since: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by_id: int | None = None
    acknowledged_by_name: str | None = Field(default=None, description="确认人")
    ack_via: str | None = Field(default=None, description="确认方式：chat / link / api")
    ack_via_name: str | None = Field(default=None, description="确认方式（中文）")
    response_seconds: int | None = None
    delivered_at: datetime | None = Field(default=None, description="首条消息送达时间")
    resolved_at: datetime | None = Field(default=None, description="原因消除、自动关闭的时间")
    resolved_reason: str | None = Field(default=None, description="自动关闭的原因")


class AlertDelivery(SQLModel):
    """One message of an alert: to whom, how, and where it stands."""

    id: int
    recipient: str = Field(description="接收方：群名或人名")
    recipient_user_id: int | None = None
    group_id: int | None = None
    channel: str
    channel_name: str = Field(description="发送渠道（中文）")
    status: str = Field(description="pending / held / sent / failed / cancelled")
    status_name: str = Field(description="状态（中文）")
    created_at: datetime
    not_before: datetime = Field(description="最早发送时间（免打扰时段推迟到此）")
    sent_at: datetime | None = None
    cancel_reason: str | None = None
    last_error: str | None = None


class AlertDetail(AlertPublic):
    deliveries: list[AlertDelivery]


class AlertPage(SQLModel):
    items: list[AlertPublic]
    total: int
    page: int
    per_page: int


class AlertResponseStats(SQLModel):
    """The KPI "exception response time" (异常响应时间) over alerts raised in a period."""

    raised: int = Field(description="期间发出的预警（不含升级提醒）")
    acknowledged: int
    open: int
    average_seconds: float | None = Field(default=None, description="平均响应秒数")
    within_target: float | None = Field(default=None, description="在目标时间内确认的比例")
    target_seconds: int


def exception_key(rule: str, entity_type: str, entity_id: int, order_id: int, level) -> tuple:
    """The key that groups findings and alerts into one exception (see EXCEPTION_KEY)."""
    return (rule, entity_type, entity_id, order_id, member(RiskLevel, level))


def exception_columns(alert=Alert) -> tuple:
    """The exception key's columns of `Alert` (or of an alias of it), for select and group by."""
    return tuple(getattr(alert, name) for name in EXCEPTION_KEY)


def same_exception(one, other) -> sa.ColumnElement[bool]:
    """SQL: two alert rows (aliases of `Alert`) belong to the same exception."""
    return sa.and_(*(getattr(one, n) == getattr(other, n) for n in EXCEPTION_KEY))
