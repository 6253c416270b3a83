"""Public (API) forms of materials, suppliers, BOM lines and purchase lines, in few queries."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from app.services.people import user_brief, users_by_id
from app.services.procurement.bom import materials_by_id
from app.services.procurement.materials import aliases_of
from app.services.procurement.suppliers import contacts_of
from models.bom import DEFAULT_WARNING_DAYS, BomLine, BomLinePublic
from models.enums import PURCHASE_STATUS_NAMES, PurchaseStatus
from models.materials import AliasPublic, Material, MaterialBrief, MaterialPublic
from models.purchasing import (
    PromisedDateChange,
    PromisedDateChangePublic,
    PurchaseLine,
    PurchaseLinePublic,
)
from models.suppliers import ContactPublic, Supplier, SupplierBrief, SupplierPublic


def materials_public(session: Session, materials: list[Material]) -> list[MaterialPublic]:
    """Materials with their barcode aliases."""
    aliases = aliases_of(session, [m.id for m in materials])
    return [
        MaterialPublic.model_validate(
            {
                **m.model_dump(),
                "aliases": [
                    AliasPublic.model_validate(a, from_attributes=True) for a in aliases[m.id]
                ],
            }
        )
        for m in materials
    ]


def suppliers_public(session: Session, suppliers: list[Supplier]) -> list[SupplierPublic]:
    """Suppliers with their contacts."""
    contacts = contacts_of(session, [s.id for s in suppliers])
    return [
        SupplierPublic.model_validate(
            {
                **s.model_dump(),
                "contacts": [
                    ContactPublic.model_validate(c, from_attributes=True) for c in contacts[s.id]
                ],
            }
        )
        for s in suppliers
    ]


def _suppliers(session: Session, ids) -> dict[int, Supplier]:
    ids = set(ids)
    if not ids:
        return {}
    return {s.id: s for s in session.exec(select(Supplier).where(col(Supplier.id).in_(ids)))}


def purchases_public(session: Session, purchases: list[PurchaseLine]) -> list[PurchaseLinePublic]:
    """Purchase lines with their supplier's name."""
    suppliers = _suppliers(session, [p.supplier_id for p in purchases])
    return [
        PurchaseLinePublic.model_validate(
            {
                **p.model_dump(),
                "supplier": SupplierBrief(id=p.supplier_id, name=suppliers[p.supplier_id].name),
                "status_name": PURCHASE_STATUS_NAMES[PurchaseStatus(p.status)],
            }
        )
        for p in purchases
    ]


def bom_public(session: Session, lines: list[BomLine]) -> list[BomLinePublic]:
    """BOM lines with their material and purchase lines."""
    materials = materials_by_id(session, [line.material_id for line in lines])
    purchases: dict[int, list[PurchaseLinePublic]] = defaultdict(list)
    if lines:
        query = select(PurchaseLine).where(col(PurchaseLine.bom_line_id).in_([x.id for x in lines]))
        for p in purchases_public(session, list(session.exec(query.order_by(PurchaseLine.id)))):
            purchases[p.bom_line_id].append(p)
    return [
        BomLinePublic.model_validate(
            {
                **line.model_dump(),
                "material": MaterialBrief.model_validate(
                    materials[line.material_id], from_attributes=True
                ),
                "missing": line.missing,
                "effective_warning_days": (
                    DEFAULT_WARNING_DAYS if line.warning_days is None else line.warning_days
                ),
                "purchases": purchases[line.id],
            }
        )
        for line in lines
    ]


def history_public(
    session: Session, changes: list[PromisedDateChange]
) -> list[PromisedDateChangePublic]:
    """Promised-date changes with who made them."""
    users = users_by_id(session, [c.changed_by_id for c in changes])
    return [
        PromisedDateChangePublic.model_validate(
            {**c.model_dump(), "changed_by": user_brief(users.get(c.changed_by_id))}
        )
        for c in changes
    ]
