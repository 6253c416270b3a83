"""What the dashboard and the standup read about production: plan vs actual with the
bottleneck, the Kanban board and the Gantt bars (computed, never stored)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from models.enums import OperationColumn, StageKind, StageStatus


class DaySeries(BaseModel):
    """Plan vs actual day by day, as parallel columns (the shape chart libraries take)."""

    days: list[date] = Field(default_factory=list)
    planned: list[float] = Field(default_factory=list, description="当日计划量")
    actual: list[float] = Field(default_factory=list, description="当日实际产量")
    planned_cum: list[float] = Field(default_factory=list, description="累计计划量")
    actual_cum: list[float] = Field(default_factory=list, description="累计实际产量")


class OperationStanding(BaseModel):
    id: int
    name: str
    unit: str
    seq: int
    weight: int
    planned_qty: float
    planned_start: date
    planned_end: date
    depends_on: list[int]
    planned_day: float = Field(description="当日计划量")
    actual_day: float = Field(description="当日实际产量")
    planned_cum: float = Field(description="截至当日累计计划量")
    actual_cum: float = Field(description="截至当日累计实际产量")
    lag: float = Field(description="落后计划的数量（超前为 0）")
    lag_share: float = Field(description="落后数量占计划数量的比例")
    impact: int = Field(description="自身与全部下游工序的权重之和")
    score: float = Field(description="瓶颈得分 = lag_share × impact")
    percent: int = Field(description="完成率 %")
    column: OperationColumn
    column_name: str
    blocked_reason: str | None = None
    series: DaySeries = Field(description="从首个计划或填报日起，逐日计划与实际（含累计）")


class Bottleneck(BaseModel):
    operation_id: int
    name: str
    lag: float
    lag_share: float
    impact: int
    score: float
    summary: str


class ProductionOverview(BaseModel):
    order_id: int
    day: date
    progress: int = Field(description="按工序权重计算的实际完成率 %")
    planned_progress: int = Field(description="截至当日按计划应完成的比例 %")
    bottleneck: Bottleneck | None = None
    operations: list[OperationStanding]


class KanbanCard(BaseModel):
    id: int
    name: str
    unit: str
    planned_qty: float
    actual_cum: float
    percent: int
    planned_start: date
    planned_end: date
    late: bool = Field(description="已过计划结束日期仍未完成")
    blocked_reason: str | None = None
    is_bottleneck: bool


class KanbanColumn(BaseModel):
    key: OperationColumn
    name: str
    cards: list[KanbanCard]


class Kanban(BaseModel):
    order_id: int
    day: date
    columns: list[KanbanColumn]


class GanttStageBar(BaseModel):
    kind: StageKind
    name: str
    status: StageStatus
    progress: int
    planned_start: date | None = None
    planned_end: date | None = None
    actual_start: date | None = None
    actual_end: date | None = None


class GanttOperationBar(BaseModel):
    id: int
    name: str
    progress: int
    column: OperationColumn
    depends_on: list[int]
    planned_start: date
    planned_end: date
    actual_start: date | None = Field(default=None, description="首次报产量的日期")
    actual_end: date | None = Field(default=None, description="累计产量达到计划量的日期")


class Gantt(BaseModel):
    order_id: int
    day: date
    stages: list[GanttStageBar]
    operations: list[GanttOperationBar]
