"""What a scanned text stands for: a Gendan label, a material code, or a bound supplier code."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, func, select

from app.services.procurement.errors import BadChecksum, MaterialNotFound, UnknownCode
from app.services.procurement.materials import find_alias, find_material
from app.services.procurement.scans.codes import bad_retail_digits, lookup_forms, normalise_type
from models.errors import NotFound
from models.materials import Material
from models.orders import Order
from scanning.payload import GendanLabel, LabelKind, parse_payload
from scanning.symbols import RETAIL


@dataclass(frozen=True)
class Resolved:
    """A scanned code, resolved: an order label has no material; a material may carry the
    order, lot and quantity its label was printed with."""

    material: Material | None
    order: Order | None = None
    lot: str | None = None
    quantity: Decimal | None = None
    via: str = "code"
    locked: bool = False  # the material's row locked by the read that found it


def resolve_code(
    session: Session, text: str, scan_type: str | None, *, lock: bool = False
) -> Resolved:
    """Resolve scanned text; InvalidInput for an empty or broken code, NotFound for unknown.
    `lock`: a material found by its code is locked by that read (`Resolved.locked`)."""
    payload = parse_payload(text)
    if isinstance(payload, GendanLabel):
        return _from_label(session, payload, lock)
    return _from_plain(session, payload.text, scan_type, lock)


def _from_label(session: Session, label: GendanLabel, lock: bool = False) -> Resolved:
    order = order_by_code(session, label.order_code) if label.order_code else None
    if label.kind is LabelKind.ORDER:
        return Resolved(material=None, order=order, via="label")
    material = find_material(session, label.material_code, lock=lock)
    if material is None:
        raise MaterialNotFound(f"物料编码 {label.material_code} 不存在")
    return Resolved(material, order, label.lot, label.quantity, via="label", locked=lock)


def _from_plain(session: Session, text: str, scan_type: str | None, lock=False) -> Resolved:
    forms = lookup_forms(text, scan_type)
    for form in forms:
        material = find_material(session, form, lock=lock)
        if material is not None:
            return Resolved(material, locked=lock)
    alias = find_alias(session, forms)
    if alias is not None:
        return Resolved(session.get(Material, alias.material_id), via="alias")
    symbology = normalise_type(scan_type)
    if symbology not in RETAIL and bad_retail_digits(text):
        raise BadChecksum()
    raise UnknownCode(text, symbology)


def order_by_code(session: Session, code: str) -> Order:
    """The order a label names, whoever may see it (the caller checks access)."""
    order = session.exec(select(Order).where(func.upper(Order.code) == code.upper())).first()
    if order is None:
        raise NotFound(f"订单 {code} 不存在", code="order_not_found")
    return order
