"""The material master (物料), its barcode aliases and warehouse stock."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow
from models.quantities import QUANTITY, QuantityOut

# A code a scanner can carry: no spaces or control characters, at most 64 characters.
MaterialCode = Annotated[
    str, StringConstraints(pattern=r"^[^\s\x00-\x1f\x7f]+$", min_length=1, max_length=64)
]
AliasCode = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class MaterialBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    spec: str = Field(default="", max_length=200, description="规格型号")
    unit: str = Field(default="件", min_length=1, max_length=16)
    is_key: bool = Field(default=False, description="关键物料：定制件、进口设备等，缺料优先预警")
    preferred_supplier_id: int | None = Field(default=None, foreign_key="supplier.id")
    backup_supplier_id: int | None = Field(
        default=None, foreign_key="supplier.id", description="备用供应商（应急预案）"
    )


class Material(MaterialBase, table=True):
    __tablename__ = "material"
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    stock: Decimal = Field(default=Decimal(0), sa_type=QUANTITY, description="仓库现存量")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return None


class MaterialCreate(MaterialBase):
    code: MaterialCode


class MaterialUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    spec: str | None = Field(default=None, max_length=200)
    unit: str | None = Field(default=None, min_length=1, max_length=16)
    is_key: bool | None = None
    preferred_supplier_id: int | None = None
    backup_supplier_id: int | None = None


class MaterialAlias(SQLModel, table=True):
    """A supplier's own barcode content (EAN, Code 128, QR text) bound to one material."""

    __tablename__ = "material_alias"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=256, unique=True, index=True)
    material_id: int = Field(foreign_key="material.id", index=True, ondelete="CASCADE")
    symbology: str | None = Field(default=None, max_length=32)
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id")
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return None


class AliasCreate(SQLModel):
    code: AliasCode = Field(description="扫到的条码内容（wx.scanCode 的 result）")
    material_id: int
    symbology: str | None = Field(
        default=None, max_length=32, description="码制，如 EAN_13、CODE_128、QR_CODE"
    )
    supplier_id: int | None = None


class AliasPublic(SQLModel):
    id: int
    code: str
    material_id: int
    symbology: str | None = None
    supplier_id: int | None = None
    created_at: datetime


class MaterialBrief(SQLModel):
    id: int
    code: str
    name: str
    spec: str
    unit: str
    is_key: bool


class MaterialPublic(MaterialBrief):
    stock: QuantityOut
    preferred_supplier_id: int | None = None
    backup_supplier_id: int | None = None
    aliases: list[AliasPublic] = []
    created_at: datetime
    updated_at: datetime


class MaterialPage(SQLModel):
    items: list[MaterialPublic]
    total: int
    page: int
    per_page: int
