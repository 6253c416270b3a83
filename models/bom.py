"""Bill of materials (BOM, 物料清单) lines of an order: what is needed, by when, what arrived."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow
from models.inputs import Day, OptionalWhole, Whole
from models.materials import MaterialBrief
from models.purchasing import PurchaseLinePublic
from models.quantities import QUANTITY, QuantityIn, QuantityOut

DEFAULT_WARNING_DAYS = 7
MAX_WARNING_DAYS = 365


class BomLine(SQLModel, table=True):
    """One material of an order's BOM; an order lists each material once."""

    __tablename__ = "bom_line"
    __table_args__ = (sa.UniqueConstraint("order_id", "material_id"),)
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    material_id: int = Field(foreign_key="material.id", index=True)
    needed: Decimal = Field(sa_type=QUANTITY)
    need_date: date
    warning_days: int | None = Field(default=None, description="缺料预警提前天数；空则为默认 7 天")
    received: Decimal = Field(default=Decimal(0), sa_type=QUANTITY)
    issued: Decimal = Field(default=Decimal(0), sa_type=QUANTITY)
    position: int = Field(default=0)
    note: str = Field(default="", max_length=500)
    last_received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id

    @property
    def missing(self) -> Decimal:
        return max(self.needed - self.received, Decimal(0))


class BomLineCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    material_id: Whole
    needed: QuantityIn
    need_date: Day
    warning_days: OptionalWhole = Field(default=None, ge=0, le=MAX_WARNING_DAYS)
    note: str = Field(default="", max_length=500)


class BomLineUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    needed: QuantityIn | None = None
    need_date: Day | None = None
    warning_days: OptionalWhole = Field(default=None, ge=0, le=MAX_WARNING_DAYS)
    note: str | None = Field(default=None, max_length=500)


class BomLinePublic(SQLModel):
    id: int
    order_id: int
    material: MaterialBrief
    needed: QuantityOut
    received: QuantityOut
    issued: QuantityOut
    missing: QuantityOut
    need_date: date
    warning_days: int | None
    effective_warning_days: int
    note: str
    last_received_at: datetime | None = None
    purchases: list[PurchaseLinePublic]


class BomList(SQLModel):
    items: list[BomLinePublic]


class ImportProblem(SQLModel):
    row: int = Field(description="表格中的行号（表头为第 1 行）")
    column: str = Field(description="列名；整行问题为空")
    reason: str


class BomImportResult(SQLModel):
    dry_run: bool
    added: int
    updated: int
    created_materials: list[str] = Field(description="本次新建的物料编码")
    warnings: list[ImportProblem]
