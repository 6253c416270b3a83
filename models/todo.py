"""我的待办: what one person has to act on today, across the orders they work on."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from models.alerts import AlertPublic
from models.issues import IssuePublic
from models.shortages import ShortagePublic


class TodoMilestone(BaseModel):
    """A stage or a process step of one of my orders planned to finish today."""

    kind: str = Field(description="stage（订单阶段）/ operation（工序）")
    id: int
    order_id: int
    order_code: str
    name: str
    planned_end: date
    status_name: str = Field(description="未开始 / 进行中 / 受阻")
    progress: int = Field(description="完成百分比")


class TodoList(BaseModel):
    day: date = Field(description="本地日期（业务时区）")
    alerts: list[AlertPublic] = Field(description="待我确认的预警")
    overdue_issues: list[IssuePublic] = Field(description="我负责且已超期的问题点")
    milestones: list[TodoMilestone] = Field(description="我的订单今天到期的阶段与工序")
    shortages: list[ShortagePublic] = Field(description="我的订单的缺料")
