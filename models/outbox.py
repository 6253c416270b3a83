"""The outbox (messages waiting for a chat), the robot send log, slow bot tasks, shared tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow
from models.enums import OutboxChannel, OutboxStatus, TaskStatus


class Outbox(SQLModel, table=True):
    """One chat message to send, written in the transaction that decided to send it.

    `dedupe_key` (unique when set) makes a repeated cause a no-op, e.g. a reminder keyed by
    (rule, entity, level, day). `not_before` holds a message back (quiet hours, backoff).
    """

    __table_args__ = (
        sa.Index("ix_outbox_due", "status", "not_before"),
        sa.Index("ix_outbox_order", "order_id", "id"),
        sa.Index("ix_outbox_group", "group_id", "status"),
        # Only a row merged into a digest has a digest_id: the others (a sweep writes them by
        # the hundred thousand) are not entered.
        sa.Index(
            "ix_outbox_digest_id",
            "digest_id",
            postgresql_where=sa.text("digest_id IS NOT NULL"),
            sqlite_where=sa.text("digest_id IS NOT NULL"),
        ),
        # Unique where set; the rows without a key (a sweep writes those by the hundred
        # thousand) are not entered.
        sa.Index(
            "uq_outbox_dedupe_key",
            "dedupe_key",
            unique=True,
            postgresql_where=sa.text("dedupe_key IS NOT NULL"),
            sqlite_where=sa.text("dedupe_key IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    kind: str = Field(max_length=40)
    channel: OutboxChannel = Field(sa_type=enum_column(OutboxChannel))
    group_id: int | None = Field(default=None, foreign_key="chat_group.id", ondelete="CASCADE")
    target: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    message: dict[str, Any] = Field(sa_type=sa.JSON)
    order_id: int | None = Field(default=None, foreign_key="orders.id", ondelete="SET NULL")
    dedupe_key: str | None = Field(default=None, max_length=200)
    status: OutboxStatus = Field(default=OutboxStatus.pending, sa_type=enum_column(OutboxStatus))
    not_before: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    lease_owner: str | None = Field(default=None, max_length=40)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    errcode: int | None = None
    digest_id: int | None = Field(default=None)
    # The alert a warning message carries and the person a private message goes to, so that
    # delivery can re-check the alert and an alert can list where its messages went.
    alert_id: int | None = Field(default=None, index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    cancel_reason: str | None = Field(default=None, max_length=200)


class OutboxPublic(SQLModel):
    id: int
    created_at: datetime
    kind: str
    channel: OutboxChannel
    group_id: int | None
    group_name: str | None = None
    order_id: int | None
    preview: str
    status: OutboxStatus
    attempts: int
    not_before: datetime
    sent_at: datetime | None
    last_error: str | None
    errcode: int | None
    digest_id: int | None
    alert_id: int | None = None
    cancel_reason: str | None = None


class OutboxPage(SQLModel):
    items: list[OutboxPublic]
    total: int
    page: int
    per_page: int


class RobotSend(SQLModel, table=True):
    """One send claimed for a group robot: the sliding window of its 20-a-minute limit."""

    __tablename__ = "robot_send"
    __table_args__ = (sa.Index("ix_robot_send_group_at", "group_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="chat_group.id", ondelete="CASCADE")
    at: datetime = Field(sa_type=UTCDateTime)


class BotTask(SQLModel, table=True):
    """Slow work a chat command queued (downloading an image, a long summary)."""

    __tablename__ = "bot_task"
    __table_args__ = (sa.Index("ix_bot_task_due", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: TaskStatus = Field(default=TaskStatus.pending, sa_type=enum_column(TaskStatus))
    attempts: int = Field(default=0)
    not_before: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=40)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class KeyValue(SQLModel, table=True):
    """Small shared values with an expiry: the platforms' access tokens, for every process."""

    __tablename__ = "key_value"

    key: str = Field(primary_key=True, max_length=200)
    value: str = Field(sa_type=sa.Text)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
