"""Shipment plan (stage 4): packaging, handling, insurance, carrier and vehicle, dates, the
remote-site checklist, status from planned to delivered, proof of delivery."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from models.base import Mobile, UTCDateTime, enum_column, utcnow
from models.checklists import CheckFields
from models.enums import ShipmentStatus, SiteCheckKind
from models.inputs import Day, Flag, OptionalFlag, Whole
from models.people import UserBrief
from models.photos import PhotoPublic
from models.quantities import MONEY, MoneyIn, MoneyOut


class ShipmentFields(SQLModel):
    """The plan a logistics member fills in (all of it editable until delivery)."""

    destination: str = Field(default="", max_length=200, description="收货地点")
    remote_site: Flag = Field(default=False, description="偏远现场：发车前须完成现场检查清单")
    packaging: str = Field(default="", max_length=1000, description="包装方式")
    handling: str = Field(default="", max_length=1000, description="装卸要求")
    insurer: str | None = Field(default=None, max_length=100)
    policy_no: str | None = Field(default=None, max_length=64)
    insured_amount: MoneyIn | None = Field(default=None, sa_type=MONEY, description="保额（元）")
    carrier: str | None = Field(default=None, max_length=100, description="承运商")
    vehicle_plate: str | None = Field(default=None, max_length=16)
    driver_name: str | None = Field(default=None, max_length=50)
    driver_phone: str | None = Field(default=None, max_length=20)
    lifting_capacity_t: float | None = Field(
        default=None, gt=0, le=100000, description="现场吊装能力（吨）"
    )
    planned_dispatch: Day | None = None
    planned_arrival: Day | None = None
    note: str | None = Field(default=None, max_length=2000)
    freight_cost: MoneyIn | None = Field(default=None, sa_type=MONEY, description="运费（元）")
    insurance_cost: MoneyIn | None = Field(default=None, sa_type=MONEY, description="保费（元）")


class Shipment(ShipmentFields, table=True):
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    status: ShipmentStatus = Field(
        default=ShipmentStatus.planned, sa_type=enum_column(ShipmentStatus)
    )
    actual_dispatch: date | None = None
    actual_arrival: date | None = None
    receiver_name: str | None = Field(default=None, max_length=50)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class ShipmentCreate(ShipmentFields):
    model_config = ConfigDict(extra="forbid")
    driver_phone: Mobile | None = None


class ShipmentUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    destination: str | None = Field(default=None, max_length=200)
    remote_site: OptionalFlag = None
    packaging: str | None = Field(default=None, max_length=1000)
    handling: str | None = Field(default=None, max_length=1000)
    insurer: str | None = Field(default=None, max_length=100)
    policy_no: str | None = Field(default=None, max_length=64)
    insured_amount: MoneyIn | None = None
    carrier: str | None = Field(default=None, max_length=100)
    vehicle_plate: str | None = Field(default=None, max_length=16)
    driver_name: str | None = Field(default=None, max_length=50)
    driver_phone: Mobile | None = None
    lifting_capacity_t: float | None = Field(default=None, gt=0, le=100000)
    planned_dispatch: Day | None = None
    planned_arrival: Day | None = None
    note: str | None = Field(default=None, max_length=2000)
    freight_cost: MoneyIn | None = None
    insurance_cost: MoneyIn | None = None


class ShipmentAdvance(SQLModel):
    model_config = ConfigDict(extra="forbid")
    status: ShipmentStatus = Field(description="目标状态，只能向前")
    receiver_name: str | None = Field(
        default=None, min_length=1, max_length=50, description="签收人（签收时必填）"
    )
    photo_ids: list[Whole] = Field(default_factory=list, description="签收照片（签收时必填）")
    note: str | None = Field(default=None, max_length=500)


class ShipmentCheck(CheckFields, table=True):
    """One item of a remote site's checklist: site conditions, lifting, customs papers."""

    __tablename__ = "shipment_check"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True, ondelete="CASCADE")
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    kind: SiteCheckKind = Field(sa_type=enum_column(SiteCheckKind))

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class ShipmentCheckIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    kind: SiteCheckKind
    title: str = Field(min_length=1, max_length=200)


class ShipmentCheckUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    done: Flag
    note: str | None = Field(default=None, max_length=500)


class ShipmentCheckPublic(SQLModel):
    id: int
    kind: SiteCheckKind
    title: str
    done: bool
    done_by: UserBrief | None = None
    done_at: datetime | None = None
    note: str | None = None


class ShipmentPublic(ShipmentFields):
    insured_amount: MoneyOut | None = None
    freight_cost: MoneyOut | None = None
    insurance_cost: MoneyOut | None = None
    id: int
    order_id: int
    status: ShipmentStatus
    status_name: str
    actual_dispatch: date | None = None
    actual_arrival: date | None = None
    receiver_name: str | None = None
    delivered_at: datetime | None = None
    created_by: UserBrief | None = None
    created_at: datetime
    checks: list[ShipmentCheckPublic]
    delivery_photos: list[PhotoPublic]
