"""Cost centre (成本中心): budget per order and category, hand-entered costs, and the payment
milestones (回款节点) derived from the order's payment terms.

Money is Decimal yuan stored as whole fen."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import sqlalchemy as sa
from pydantic import ConfigDict, StringConstraints
from sqlmodel import Field, SQLModel

from models.base import NOT_BLANK, UTCDateTime, enum_column, utcnow
from models.enums import CostCategory, PaymentStatus, PaymentTrigger
from models.inputs import Day, Flag
from models.people import UserBrief
from models.quantities import (
    MONEY,
    FixedDecimal,
    MoneyIn,
    MoneyOut,
    PositiveMoneyIn,
    QuantityOut,
    exact_decimal_in,
)

Text200 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=NOT_BLANK, max_length=200)
]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
# Percentages of the contract amount, with two places (exact, as whole hundredths).
PERCENT = FixedDecimal(2)


class OrderBudget(SQLModel, table=True):
    __tablename__ = "order_budget"
    __table_args__ = (sa.UniqueConstraint("order_id", "category"),)
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    category: CostCategory = Field(sa_type=enum_column(CostCategory))
    amount: Decimal = Field(sa_type=MONEY)
    updated_by_id: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class CostEntry(SQLModel, table=True):
    """A cost entered by hand (site rental, travel, fees, ...), in any category."""

    __tablename__ = "cost_entry"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    category: CostCategory = Field(sa_type=enum_column(CostCategory))
    amount: Decimal = Field(sa_type=MONEY)
    description: str = Field(max_length=200)
    incurred_on: date
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class PaymentMilestone(SQLModel, table=True):
    __tablename__ = "payment_milestone"
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    name: str = Field(max_length=200)
    trigger: PaymentTrigger = Field(sa_type=enum_column(PaymentTrigger))
    percent: Decimal = Field(sa_type=PERCENT)
    amount: Decimal = Field(sa_type=MONEY)
    due_date: date | None = None
    received_amount: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    received_on: date | None = None
    status: PaymentStatus = Field(default=PaymentStatus.pending, sa_type=enum_column(PaymentStatus))
    note: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


# --- input ----------------------------------------------------------------------------------


class BudgetIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    material: MoneyIn | None = Field(default=None, description="材料预算（元）")
    labour: MoneyIn | None = Field(default=None, description="人工预算（元）")
    logistics: MoneyIn | None = Field(default=None, description="物流预算（元）")
    other: MoneyIn | None = Field(default=None, description="其他预算（元）")


class CostEntryIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    category: CostCategory = CostCategory.other
    amount: PositiveMoneyIn = Field(description="金额（元），两位小数")
    description: Text200 = Field(description="费用说明")
    incurred_on: Day | None = Field(default=None, description="发生日期，缺省为今天")


PercentIn = Annotated[Decimal, *exact_decimal_in(2, Decimal(100), positive=True)]


class MilestoneIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    name: Text200
    trigger: PaymentTrigger = PaymentTrigger.other
    percent: PercentIn = Field(description="占合同金额的百分比")
    due_date: Day | None = None
    note: Text500 = ""


class MilestonePlanIn(SQLModel):
    """The whole plan at once: percentages must add up to 100."""

    model_config = ConfigDict(extra="forbid")

    contract_amount: MoneyIn | None = Field(
        default=None, description="合同金额（元）；缺省用订单上的合同金额"
    )
    items: list[MilestoneIn] = Field(min_length=1, max_length=20)


class MilestoneGenerateIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    contract_amount: MoneyIn | None = Field(
        default=None, description="合同金额（元）；缺省用订单上的合同金额"
    )
    replace: Flag = Field(default=False, description="已有回款节点时是否重新生成")


class PaymentIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    amount: PositiveMoneyIn = Field(description="本次到账金额（元）")
    received_on: Day | None = Field(default=None, description="到账日期，缺省为今天")
    note: Text500 = ""


class MilestoneUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    name: Text200 | None = None
    due_date: Day | None = None
    note: Text500 | None = None


# --- output ---------------------------------------------------------------------------------


class CategoryCost(SQLModel):
    category: CostCategory
    name: str
    budget: MoneyOut | None
    actual: MoneyOut
    remaining: MoneyOut | None
    used_percent: float | None = Field(description="实际占预算的百分比（仅用于显示）")
    over_budget: bool


class MaterialCostLine(SQLModel):
    purchase_line_id: int
    material: str
    supplier: str
    unit_price: MoneyOut | None
    quantity: QuantityOut
    received: QuantityOut
    amount: MoneyOut


class LabourCostLine(SQLModel):
    kind: str = Field(description="report 日报工时 / day_labour 点工")
    who: str
    role: str | None
    hours: Decimal
    rate: MoneyOut
    amount: MoneyOut


class CostEntryPublic(SQLModel):
    id: int
    category: CostCategory
    category_name: str
    amount: MoneyOut
    description: str
    incurred_on: date
    created_by: UserBrief | None = None
    created_at: datetime


class ShipmentCostLine(SQLModel):
    shipment_id: int
    destination: str
    carrier: str | None
    freight_cost: MoneyOut
    insurance_cost: MoneyOut
    amount: MoneyOut


class CostReport(SQLModel):
    order_id: int
    total_budget: MoneyOut | None
    total_actual: MoneyOut
    over_budget: bool
    categories: list[CategoryCost]
    material_lines: list[MaterialCostLine]
    unpriced_lines: int = Field(description="没有单价的采购行数（未计入材料成本）")
    labour_lines: list[LabourCostLine]
    shipment_lines: list[ShipmentCostLine]
    entries: list[CostEntryPublic]


class MilestonePublic(SQLModel):
    id: int
    position: int
    name: str
    trigger: PaymentTrigger
    trigger_name: str
    percent: Decimal
    amount: MoneyOut
    due_date: date | None
    received_amount: MoneyOut
    received_on: date | None
    status: PaymentStatus
    status_name: str
    overdue: bool
    outstanding: MoneyOut
    note: str


class FundView(SQLModel):
    order_id: int
    contract_amount: MoneyOut | None
    receivable: MoneyOut = Field(description="应收合计")
    received: MoneyOut = Field(description="已收合计")
    outstanding: MoneyOut = Field(description="未收合计")
    overdue: MoneyOut = Field(description="逾期未收")
    items: list[MilestonePublic]


class OverBudget(SQLModel):
    order_id: int
    order_code: str
    category: CostCategory
    budget: MoneyOut
    actual: MoneyOut
    owner_id: int | None = Field(description="跟单联络人")


class OverduePayment(SQLModel):
    order_id: int
    order_code: str
    milestone_id: int
    name: str
    due_date: date
    outstanding: MoneyOut
    days_overdue: int
    owner_id: int | None = Field(description="跟单联络人")
