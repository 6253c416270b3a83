"""Predicted delay: an open purchase line not yet late whose probability of arriving after its
need date (alerts/prediction.py, fitted on the delivery history) is above the configured
threshold warns its buyer before it is late."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import col

from app.services.alerts.history import delay_model, first_promise_lines
from app.services.alerts.rules import Finding, RuleContext, restrict, rule
from app.services.alerts.rules._owners import role_member
from models.bom import BomLine
from models.enums import OrderStatus, PurchaseStatus, RiskLevel, RiskType, Role
from models.materials import Material
from models.orders import Order
from models.purchasing import PurchaseLine
from models.suppliers import Supplier


@rule("predicted_delay", "预测延期")
def predicted_delay(ctx: RuleContext) -> Iterable[Finding]:
    model = delay_model(ctx.session)
    if not model.enough():
        return
    threshold = ctx.settings.delay_warn_probability
    buyers = role_member(Role.buyer)
    query = (
        first_promise_lines()
        .add_columns(
            PurchaseLine.order_id,
            BomLine.need_date,
            Order.code,
            Material.id,
            Material.name,
            Material.is_key,
            Supplier.name,
            func.coalesce(buyers.c.user_id, PurchaseLine.created_by_id, Order.liaison_id),
        )
        .join(BomLine, BomLine.id == PurchaseLine.bom_line_id)
        .join(Material, Material.id == BomLine.material_id)
        .join(Order, Order.id == PurchaseLine.order_id)
        .join(Supplier, Supplier.id == PurchaseLine.supplier_id)
        .outerjoin(buyers, buyers.c.order_id == PurchaseLine.order_id)
        .where(
            col(Order.status).in_(OrderStatus.live()),
            col(PurchaseLine.status).in_(PurchaseStatus.open()),
            PurchaseLine.received < PurchaseLine.quantity,
            PurchaseLine.promised_date >= ctx.today,  # not late yet: that is purchase_overdue
            BomLine.need_date >= ctx.today,
        )
    )
    for row in ctx.session.exec(restrict(query, PurchaseLine.order_id, ctx)):
        line_id, supplier_id, first, order_id, need, code = row[:6]
        material_id, name, is_key, supplier, owner = row[6:]
        p = model.probability_late(supplier_id, first, need, ctx.today)
        if p is None or p <= threshold:
            continue
        yield Finding(
            entity_type="purchase_line",
            entity_id=line_id,
            order_id=order_id,
            level=RiskLevel.high if is_key else RiskLevel.medium,
            owner_id=owner,
            message=(
                f"{code} {name}（{supplier}）按该供应商历史交付，晚于需求日 {need:%m-%d} "
                f"到货的概率约 {p:.0%}，请提前催货或启用备选供应商"
            ),
            risk_type=RiskType.supplier_delay,
            material_id=material_id,
        )
