"""Daily reports (日报) per user, order and local day, with their day-labour (点工) entries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import ConfigDict, StringConstraints
from sqlmodel import Field, SQLModel

from models.base import NOT_BLANK, UTCDateTime, utcnow
from models.enums import Role
from models.inputs import Day, Whole
from models.people import UserBrief
from models.photos import PhotoPublic

Text2000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
WorkerName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=NOT_BLANK, max_length=64)
]

MAX_LABOUR_ENTRIES = 50


class DailyReport(SQLModel, table=True):
    __tablename__ = "daily_report"
    __table_args__ = (sa.UniqueConstraint("order_id", "user_id", "day"),)
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True)
    day: date = Field(index=True)
    done_today: str = Field(sa_type=sa.Text)
    plan_tomorrow: str = Field(default="", sa_type=sa.Text)
    problems: str = Field(default="", sa_type=sa.Text)
    hours: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class LabourEntry(SQLModel, table=True):
    """One day-labour (点工) line of a report; order and day are copied for the summaries."""

    __tablename__ = "labour_entry"
    __table_args__ = (sa.Index("ix_labour_entry_order_day", "order_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="daily_report.id", index=True, ondelete="CASCADE")
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE")
    day: date
    position: int = Field(default=0)
    worker: str = Field(max_length=64)
    hours: float
    work: str = Field(default="", max_length=500)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class LabourIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    worker: WorkerName = Field(description="点工姓名")
    hours: float = Field(gt=0, le=24, description="工时（小时）")
    work: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = Field(
        default="", description="工作内容"
    )


class DailyReportIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    day: Day | None = Field(default=None, description="报告日期（本地日期），缺省为今天")
    done_today: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, pattern=NOT_BLANK, max_length=2000),
    ] = Field(description="今日完成")
    plan_tomorrow: Text2000 = Field(default="", description="明日计划")
    problems: Text2000 = Field(default="", description="存在问题")
    hours: float | None = Field(default=None, ge=0, le=24, description="本人工时（小时）")
    labour: list[LabourIn] = Field(default_factory=list, max_length=MAX_LABOUR_ENTRIES)
    photo_ids: list[Whole] = Field(default_factory=list, description="先上传照片得到的 ID")


class LabourPublic(SQLModel):
    worker: str
    hours: float
    work: str


class DailyReportPublic(SQLModel):
    id: int
    order_id: int
    user: UserBrief
    day: date
    done_today: str
    plan_tomorrow: str
    problems: str
    hours: float | None
    labour: list[LabourPublic]
    photos: list[PhotoPublic]
    created_at: datetime
    updated_at: datetime


class MissingReporter(SQLModel):
    user: UserBrief
    role: Role


class MissingReport(SQLModel):
    day: date
    expected_roles: list[Role]
    items: list[MissingReporter]


class WorkerHours(SQLModel):
    worker: str
    hours: float
    days: int


class DayHours(SQLModel):
    day: date
    hours: float
    workers: int


class LabourSummary(SQLModel):
    order_id: int
    start: date | None
    end: date | None
    total_hours: float
    by_worker: list[WorkerHours]
    by_day: list[DayHours]


class ReportDeskOrder(SQLModel):
    """One of the person's open orders on the phone's 日报 screen."""

    order_id: int
    order_code: str
    customer: str
    report: DailyReportPublic | None = Field(description="本人当天的日报（已提交时）")
    yesterday: DailyReportPublic | None = Field(
        description="本人前一天的日报：其明日计划预填当天的今日完成"
    )
    can_remind: bool = Field(description="可以提醒未交日报的成员（跟单员、管理层）")
    missing: list[MissingReporter] = Field(description="当天未交日报的成员（仅 can_remind 时）")


class ReportDesk(SQLModel):
    day: date
    items: list[ReportDeskOrder]


class ReportReminderIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    user_id: Whole = Field(description="要提醒的成员")


class ReportReminderOut(SQLModel):
    user: UserBrief
    day: date
    sent_to: list[str] = Field(description="提醒发往的聊天群或个人聊天")
