"""The shape every checklist item has (a stage's SOP items, a shipment's remote-site checks):
a title in a position, and who ticked it when, with an optional note."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime


class CheckFields(SQLModel):
    """Columns shared by the checklist tables; `core/checklists.py` ticks and unticks them."""

    title: str = Field(max_length=200)
    position: int = Field(default=0)
    done: bool = Field(default=False)
    done_by_id: int | None = Field(default=None, foreign_key="users.id")
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=500)
