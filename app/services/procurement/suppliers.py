"""Suppliers (供应商) and their contacts; buyers and trackers keep them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.services.core import Actor, acts
from app.services.procurement.errors import SupplierNotFound
from app.services.procurement.materials import CATALOGUE_ROLES, require_role, require_staff
from models.base import utcnow
from models.errors import Conflict, InvalidInput, NotFound
from models.suppliers import (
    ContactIn,
    Supplier,
    SupplierContact,
    SupplierCreate,
    SupplierUpdate,
)


def _load(session: Session, supplier_id: int) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise SupplierNotFound()
    return supplier


def _check_name(session: Session, name: str, own_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("供应商名称不能为空", field="name")
    other = session.exec(select(Supplier).where(Supplier.name == name)).first()
    if other is not None and other.id != own_id:
        raise Conflict(f"供应商 {name} 已存在", code="duplicate")
    return name


@acts
def create_supplier(
    *, session: Session, actor: Actor, data: SupplierCreate, now: datetime | None = None
) -> Supplier:
    """Add a supplier with its contacts."""
    require_role(actor, CATALOGUE_ROLES, "维护供应商")
    now = now or utcnow()
    supplier = Supplier(
        **data.model_dump(exclude={"contacts", "name"}),
        name=_check_name(session, data.name),
        created_at=now,
        updated_at=now,
    )
    session.add(supplier)
    session.flush()
    for contact in data.contacts:
        session.add(SupplierContact(**contact.model_dump(), supplier_id=supplier.id))
    session.flush()
    return supplier


@acts
def update_supplier(
    *,
    session: Session,
    actor: Actor,
    supplier_id: int,
    data: SupplierUpdate,
    now: datetime | None = None,
) -> Supplier:
    """Change a supplier's details, or deactivate it (logged)."""
    require_role(actor, CATALOGUE_ROLES, "维护供应商")
    supplier = _load(session, supplier_id)
    fields = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "name" in fields:
        fields["name"] = _check_name(session, fields["name"], supplier.id)
    for key, value in fields.items():
        setattr(supplier, key, value)
    supplier.updated_at = now or utcnow()
    session.add(supplier)
    session.flush()
    return supplier


@acts
def add_contact(
    *, session: Session, actor: Actor, supplier_id: int, data: ContactIn
) -> SupplierContact:
    """Add a contact person to a supplier."""
    require_role(actor, CATALOGUE_ROLES, "维护供应商")
    _load(session, supplier_id)
    contact = SupplierContact(**data.model_dump(), supplier_id=supplier_id)
    session.add(contact)
    session.flush()
    return contact


@acts
def remove_contact(*, session: Session, actor: Actor, supplier_id: int, contact_id: int) -> None:
    """Remove a contact person."""
    require_role(actor, CATALOGUE_ROLES, "维护供应商")
    contact = session.get(SupplierContact, contact_id)
    if contact is None or contact.supplier_id != supplier_id:
        raise NotFound("联系人不存在", code="contact_not_found")
    session.delete(contact)
    session.flush()


def get_supplier(*, session: Session, actor: Actor, supplier_id: int) -> Supplier:
    """One supplier."""
    require_staff(actor)
    return _load(session, supplier_id)


def list_suppliers(
    *, session: Session, actor: Actor, q: str | None = None, include_inactive: bool = False
) -> list[Supplier]:
    """Suppliers by name."""
    require_staff(actor)
    query = select(Supplier)
    if q:
        query = query.where(col(Supplier.name).ilike(f"%{q.strip()}%"))
    if not include_inactive:
        query = query.where(Supplier.is_active)
    return list(session.exec(query.order_by(Supplier.name)))


def contacts_of(session: Session, supplier_ids: list[int]) -> dict[int, list[SupplierContact]]:
    """The contacts of several suppliers, primary contact first."""
    out: dict[int, list[SupplierContact]] = {i: [] for i in supplier_ids}
    if supplier_ids:
        query = select(SupplierContact).where(col(SupplierContact.supplier_id).in_(supplier_ids))
        order = (col(SupplierContact.is_primary).desc(), SupplierContact.id)
        for contact in session.exec(query.order_by(*order)):
            out[contact.supplier_id].append(contact)
    return out
