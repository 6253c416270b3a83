"""Suppliers (供应商) and their contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, StringConstraints
from sqlmodel import Field, SQLModel

from models.base import NOT_BLANK, UTCDateTime, utcnow
from models.inputs import Flag, OptionalFlag

# A name sent in: blanks around it are dropped and something must remain. The document says so
# too, so "\x1e" is refused at the door (the service refused it once the document had let it
# through). Stored names are read back as they are.
Name = Annotated[str, StringConstraints(strip_whitespace=True, pattern=NOT_BLANK)]

# Mobile or landline, e.g. 13800000000, +86 571 8888 8888, 0571-88888888.
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{4,23}$", max_length=24)]


class SupplierBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(default="", max_length=300)
    note: str = Field(default="", max_length=1000)


class Supplier(SupplierBase, table=True):
    __tablename__ = "supplier"
    __audit_exclude__ = frozenset({"updated_at"})

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return None


class ContactBase(SQLModel):
    name: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=64, description="职务，如 销售经理")
    phone: Phone | None = None
    email: str | None = Field(default=None, max_length=120)
    is_primary: Flag = False


class SupplierContact(ContactBase, table=True):
    __tablename__ = "supplier_contact"

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True, ondelete="CASCADE")
    phone: str | None = Field(default=None, max_length=24)

    @property
    def audit_order_id(self) -> int | None:
        return None


class ContactIn(ContactBase):
    model_config = ConfigDict(extra="forbid")
    name: Name = Field(min_length=1, max_length=64)


class ContactPublic(ContactBase):
    id: int
    phone: str | None = None


class SupplierCreate(SupplierBase):
    model_config = ConfigDict(extra="forbid")
    name: Name = Field(min_length=1, max_length=200)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20)


class SupplierUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    note: str | None = Field(default=None, max_length=1000)
    is_active: OptionalFlag = None


class SupplierPublic(SupplierBase):
    id: int
    is_active: bool
    contacts: list[ContactPublic]
    created_at: datetime


class SupplierBrief(SQLModel):
    id: int
    name: str
