"""Retrospective (复盘) after acceptance: the draft drawn from the order's data, feedback from
tracker, customer and supplier, and improvement items carried into the SOP templates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import ConfigDict, StringConstraints
from sqlmodel import Field, SQLModel

from models.base import NOT_BLANK, UTCDateTime, enum_column, utcnow
from models.enums import FeedbackSource, StageKind
from models.inputs import Flag, OptionalWhole
from models.people import UserBrief

Content = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=NOT_BLANK, max_length=2000)
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=NOT_BLANK, max_length=200)
]


class Retrospective(SQLModel, table=True):
    """One per order: the generated draft (kept as it was when generated) and the conclusion."""

    __audit_exclude__ = frozenset({"updated_at", "draft"})

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", unique=True, ondelete="CASCADE")
    draft: dict = Field(default_factory=dict, sa_type=sa.JSON)
    conclusion: str = Field(default="", sa_type=sa.Text)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class RetroFeedback(SQLModel, table=True):
    __tablename__ = "retro_feedback"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    source: FeedbackSource = Field(sa_type=enum_column(FeedbackSource))
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id")
    speaker: str = Field(default="", max_length=64)
    content: str = Field(sa_type=sa.Text)
    rating: int | None = None
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class RetroImprovement(SQLModel, table=True):
    """An improvement item; adopting it adds an SOP checklist template item for new orders."""

    __tablename__ = "retro_improvement"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    stage_kind: StageKind = Field(sa_type=enum_column(StageKind))
    required: bool = Field(default=True)
    template_id: int | None = Field(default=None, foreign_key="checklist_template.id")
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class FeedbackIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    source: FeedbackSource
    content: Content = Field(description="反馈内容")
    speaker: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = Field(
        default="", description="反馈人（客户或供应商联系人姓名）"
    )
    supplier_id: OptionalWhole = Field(default=None, description="供应商反馈时必填")
    rating: OptionalWhole = Field(default=None, ge=1, le=5)


class ImprovementIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    title: Title = Field(description="改进项，将作为检查清单项的标题")
    stage_kind: StageKind = Field(description="加入哪个阶段的检查清单")
    required: Flag = True


class RetroConclusionIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    conclusion: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


class FeedbackPublic(SQLModel):
    id: int
    source: FeedbackSource
    source_name: str
    supplier_id: int | None
    supplier_name: str | None
    speaker: str
    content: str
    rating: int | None
    created_by: UserBrief | None
    created_at: datetime


class ImprovementPublic(SQLModel):
    id: int
    title: str
    stage_kind: StageKind
    stage_name: str
    required: bool
    template_id: int | None
    adopted: bool
    created_at: datetime


class RetroPublic(SQLModel):
    order_id: int
    draft: dict = Field(description="复盘草稿：已保存的，或尚未保存时按当前数据生成的")
    saved: bool
    conclusion: str
    created_at: datetime | None
    updated_at: datetime | None
    generated_at: datetime
    feedback: list[FeedbackPublic]
    improvements: list[ImprovementPublic]
