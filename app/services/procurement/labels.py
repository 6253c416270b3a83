"""Printable labels for materials, lots and orders (scanning.labels draws them).

A BOM sheet carries one material label per BOM line with the order's code in it, so a scan of
that label lands on that order's line without asking; it carries no quantity (the worker
counts what arrived). A lot label may carry the lot's quantity, which a scan then receives
unless the worker types another.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from app.services.core import Actor, load_order
from app.services.procurement.bom import list_bom, materials_by_id
from app.services.procurement.materials import check_places, get_material
from scanning.label_sheet import SheetLayout, render_sheet
from scanning.labels import LabelSpec, Symbology, render_label
from scanning.payload import GendanLabel, LabelKind


def _notes(material) -> tuple[str, ...]:
    return (f"{material.name} {material.spec}".strip(),)


def material_label(
    *,
    session: Session,
    actor: Actor,
    material_id: int,
    symbology: Symbology = Symbology.QR,
    lot: str | None = None,
    quantity: Decimal | None = None,
    order_id: int | None = None,
) -> bytes:
    """A PNG label for a material, or for one lot of it, optionally bound to an order."""
    material = get_material(session=session, actor=actor, material_id=material_id)
    check_places(material, quantity)
    order_code = load_order(session, actor, order_id).code if order_id is not None else None
    label = GendanLabel(
        kind=LabelKind.LOT if lot else LabelKind.MATERIAL,
        material_code=material.code,
        lot=lot,
        quantity=quantity,
        order_code=order_code,
    )
    return render_label(LabelSpec(label, symbology, notes=_notes(material)))


def order_label(
    *, session: Session, actor: Actor, order_id: int, symbology: Symbology = Symbology.QR
) -> bytes:
    """A PNG label for an order."""
    order = load_order(session, actor, order_id)
    label = GendanLabel(kind=LabelKind.ORDER, order_code=order.code)
    return render_label(LabelSpec(label, symbology, notes=(order.customer,)))


def bom_sheet(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    symbology: Symbology = Symbology.QR,
    layout: SheetLayout | None = None,
) -> bytes:
    """An A4 PDF with a label for every BOM line of the order."""
    order = load_order(session, actor, order_id)
    lines = list_bom(session=session, actor=actor, order_id=order_id)
    materials = materials_by_id(session, [line.material_id for line in lines])
    specs = [
        LabelSpec(
            GendanLabel(
                kind=LabelKind.MATERIAL,
                material_code=materials[line.material_id].code,
                order_code=order.code,
            ),
            symbology,
            notes=_notes(materials[line.material_id]),
        )
        for line in lines
    ]
    return render_sheet(specs, layout)
