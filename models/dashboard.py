"""What the overview and KPI pages read (computed, never stored)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from models.enums import OrderStatus, StageKind
from models.orders import StageBrief
from models.people import UserBrief


class DelayWarning(BaseModel):
    """One delay warning on an order: its kind, its weight in the risk score and the words."""

    kind: str = Field(
        description="stage_overdue / delivery_overdue / purchase_late / shortage / issue_overdue"
    )
    weight: int
    text: str


class Milestone(BaseModel):
    name: str
    due: date
    days_left: int


class OverviewRow(BaseModel):
    id: int
    code: str
    customer: str
    status: OrderStatus
    status_name: str
    delivery_date: date
    liaison: UserBrief | None
    progress: int
    current_stage: StageBrief | None
    open_issues: dict[str, int] = Field(description="未关闭问题点数，按风险等级 high/medium/low")
    overdue_issues: int
    shortages: int
    escalated_shortages: int
    late_purchases: int
    warnings: list[DelayWarning]
    risk_score: int = Field(description="风险分：预警权重之和，越大越靠前")
    at_risk: bool
    next_milestone: Milestone | None


class Overview(BaseModel):
    today: date
    items: list[OverviewRow]
    total: int
    at_risk: int


class OverviewFilters(BaseModel):
    stage: StageKind | None = Field(default=None, description="当前阶段")
    liaison_id: int | None = Field(default=None, description="跟单联络人")
    customer: str | None = Field(default=None, max_length=200, description="客户名称（包含）")
    at_risk: bool | None = Field(default=None, description="true 只看有预警的订单")


class KpiPoint(BaseModel):
    month: str = Field(description="YYYY-MM")
    value: float | None
    count: int


class Kpi(BaseModel):
    key: str
    name: str
    unit: str
    value: float | None = Field(description="统计期内的值；没有数据时为空")
    count: int = Field(description="样本数")
    target: float | None
    better: str = Field(description="higher / lower：越高越好或越低越好")
    met: bool | None
    trend: list[KpiPoint]


class LiaisonKpis(BaseModel):
    liaison_id: int | None
    name: str
    on_time: float | None
    response_hours: float | None
    resolution_hours: float | None
    satisfaction: float | None
    shortages: int


class SupplierKpis(BaseModel):
    supplier_id: int
    name: str
    deliveries: int
    on_time_rate: float | None
    average_delay_days: float | None


class Kpis(BaseModel):
    months: list[str]
    first_day: date
    last_day: date
    items: list[Kpi]
    liaisons: list[LiaisonKpis]
    suppliers: list[SupplierKpis]
