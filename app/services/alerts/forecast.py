"""Delay prediction shown where people look: each open purchase line of an order with the
probability that it arrives after its need date and what that rests on (how many deliveries,
whose), the same model the predicted_delay rule warns with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col

from app.services.alerts.history import delay_model, first_promise_lines
from app.services.alerts.prediction import MIN_HISTORY, MIN_OWN, DelayModel
from app.services.core import Actor, load_order, local_date
from models.bom import BomLine
from models.enums import PurchaseStatus
from models.materials import Material
from models.purchasing import PurchaseLine
from models.suppliers import Supplier


@dataclass(frozen=True)
class LineForecast:
    purchase_line_id: int
    material: str
    supplier: str
    need_date: date
    probability: float | None
    basis: str


def _basis(model: DelayModel, supplier_id: int, first: date, need: date) -> str:
    total, own = len(model.pooled), model.deliveries(supplier_id)
    when = f"首次承诺 {first:%m-%d}，需求日 {need:%m-%d}"
    if not model.enough():
        return f"全部交付记录仅 {total} 次（少于 {MIN_HISTORY} 次），暂不预测"
    if model.uses_own(supplier_id):
        return f"按该供应商 {own} 次交付与全部 {total} 次交付；{when}"
    return f"该供应商仅 {own} 次交付（少于 {MIN_OWN} 次），按全部 {total} 次交付；{when}"


def line_forecasts(
    *, session: Session, actor: Actor, order_id: int, now: datetime
) -> list[LineForecast]:
    """The order's open, promised purchase lines with their predicted lateness."""
    load_order(session, actor, order_id)
    today, model = local_date(now), delay_model(session)
    query = (
        first_promise_lines()
        .add_columns(BomLine.need_date, Material.name, Supplier.name)
        .join(BomLine, BomLine.id == PurchaseLine.bom_line_id)
        .join(Material, Material.id == BomLine.material_id)
        .join(Supplier, Supplier.id == PurchaseLine.supplier_id)
        .where(
            PurchaseLine.order_id == order_id,
            col(PurchaseLine.status).in_(PurchaseStatus.open()),
            PurchaseLine.received < PurchaseLine.quantity,
            col(BomLine.need_date).is_not(None),
        )
        .order_by(PurchaseLine.id)
    )
    return [
        LineForecast(
            purchase_line_id=line_id,
            material=material,
            supplier=supplier,
            need_date=need,
            probability=model.probability_late(supplier_id, first, need, today),
            basis=_basis(model, supplier_id, first, need),
        )
        for line_id, supplier_id, first, need, material, supplier in session.exec(query)
    ]
