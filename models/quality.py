"""Quality inspection (stage 4): inspections with their defects, and the rework a failed
inspection opens (followed by a re-inspection)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow
from models.enums import DefectSeverity, InspectionKind, InspectionResult, ReworkStatus
from models.inputs import Day, Moment, OptionalWhole, Whole
from models.people import UserBrief
from models.photos import PhotoPublic

MAX_UNITS = 1_000_000_000


class Inspection(SQLModel, table=True):
    """One inspection of a lot: full (every unit) or sampling (a sample of the lot)."""

    __table_args__ = (sa.Index("ix_inspection_order_time", "order_id", "inspected_at"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE")
    kind: InspectionKind = Field(sa_type=enum_column(InspectionKind))
    lot_no: str | None = Field(default=None, max_length=64)
    lot_size: int
    sample_size: int | None = None
    inspected_qty: int
    passed_qty: int
    failed_qty: int
    result: InspectionResult = Field(sa_type=enum_column(InspectionResult))
    inspector_id: int = Field(foreign_key="users.id")
    recorded_by_id: int | None = Field(default=None, foreign_key="users.id")
    inspected_at: datetime = Field(sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class InspectionDefect(SQLModel, table=True):
    __tablename__ = "inspection_defect"

    id: int | None = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True, ondelete="CASCADE")
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    description: str = Field(max_length=500)
    severity: DefectSeverity = Field(sa_type=enum_column(DefectSeverity))
    quantity: int = Field(default=1)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class Rework(SQLModel, table=True):
    """What has to be redone after a failed inspection, by whom and by when."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    inspection_id: int = Field(foreign_key="inspection.id", index=True, ondelete="CASCADE")
    description: str = Field(max_length=1000)
    owner_id: int = Field(foreign_key="users.id")
    due_date: date
    status: ReworkStatus = Field(default=ReworkStatus.open, sa_type=enum_column(ReworkStatus))
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_by_id: int | None = Field(default=None, foreign_key="users.id")
    done_note: str | None = Field(default=None, max_length=1000)
    reinspection_id: int | None = Field(
        default=None, foreign_key="inspection.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class DefectIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=500)
    severity: DefectSeverity
    quantity: Whole = Field(default=1, ge=1, le=MAX_UNITS)
    photo_ids: list[Whole] = Field(default_factory=list, description="先上传到订单照片，再填 ID")


class ReworkIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=1000, description="返工内容")
    owner_id: Whole = Field(description="返工负责人（本订单成员）")
    due_date: Day


class InspectionCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    kind: InspectionKind
    lot_no: str | None = Field(default=None, max_length=64)
    lot_size: Whole = Field(ge=1, le=MAX_UNITS, description="批量")
    sample_size: OptionalWhole = Field(default=None, ge=1, le=MAX_UNITS, description="抽检数量")
    passed_qty: Whole = Field(ge=0, le=MAX_UNITS)
    failed_qty: Whole = Field(ge=0, le=MAX_UNITS)
    result: InspectionResult
    inspector_id: OptionalWhole = Field(default=None, description="检验员，缺省为本人")
    inspected_at: Moment | None = Field(default=None, description="缺省为现在；无时区按本地时间")
    note: str | None = Field(default=None, max_length=2000)
    defects: list[DefectIn] = Field(default_factory=list, max_length=50)
    rework: ReworkIn | None = Field(default=None, description="不合格时必填")
    reinspects_rework_id: OptionalWhole = Field(default=None, description="返工后的复检：返工 ID")


class ReworkDone(SQLModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=1000)


class DefectPublic(SQLModel):
    id: int
    description: str
    severity: DefectSeverity
    severity_name: str
    quantity: int
    photos: list[PhotoPublic]


class ReworkPublic(SQLModel):
    id: int
    inspection_id: int
    description: str
    owner: UserBrief | None = None
    due_date: date
    status: ReworkStatus
    done_at: datetime | None = None
    done_by: UserBrief | None = None
    done_note: str | None = None
    reinspection_id: int | None = None


class InspectionPublic(SQLModel):
    id: int
    order_id: int
    kind: InspectionKind
    lot_no: str | None = None
    lot_size: int
    sample_size: int | None = None
    inspected_qty: int
    passed_qty: int
    failed_qty: int
    result: InspectionResult
    inspector: UserBrief | None = None
    recorded_by: UserBrief | None = None
    inspected_at: datetime
    note: str | None = None
    defects: list[DefectPublic]
    rework: ReworkPublic | None = None
    reinspects_rework_id: int | None = None
