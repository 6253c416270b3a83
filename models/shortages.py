"""Shortages (缺料): open BOM lines inside their warning window that are not secured."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from models.quantities import QuantityOut


class ShortagePublic(BaseModel):
    bom_line_id: int
    order_id: int
    order_code: str
    material_id: int
    material_code: str
    material_name: str
    unit: str
    is_key: bool
    needed: QuantityOut
    received: QuantityOut
    incoming: QuantityOut = Field(description="已确认/已发货/运输中且承诺在需求日前到货的数量")
    secured: QuantityOut = Field(description="已收 + 在途可保障数量")
    short: QuantityOut = Field(description="缺口数量")
    need_date: date
    warn_from: date = Field(description="预警开始日（需求日 - 预警天数）")
    days_left: int = Field(description="距需求日天数；负数为已超期")
    escalated: bool = Field(description="需求日已过仍未保障，需升级处理")
    backup_supplier_id: int | None = None
    backup_supplier_name: str | None = None


class ShortageList(BaseModel):
    items: list[ShortagePublic]
    total: int
    key_total: int
    escalated_total: int
