"""Production (stage 3): operation templates, an order's operations, their dependencies and
the daily output reported against them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import ConfigDict, WithJsonSchema
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow
from models.inputs import NOT_A_BOOL, Day, Flag, OptionalWhole, Whole
from models.people import UserBrief

MAX_QTY = 1_000_000_000
Weekday = Annotated[int, PydanticField(ge=1, le=7), NOT_A_BOOL]
PlanQty = Annotated[float, PydanticField(ge=0, le=MAX_QTY)]
# A calendar date as YYYY-MM-DD, leap days included: the document states the keys of a daily
# plan with it (schemathesis generates keys from patternProperties, not from propertyNames).
DATE_PATTERN = (
    r"^(?!0000)(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)$"
)
# A plan by day: the keys are dates (YYYY-MM-DD), which the document states as well.
DailyPlanIn = Annotated[
    dict[date, PlanQty],
    WithJsonSchema(
        {
            "type": "object",
            "patternProperties": {
                DATE_PATTERN: {"type": "number", "minimum": 0, "maximum": MAX_QTY}
            },
            "additionalProperties": False,
        },
        mode="validation",
    ),
]
# Monday to Saturday: the usual week of a fabrication shop; each operation may change it.
DEFAULT_WORK_WEEKDAYS = [1, 2, 3, 4, 5, 6]


class OperationTemplate(SQLModel, table=True):
    """A process step new orders can start from (admins edit them)."""

    __tablename__ = "operation_template"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50)
    unit: str = Field(default="件", max_length=16)
    position: int = Field(default=0)
    weight: int = Field(default=1)
    depends_on: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    active: bool = Field(default=True)

    @property
    def audit_order_id(self) -> int | None:
        return None


class OperationTemplateIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=50)
    unit: str = Field(default="件", min_length=1, max_length=16)
    position: Whole = Field(default=0, ge=0, le=10000)
    weight: Whole = Field(default=1, ge=1, le=100, description="在生产进度中的权重")
    depends_on: list[Whole] = Field(default_factory=list, description="前道工序模板 ID")


class OperationTemplateUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=50)
    unit: str | None = Field(default=None, min_length=1, max_length=16)
    position: OptionalWhole = Field(default=None, ge=0, le=10000)
    weight: OptionalWhole = Field(default=None, ge=1, le=100)
    depends_on: list[Whole] | None = None


class OperationTemplatePublic(SQLModel):
    id: int
    name: str
    unit: str
    position: int
    weight: int
    depends_on: list[int]


class Operation(SQLModel, table=True):
    """One process step of one order, planned as a quantity over a span of days."""

    __table_args__ = (sa.UniqueConstraint("order_id", "name"),)
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    template_id: int | None = Field(default=None, foreign_key="operation_template.id")
    name: str = Field(max_length=50)
    seq: int = Field(default=0)
    unit: str = Field(default="件", max_length=16)
    planned_qty: float
    planned_start: date
    planned_end: date
    weight: int = Field(default=1)
    work_weekdays: list[int] = Field(
        default_factory=lambda: list(DEFAULT_WORK_WEEKDAYS), sa_type=sa.JSON
    )
    daily_plan: dict[str, float] | None = Field(default=None, sa_type=sa.JSON)
    blocked: bool = Field(default=False)
    blocked_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class OperationLink(SQLModel, table=True):
    """The upstream operation feeds the downstream one (an edge of the order's DAG)."""

    __tablename__ = "operation_link"
    __table_args__ = (sa.UniqueConstraint("upstream_id", "downstream_id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    upstream_id: int = Field(foreign_key="operation.id", ondelete="CASCADE")
    downstream_id: int = Field(foreign_key="operation.id", index=True, ondelete="CASCADE")

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class OperationCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=50)
    unit: str = Field(default="件", min_length=1, max_length=16)
    planned_qty: float = Field(gt=0, le=MAX_QTY)
    planned_start: Day
    planned_end: Day
    seq: OptionalWhole = Field(default=None, ge=0, le=10000, description="缺省排在最后")
    weight: Whole = Field(default=1, ge=1, le=100, description="在生产进度中的权重")
    work_weekdays: list[Weekday] = Field(
        default_factory=lambda: list(DEFAULT_WORK_WEEKDAYS),
        min_length=1,
        max_length=7,
        description="工作日（1=周一 … 7=周日），计划量在这些日子上平均分配",
    )
    daily_plan: DailyPlanIn | None = Field(
        default=None, description="逐日计划量（可选）；合计须等于计划数量"
    )
    depends_on: list[Whole] = Field(default_factory=list, description="前道工序 ID")
    template_id: OptionalWhole = None


class OperationUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=50)
    unit: str | None = Field(default=None, min_length=1, max_length=16)
    planned_qty: float | None = Field(default=None, gt=0, le=MAX_QTY)
    planned_start: Day | None = None
    planned_end: Day | None = None
    seq: OptionalWhole = Field(default=None, ge=0, le=10000)
    weight: OptionalWhole = Field(default=None, ge=1, le=100)
    work_weekdays: list[Weekday] | None = Field(default=None, min_length=1, max_length=7)
    daily_plan: DailyPlanIn | None = None
    depends_on: list[Whole] | None = None


class OperationsFromTemplates(SQLModel):
    model_config = ConfigDict(extra="forbid")
    template_ids: list[Whole] | None = Field(default=None, description="缺省为全部启用的模板")
    planned_qty: float = Field(gt=0, le=MAX_QTY)
    planned_start: Day | None = Field(default=None, description="缺省为生产阶段计划开始日期")
    planned_end: Day | None = Field(default=None, description="缺省为生产阶段计划结束日期")


class OperationBlock(SQLModel):
    model_config = ConfigDict(extra="forbid")
    blocked: Flag
    reason: str | None = Field(default=None, max_length=500, description="标记受阻时必填")


class OperationPublic(SQLModel):
    id: int
    order_id: int
    template_id: int | None = None
    name: str
    seq: int
    unit: str
    planned_qty: float
    planned_start: date
    planned_end: date
    weight: int
    work_weekdays: list[int]
    daily_plan: dict[date, float] | None = None
    depends_on: list[int]
    blocked: bool
    blocked_reason: str | None = None


class OperationOutput(SQLModel, table=True):
    """What one operation produced on one day (one row per operation and day)."""

    __tablename__ = "operation_output"
    __table_args__ = (sa.UniqueConstraint("operation_id", "day"),)
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    operation_id: int = Field(foreign_key="operation.id", index=True, ondelete="CASCADE")
    day: date
    quantity: float
    reporter_id: int | None = Field(default=None, foreign_key="users.id")
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class OutputIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    day: Day = Field(description="产量所属日期，不能是未来日期")
    quantity: float = Field(ge=0, le=MAX_QTY)
    note: str | None = Field(default=None, max_length=500)


class OutputPublic(SQLModel):
    id: int
    operation_id: int
    day: date
    quantity: float
    reporter: UserBrief | None = None
    note: str | None = None
    created_at: datetime
    updated_at: datetime
