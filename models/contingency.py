"""The contingency plan library (应急预案库): one plan per risk type, with ordered steps."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow
from models.enums import RiskType, Role


class ContingencyPlan(SQLModel, table=True):
    __tablename__ = "contingency_plan"
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    risk_type: RiskType = Field(sa_type=enum_column(RiskType), unique=True)
    title: str = Field(max_length=100)
    summary: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return None


class ContingencyStep(SQLModel, table=True):
    __tablename__ = "contingency_step"
    __table_args__ = (sa.UniqueConstraint("plan_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="contingency_plan.id", index=True, ondelete="CASCADE")
    position: int
    action: str = Field(max_length=200)
    role: Role | None = Field(default=None, sa_type=enum_column(Role))

    @property
    def audit_order_id(self) -> int | None:
        return None


class StepIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(min_length=1, max_length=200, description="要做的事")
    role: Role | None = Field(default=None, description="由谁做（角色）")


class PlanCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    risk_type: RiskType
    title: str = Field(min_length=1, max_length=100)
    summary: str = Field(default="", max_length=500)
    steps: list[StepIn] = Field(min_length=1, max_length=30)


class PlanUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=100)
    summary: str | None = Field(default=None, max_length=500)
    steps: list[StepIn] | None = Field(
        default=None, min_length=1, max_length=30, description="替换全部步骤（按顺序）"
    )


class StepPublic(SQLModel):
    position: int
    action: str
    role: Role | None = None
    role_name: str | None = None


class BackupSupplier(SQLModel):
    """The backup supplier a material risk's plan points to."""

    supplier_id: int | None = None
    name: str
    contact: str | None = None


class PlanPublic(SQLModel):
    id: int
    risk_type: RiskType
    risk_type_name: str
    title: str
    summary: str
    steps: list[StepPublic]
    updated_at: datetime


class PlanAdvice(SQLModel):
    """The plan a warning carries, with the material's backup supplier where one is set."""

    plan: PlanPublic
    backup_supplier: BackupSupplier | None = None
