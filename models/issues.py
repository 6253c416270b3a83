"""Site issues (问题点) and the events of their closed loop.

An issue's id is global across orders and is the short number people use: "收到 #12".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import ConfigDict, StringConstraints, model_validator
from sqlmodel import Field, SQLModel

from models.base import NOT_BLANK, UTCDateTime, enum_column, utcnow
from models.enums import IssueAction, IssueCategory, IssueState, RiskLevel
from models.inputs import Moment, OptionalWhole, Whole
from models.people import UserBrief
from models.photos import PhotoPublic

Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=NOT_BLANK, max_length=2000)
]
Location = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=NOT_BLANK, max_length=1000)
]


class SiteIssue(SQLModel, table=True):
    __tablename__ = "site_issue"
    __table_args__ = (sa.Index("ix_site_issue_state_due", "state", "due_at"),)
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    description: str = Field(sa_type=sa.Text)
    location: str = Field(default="", max_length=200)
    risk: RiskLevel = Field(sa_type=enum_column(RiskLevel), index=True)
    category: IssueCategory = Field(default=IssueCategory.other, sa_type=enum_column(IssueCategory))
    state: IssueState = Field(default=IssueState.open, sa_type=enum_column(IssueState))
    owner_id: int = Field(foreign_key="users.id", index=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    # The due time the issue was raised with: a later due_at needs a manager's reason.
    first_due_at: datetime = Field(sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution: str | None = Field(default=None, sa_type=sa.Text)
    resolved_by_id: int | None = Field(default=None, foreign_key="users.id")
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verified_by_id: int | None = Field(default=None, foreign_key="users.id")
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # KPI figures: creation to first acknowledgement, creation to the latest resolution.
    response_seconds: int | None = None
    resolution_seconds: int | None = None

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class IssueEvent(SQLModel, table=True):
    """One step of an issue's loop: who moved it from which state to which, when and why."""

    __tablename__ = "site_issue_event"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="site_issue.id", index=True, ondelete="CASCADE")
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE")
    action: IssueAction = Field(sa_type=enum_column(IssueAction))
    from_state: IssueState | None = Field(default=None, sa_type=enum_column(IssueState))
    to_state: IssueState = Field(sa_type=enum_column(IssueState))
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor_name: str = Field(default="", max_length=64)
    note: str | None = Field(default=None, sa_type=sa.Text)
    # The due time after this step, when the step set or changed it.
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IssueCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    description: Description = Field(description="问题描述")
    risk: RiskLevel = Field(description="风险等级 high/medium/low")
    category: IssueCategory = IssueCategory.other
    location: Location = Field(default="", description="位置，例如 2 号机组东侧")
    owner_id: OptionalWhole = Field(
        default=None, description="责任人（订单成员），缺省为跟单联络人"
    )
    due_at: Moment | None = Field(default=None, description="处理期限，缺省按风险等级时限")
    photo_ids: list[Whole] = Field(default_factory=list)


class IssueUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    description: Description | None = None
    location: Location | None = None
    risk: RiskLevel | None = None
    category: IssueCategory | None = None
    owner_id: OptionalWhole = None
    due_at: Moment | None = None
    reason: Reason | None = Field(default=None, description="变更原因；管理层推迟处理期限时必填")


class IssueResolve(SQLModel):
    model_config = ConfigDict(extra="forbid")
    resolution: Reason = Field(description="处理结果")
    photo_ids: list[Whole] = Field(default_factory=list)


class IssueVerify(SQLModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _body_is_optional(cls, data):
        # A verification needs no note, so a request without a body is fine.
        return {} if data is None else data


class IssueReopen(SQLModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason = Field(description="退回原因")


class IssueEventPublic(SQLModel):
    action: IssueAction
    from_state: IssueState | None
    to_state: IssueState
    actor_name: str
    note: str | None
    due_at: datetime | None = None
    at: datetime


class IssuePublic(SQLModel):
    id: int
    order_id: int
    order_code: str
    description: str
    location: str
    risk: RiskLevel
    risk_name: str
    category: IssueCategory
    category_name: str
    state: IssueState
    state_name: str
    owner: UserBrief
    due_at: datetime
    first_due_at: datetime = Field(description="首次处理期限；之后只有管理层说明原因才能推迟")
    overdue: bool
    created_by: UserBrief | None
    created_at: datetime
    acknowledged_at: datetime | None
    resolution: str | None
    resolved_by: UserBrief | None
    resolved_at: datetime | None
    verified_by: UserBrief | None
    verified_at: datetime | None
    response_seconds: int | None
    resolution_seconds: int | None
    photos: list[PhotoPublic]
    resolution_photos: list[PhotoPublic]
    events: list[IssueEventPublic] | None = Field(
        default=None, description="仅在单个问题点详情中返回"
    )
