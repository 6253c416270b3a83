"""The material master (物料), its barcode aliases and warehouse stock."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import sqlalchemy as sa
from pydantic import ConfigDict, StringConstraints
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from models.base import BLANK, Omissible, UTCDateTime, utcnow
from models.inputs import NOT_A_BOOL, Flag, OptionalWhole, Whole
from models.quantities import QUANTITY, QUANTITY_PLACES, QuantityOut

# A code a scanner can carry: no spaces or control characters, at most 64 characters.
MaterialCode = Annotated[
    str, StringConstraints(pattern=rf"^[^{BLANK}\x00-\x1f\x7f]+$", min_length=1, max_length=64)
]
AliasCode = Annotated[str, StringConstraints(min_length=1, max_length=256)]

# Units counted in whole pieces: a quantity in them is a whole number unless the material says
# otherwise (quantity_places). Every other unit (kg, m, L, m², 吨, ...) takes three places.
COUNT_UNITS = frozenset(
    {"件", "台", "套", "个", "只", "根", "块", "张", "把", "支", "条", "组", "副", "对", "片"}
    | {"箱", "盒", "包", "袋", "桶", "卷", "pcs", "pc", "set", "ea"}
)


# The bounds before the validator: the other way round the document loses them.
QuantityPlaces = Annotated[int, PField(ge=0, le=QUANTITY_PLACES), NOT_A_BOOL]


def default_places(unit: str) -> int:
    """How many decimal places a quantity in this unit takes by default: 0 for count units."""
    return 0 if unit.strip().lower() in COUNT_UNITS else QUANTITY_PLACES


class MaterialBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    spec: str = Field(default="", max_length=200, description="规格型号")
    unit: str = Field(default="件", min_length=1, max_length=16)
    is_key: Flag = Field(default=False, description="关键物料：定制件、进口设备等，缺料优先预警")
    preferred_supplier_id: OptionalWhole = Field(default=None, foreign_key="supplier.id")
    backup_supplier_id: OptionalWhole = Field(
        default=None, foreign_key="supplier.id", description="备用供应商（应急预案）"
    )


class Material(MaterialBase, table=True):
    __tablename__ = "material"
    __audit_exclude__ = frozenset({"updated_at"})
    # A scanned or typed code that is not exact is looked up in any case (`upper(code)`).
    __table_args__ = (sa.Index("ix_material_code_upper", sa.text("upper(code)")),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    stock: Decimal = Field(default=Decimal(0), sa_type=QUANTITY, description="仓库现存量")
    quantity_places: int = Field(default=QUANTITY_PLACES, sa_column_kwargs={"server_default": "3"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return None


_PLACES_HELP = "数量小数位数（0-3）；不填则按单位：件、台、套等计数单位为 0（整数），其他为 3"


class MaterialCreate(MaterialBase):
    model_config = ConfigDict(extra="forbid")
    code: MaterialCode
    quantity_places: QuantityPlaces | None = Field(default=None, description=_PLACES_HELP)


class MaterialUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    # Left out, not null: these cannot be cleared ("" is no spec).
    name: str = Omissible(min_length=1, max_length=200)
    spec: str = Omissible(max_length=200)
    unit: str = Omissible(min_length=1, max_length=16)
    is_key: Flag = Omissible()
    preferred_supplier_id: OptionalWhole = None
    backup_supplier_id: OptionalWhole = None
    quantity_places: QuantityPlaces | None = Field(
        default=None, description=_PLACES_HELP + "；改单位而不填时按新单位"
    )


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
    model_config = ConfigDict(extra="forbid")
    code: AliasCode = Field(description="扫到的条码内容（wx.scanCode 的 result）")
    material_id: Whole
    symbology: str | None = Field(
        default=None, max_length=32, description="码制，如 EAN_13、CODE_128、QR_CODE"
    )
    supplier_id: OptionalWhole = None


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
    quantity_places: int = Field(description="数量小数位数：0 为整数")
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
