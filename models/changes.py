"""The change log (变更日志): who changed what, when, and through which door."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow
from models.enums import ChangeAction, Channel


class ChangeLog(SQLModel, table=True):
    __tablename__ = "change_log"
    __table_args__ = (sa.Index("ix_change_log_order_id_id", "order_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None, index=True)
    actor_name: str = Field(default="", max_length=64)
    channel: Channel = Field(sa_type=enum_column(Channel, 12))
    order_id: int | None = Field(default=None)
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=64)
    action: ChangeAction = Field(sa_type=enum_column(ChangeAction, 8))
    field: str | None = Field(default=None, max_length=64)
    old_value: str | None = Field(default=None, sa_type=sa.Text)
    new_value: str | None = Field(default=None, sa_type=sa.Text)
    note: str | None = Field(default=None, max_length=500)


class ChangePublic(SQLModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    channel: Channel
    entity: str
    entity_id: str
    action: ChangeAction
    field: str | None
    old_value: str | None
    new_value: str | None
    note: str | None


class ChangePage(SQLModel):
    items: list[ChangePublic]
    total: int
    page: int
    per_page: int
