"""Warehouse scans (扫码): receipts, issues to production and stock checks, one row per scan.

A scan row is the ledger entry of what the scan did; the BOM line and stock changes it caused
are in the change log. `client_id` makes a scan idempotent: the phone generates it once, and
a resend returns the stored `result` instead of counting again.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import AliasChoices, BaseModel, ConfigDict
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow
from models.enums import ScanAction
from models.inputs import AwareMoment, Flag, OptionalWhole
from models.materials import MaterialBrief
from models.quantities import QUANTITY, CountIn, QuantityOut

MAX_BATCH = 500


class Scan(SQLModel, table=True):
    __tablename__ = "scan"

    id: int | None = Field(default=None, primary_key=True)
    client_id: uuid.UUID = Field(sa_type=sa.Uuid, unique=True)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    action: ScanAction = Field(sa_type=enum_column(ScanAction))
    raw_text: str = Field(max_length=512)
    scan_type: str | None = Field(default=None, max_length=32)
    material_id: int | None = Field(default=None, foreign_key="material.id", index=True)
    order_id: int | None = Field(
        default=None, foreign_key="orders.id", index=True, ondelete="CASCADE"
    )
    bom_line_id: int | None = Field(default=None, foreign_key="bom_line.id", ondelete="CASCADE")
    quantity: Decimal | None = Field(default=None, sa_type=QUANTITY)
    lot: str | None = Field(default=None, max_length=64)
    fingerprint: str = Field(max_length=64, description="请求内容摘要，用于识别重复提交")
    result: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    scanned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScanIn(BaseModel):
    """One scan as the phone sends it: what wx.scanCode / dd.biz.util.scan returned, plus
    what the worker wants to do with it."""

    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID = PField(description="手机端为每次扫码生成的 UUID；重发同一扫码只计一次")
    result: str = PField(max_length=4096, description="扫码结果文本（wx.scanCode 的 result）")
    scan_type: str | None = PField(
        default=None,
        max_length=32,
        pattern=r"^[A-Za-z0-9_ -]*$",
        validation_alias=AliasChoices("scan_type", "scanType"),
        description="码制（wx.scanCode 的 scanType，如 EAN_13、QR_CODE）",
    )
    action: ScanAction = PField(description="receive 入库、issue 发料、stock_check 盘点")
    quantity: CountIn | None = PField(
        default=None, description="数量；标签上带数量时可省略；盘点时为实盘数量（可为 0）"
    )
    order_id: OptionalWhole = PField(
        default=None, description="指定订单（多个订单都缺该物料时选择）"
    )
    confirm_over: Flag = PField(default=False, description="确认超收/超发")
    new_delivery: Flag = PField(
        default=False, description="确认同一批次标签是新到的一批货（否则同批次只入库一次）"
    )
    scanned_at: AwareMoment | None = PField(default=None, description="离线扫码时的扫码时间")


class OrderRef(BaseModel):
    id: int
    code: str


class KeyMaterials(BaseModel):
    total: int
    complete: int
    all_complete: bool


class ScanResult(BaseModel):
    client_id: uuid.UUID
    action: ScanAction
    action_name: str
    message: str
    duplicate: bool = PField(default=False, description="该 client_id 已处理过，返回的是原结果")
    content_differs: bool = PField(default=False, description="重复提交的内容与原扫码不同")
    material: MaterialBrief
    order: OrderRef | None = None
    bom_line_id: int | None = None
    quantity: QuantityOut | None = None
    lot: str | None = None
    received: QuantityOut | None = None
    needed: QuantityOut | None = None
    missing: QuantityOut | None = None
    issued: QuantityOut | None = None
    over: bool = PField(default=False, description="本次为确认后的超收/超发")
    stock: QuantityOut
    stock_before: QuantityOut | None = None
    key_materials: KeyMaterials | None = None
    procurement_progress: int | None = None
    recorded_at: datetime


class ScanBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scans: list[Any] = PField(
        description=f"离线队列中的扫码记录（每条格式同单次扫码），最多 {MAX_BATCH} 条",
        json_schema_extra={"maxItems": MAX_BATCH},
    )


class ScanError(BaseModel):
    code: str
    message: str
    details: dict[str, Any] | None = None


class ScanOutcome(BaseModel):
    index: int
    client_id: str | None = None
    ok: bool
    status: int
    result: ScanResult | None = None
    error: ScanError | None = None


class ScanBatchResult(BaseModel):
    items: list[ScanOutcome]
    applied: int
    duplicates: int
    failed: int


class OpenNeed(BaseModel):
    order_id: int
    order_code: str
    bom_line_id: int
    needed: QuantityOut
    received: QuantityOut
    missing: QuantityOut
    need_date: date


class DecodedCode(BaseModel):
    format: str
    text: str
    kind: str = PField(description="material 物料、order 订单、unknown 未知、invalid 无效")
    material: MaterialBrief | None = None
    order: OrderRef | None = None
    lot: str | None = None
    quantity: QuantityOut | None = None
    open_needs: list[OpenNeed] = []
    error: ScanError | None = None


class PhotoScanResult(BaseModel):
    message: str
    items: list[DecodedCode]
