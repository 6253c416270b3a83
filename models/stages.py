"""The five stages of every order and their SOP checklists."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from pydantic import ConfigDict, model_validator
from sqlmodel import Field, SQLModel

from models.base import Omissible, enum_column
from models.checklists import CheckFields
from models.enums import StageKind, StageStatus
from models.inputs import Day, Flag, Whole
from models.people import UserBrief


class Stage(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("order_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    kind: StageKind = Field(sa_type=enum_column(StageKind))
    seq: int
    status: StageStatus = Field(default=StageStatus.not_started, sa_type=enum_column(StageStatus))
    progress: int = Field(default=0)
    planned_start: date | None = None
    planned_end: date | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    # A stage started before its predecessor was done: the manager who did it and why.
    started_early_by_id: int | None = Field(default=None, foreign_key="users.id")
    started_early_reason: str | None = Field(default=None, max_length=500)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class StageStart(SQLModel):
    """Starting a stage takes no body, or a reason when it starts early."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_body_is_no_reason(cls, data):
        return {} if data is None else data

    reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="提前开始（上一阶段尚未完成）时由经理填写的原因",
    )


class StageUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    planned_start: Day | None = None
    planned_end: Day | None = None
    progress: Whole = Omissible(ge=0, le=100)


class StageReopen(SQLModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class ChecklistTemplate(SQLModel, table=True):
    """The SOP checklist a new order's stage starts with."""

    __tablename__ = "checklist_template"
    __audit_exclude__ = frozenset()

    id: int | None = Field(default=None, primary_key=True)
    stage_kind: StageKind = Field(sa_type=enum_column(StageKind), index=True)
    title: str = Field(max_length=200)
    required: bool = Field(default=True)
    position: int = Field(default=0)
    active: bool = Field(default=True)

    @property
    def audit_order_id(self) -> int | None:
        return None


class ChecklistTemplateIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    stage_kind: StageKind
    title: str = Field(min_length=1, max_length=200)
    required: Flag = True
    position: Whole = Field(default=0, ge=0, le=10000)


class ChecklistTemplatePublic(SQLModel):
    id: int
    stage_kind: StageKind
    title: str
    required: bool
    position: int
    active: bool


class ChecklistItem(CheckFields, table=True):
    __tablename__ = "checklist_item"

    id: int | None = Field(default=None, primary_key=True)
    stage_id: int = Field(foreign_key="stage.id", index=True, ondelete="CASCADE")
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    required: bool = Field(default=True)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class ChecklistItemIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    required: Flag = True


class ChecklistItemUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    done: Flag
    note: str | None = Field(default=None, max_length=500)


class ChecklistItemPublic(SQLModel):
    id: int
    title: str
    required: bool
    done: bool
    done_by: UserBrief | None = None
    done_at: datetime | None = None
    note: str | None = None
    derived: bool = False
    source: str | None = None


class StagePublic(SQLModel):
    kind: StageKind
    name: str
    seq: int
    status: StageStatus
    status_name: str
    progress: int
    planned_start: date | None = None
    planned_end: date | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    started_early_by: UserBrief | None = None
    started_early_reason: str | None = None
    checklist: list[ChecklistItemPublic]
