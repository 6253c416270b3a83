"""Purchase order lines (采购单) against BOM lines, and the history of promised dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow
from models.enums import PurchaseStatus
from models.inputs import Day, Flag, Whole
from models.people import UserBrief
from models.quantities import MONEY, QUANTITY, MoneyIn, MoneyOut, QuantityIn, QuantityOut
from models.suppliers import SupplierBrief


class PurchaseLine(SQLModel, table=True):
    __tablename__ = "purchase_line"
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    bom_line_id: int = Field(foreign_key="bom_line.id", index=True, ondelete="CASCADE")
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    po_no: str = Field(default="", max_length=64, description="采购单号")
    quantity: Decimal = Field(sa_type=QUANTITY)
    unit_price: Decimal | None = Field(default=None, sa_type=MONEY, description="单价（元）")
    promised_date: date | None = None
    status: PurchaseStatus = Field(
        default=PurchaseStatus.ordered, sa_type=enum_column(PurchaseStatus), index=True
    )
    status_note: str = Field(default="", max_length=500)
    received: Decimal = Field(default=Decimal(0), sa_type=QUANTITY)
    arrived_on: date | None = None
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class PromisedDateChange(SQLModel, table=True):
    """Every promised date a supplier gave for a line, first promise included (old_date empty):
    the history that delay prediction learns from."""

    __tablename__ = "promised_date_change"

    id: int | None = Field(default=None, primary_key=True)
    purchase_line_id: int = Field(foreign_key="purchase_line.id", index=True, ondelete="CASCADE")
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    old_date: date | None = None
    new_date: date
    reason: str = Field(max_length=500)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    changed_by_id: int | None = Field(default=None, foreign_key="users.id")


class PurchaseLineCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    supplier_id: Whole
    quantity: QuantityIn
    unit_price: MoneyIn | None = Field(default=None, description="单价（元），两位小数")
    promised_date: Day | None = None
    po_no: str = Field(default="", max_length=64)
    status: PurchaseStatus = Field(
        default=PurchaseStatus.ordered, description="下单时的状态：ordered 或 confirmed"
    )


class PurchaseLineUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    quantity: QuantityIn | None = None
    unit_price: MoneyIn | None = Field(default=None, description="单价（元），两位小数")
    po_no: str | None = Field(default=None, max_length=64)
    promised_date: Day | None = None
    reason: str | None = Field(
        default=None, min_length=1, max_length=500, description="修改承诺日期时必填"
    )


class PurchaseStatusIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    status: PurchaseStatus
    promised_date: Day | None = Field(default=None, description="延期时必填：新的承诺日期")
    reason: str | None = Field(default=None, min_length=1, max_length=500)
    arrived_on: Day | None = Field(default=None, description="到货日期；缺省为今天")
    received_quantity: QuantityIn | None = Field(
        default=None,
        description="手工收货：本次实收数量（未扫码入库时标记到货必填），计入 BOM 行和库存",
    )
    confirm_over: Flag = Field(default=False, description="确认超收（手工收货超出需求时）")


class PurchaseLinePublic(SQLModel):
    id: int
    order_id: int
    bom_line_id: int
    supplier: SupplierBrief
    po_no: str
    quantity: QuantityOut
    unit_price: MoneyOut | None = None
    promised_date: date | None = None
    status: PurchaseStatus
    status_name: str
    status_note: str
    received: QuantityOut
    arrived_on: date | None = None
    created_at: datetime
    delay_probability: float | None = Field(
        default=None, description="晚于需求日到货的预测概率（0–1；未到货且有承诺日的行）"
    )
    delay_basis: str | None = Field(default=None, description="预测依据")


class PurchaseList(SQLModel):
    items: list[PurchaseLinePublic]


class PromisedDateChangePublic(SQLModel):
    id: int
    purchase_line_id: int
    supplier_id: int
    old_date: date | None
    new_date: date
    reason: str
    changed_at: datetime
    changed_by: UserBrief | None = None


class PromisedDateHistory(SQLModel):
    items: list[PromisedDateChangePublic]
