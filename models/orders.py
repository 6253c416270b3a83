"""Orders, their members, and the order review record (订单评审记录表) with its sign-offs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import ConfigDict, StringConstraints
from sqlmodel import Field, SQLModel

from models.base import NOT_BLANK, Omissible, OrderCode, UTCDateTime, enum_column, utcnow
from models.enums import OrderStatus, Priority, ReviewStatus, Role, SignoffStatus, StageKind
from models.inputs import Day, Flag, OptionalWhole, Whole
from models.people import DepartmentPublic, UserBrief
from models.quantities import MONEY, MoneyIn, MoneyOut


class OrderBase(SQLModel):
    customer: str = Field(min_length=1, max_length=200)
    contract_no: str = Field(min_length=1, max_length=64)
    delivery_date: Day
    payment_terms: str = Field(default="", max_length=2000)
    tech_params: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)
    special_requirements: str = Field(default="", max_length=4000)
    priority: Priority = Field(default=Priority.normal, sa_type=enum_column(Priority))


class Order(OrderBase, table=True):
    __tablename__ = "orders"
    __audit_exclude__ = frozenset({"updated_at"})
    # Chat commands and scanned labels name an order by its code in any case
    # (`upper(code) = :code`): without this index that lookup read the whole table.
    __table_args__ = (sa.Index("ix_orders_code_upper", sa.text("upper(code)")),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    status: OrderStatus = Field(
        default=OrderStatus.draft, sa_type=enum_column(OrderStatus), index=True
    )
    liaison_id: int | None = Field(default=None, foreign_key="users.id")
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    actual_delivery_date: date | None = None
    cancel_reason: str | None = Field(default=None, max_length=500)
    contract_amount: Decimal | None = Field(default=None, sa_type=MONEY)
    review_departments: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.id


# A department code as the review list takes it: blanks around are trimmed, so one that is all
# blanks is none (the service refused such a list with a 422 the document did not show).
DepartmentCode = Annotated[str, StringConstraints(pattern=NOT_BLANK, max_length=32)]


class OrderCreate(OrderBase):
    model_config = ConfigDict(extra="forbid")
    code: OrderCode | None = None
    liaison_id: OptionalWhole = None
    contract_amount: MoneyIn | None = Field(default=None, description="合同金额（元）")
    review_departments: list[DepartmentCode] | None = Field(
        default=None, min_length=1, description="需要会签的部门代码；缺省为系统默认"
    )


class OrderUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    # Left out, not null: none of these can be cleared (the reviewed ones least of all).
    review_departments: list[DepartmentCode] = Omissible(min_length=1)
    customer: str = Omissible(min_length=1, max_length=200)
    contract_no: str = Omissible(min_length=1, max_length=64)
    delivery_date: Day = Omissible()
    payment_terms: str = Omissible(max_length=2000)
    tech_params: dict[str, str | None] | None = Field(
        default=None, description="按键合并：只改写给出的参数，值为 null 的参数被删除"
    )
    special_requirements: str = Omissible(max_length=4000)
    priority: Priority = Omissible()
    liaison_id: OptionalWhole = None
    contract_amount: MoneyIn | None = Field(default=None, description="合同金额（元）")


class OrderMember(SQLModel, table=True):
    __tablename__ = "order_member"

    order_id: int = Field(foreign_key="orders.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    role: Role = Field(sa_type=enum_column(Role))
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class MemberAdd(SQLModel):
    model_config = ConfigDict(extra="forbid")
    user_id: Whole
    role: Role


class MemberPublic(SQLModel):
    user: UserBrief
    role: Role
    added_at: datetime


class Review(SQLModel, table=True):
    """One round of the order review; a rejection ends the round, a new submit starts one."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    round: int = Field(default=1)
    status: ReviewStatus = Field(default=ReviewStatus.pending, sa_type=enum_column(ReviewStatus))
    submitted_by_id: int | None = Field(default=None, foreign_key="users.id")
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class Signoff(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("review_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    department_id: int = Field(foreign_key="department.id")
    status: SignoffStatus = Field(default=SignoffStatus.pending, sa_type=enum_column(SignoffStatus))
    user_id: int | None = Field(default=None, foreign_key="users.id")
    reason: str | None = Field(default=None, max_length=1000)
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The reviewed fields as they were when this department signed (REVIEWED_FIELDS).
    snapshot: dict | None = Field(default=None, sa_type=sa.JSON)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class SignoffDecision(SQLModel):
    model_config = ConfigDict(extra="forbid")
    approve: Flag
    reason: str | None = Field(default=None, max_length=1000)


class FieldDiff(SQLModel):
    """One reviewed field: what was signed (or asked for) and what it is now."""

    field: str
    name: str
    before: Any = None
    after: Any = None


class SignoffPublic(SQLModel):
    department: DepartmentPublic
    status: SignoffStatus
    user: UserBrief | None = None
    reason: str | None = None
    signed_at: datetime | None = None
    snapshot: dict | None = Field(default=None, description="会签时的评审内容")
    changed_since: list[FieldDiff] = Field(
        default_factory=list, description="会签后被修改的评审内容（签署时 vs 当前）"
    )


class ReviewPublic(SQLModel):
    id: int
    round: int
    status: ReviewStatus
    submitted_by: UserBrief | None = None
    submitted_at: datetime
    decided_at: datetime | None = None
    signoffs: list[SignoffPublic]


class StageBrief(SQLModel):
    kind: StageKind
    name: str
    status: str
    progress: int


class OrderPublic(OrderBase):
    id: int
    code: str
    status: OrderStatus
    status_name: str
    liaison: UserBrief | None = None
    review_departments: list[str]
    actual_delivery_date: date | None = None
    cancel_reason: str | None = None
    contract_amount: MoneyOut | None = None
    progress: int = Field(description="由各阶段进度加权计算，不可直接填写")
    current_stage: StageBrief | None = None
    created_at: datetime
    updated_at: datetime


class OrderPage(SQLModel):
    items: list[OrderPublic]
    total: int
    page: int
    per_page: int


class OrderCancel(SQLModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)
