"""Photos uploaded to an order, and what each is attached to (issue, daily report, ...)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow
from models.people import UserBrief


class Photo(SQLModel, table=True):
    """One uploaded picture in one order; the stored files are named by its content hash."""

    __table_args__ = (sa.UniqueConstraint("order_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    sha256: str = Field(max_length=64, index=True)
    mime: str = Field(max_length=32)
    width: int
    height: int
    original_width: int
    original_height: int
    size_bytes: int
    taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    caption: str | None = Field(default=None, max_length=200)
    uploaded_by_id: int | None = Field(default=None, foreign_key="users.id")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class PhotoAttachment(SQLModel, table=True):
    """Links a photo to the thing it documents: entity is a table name, entity_id its id."""

    __tablename__ = "photo_attachment"
    __table_args__ = (
        sa.UniqueConstraint("photo_id", "entity", "entity_id"),
        sa.Index("ix_photo_attachment_entity", "entity", "entity_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    photo_id: int = Field(foreign_key="photo.id", ondelete="CASCADE")
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    entity: str = Field(max_length=40)
    entity_id: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class PhotoPublic(SQLModel):
    id: int
    order_id: int
    url: str
    thumb_url: str
    width: int
    height: int
    taken_at: datetime | None = None
    caption: str | None = None
    uploaded_by: UserBrief | None = None
    uploaded_at: datetime
