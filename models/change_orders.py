"""Change orders (变更单): a change to reviewed fields of an order that is past review."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow
from models.enums import ChangeOrderStatus
from models.orders import FieldDiff
from models.people import UserBrief


class ChangeOrder(SQLModel, table=True):
    """Pending until a manager approves it; the change applies on approval."""

    __tablename__ = "change_order"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    status: ChangeOrderStatus = Field(
        default=ChangeOrderStatus.pending, sa_type=enum_column(ChangeOrderStatus), index=True
    )
    # Field -> value, in the JSON form of REVIEWED_FIELDS (dates as ISO strings).
    before: dict = Field(default_factory=dict, sa_type=sa.JSON)
    after: dict = Field(default_factory=dict, sa_type=sa.JSON)
    requested_by_id: int | None = Field(default=None, foreign_key="users.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, max_length=500)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class ChangeOrderDecision(SQLModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=500, description="驳回时必填")


class ChangeOrderPublic(SQLModel):
    id: int
    order_id: int
    status: ChangeOrderStatus
    status_name: str
    changes: list[FieldDiff]
    requested_by: UserBrief | None = None
    requested_at: datetime
    decided_by: UserBrief | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None


class ChangeOrderList(SQLModel):
    items: list[ChangeOrderPublic]
