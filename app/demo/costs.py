"""Demo cost centre data: prices on GD-DEMO-03's and GD-DEMO-04's purchase lines, contract
amounts, budgets (GD-DEMO-03's material budget is already exceeded), a cost entered by hand, and
payment milestones from the payment terms with the advance received."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from app.services.finance import add_cost_entry, generate_milestones, record_payment, set_budget
from app.services.procurement import update_purchase_line
from models.enums import PurchaseStatus
from models.orders import Order
from models.purchasing import PurchaseLine, PurchaseLineUpdate

# code: contract amount, budget per category, unit price of each purchase line in turn
COSTS = {
    "GD-DEMO-03": (
        Decimal("860000"),
        {"material": "110000", "labour": "60000", "logistics": "20000", "other": "10000"},
        ("1850.00", "2680.50", "36800.00", "215.00", "12.80"),
    ),
    "GD-DEMO-04": (
        Decimal("420000"),
        {"material": "150000", "labour": "40000", "logistics": "15000", "other": "5000"},
        ("1820.00", "3.60"),
    ),
}


def load_costs_demo(*, session: Session, actors: dict, now: datetime) -> None:
    """Prices, budgets, a hand-entered cost and payment milestones on two demo orders."""
    tracker, buyer = actors["li.gendan"], actors["sun.caigou"]
    for code, (amount, budget, prices) in COSTS.items():
        order = session.exec(select(Order).where(Order.code == code)).one()
        # Received lines are closed to changes, so only the open ones get their price here.
        query = select(PurchaseLine).where(
            PurchaseLine.order_id == order.id,
            col(PurchaseLine.status).not_in(PurchaseStatus.done()),
        )
        for purchase, price in zip(
            session.exec(query.order_by(PurchaseLine.id)), prices, strict=False
        ):
            update_purchase_line(
                session=session,
                actor=buyer,
                purchase_id=purchase.id,
                data=PurchaseLineUpdate(unit_price=Decimal(price)),
                now=now,
            )
        set_budget(session=session, actor=tracker, order_id=order.id, data=budget, now=now)
        add_cost_entry(
            session=session,
            actor=tracker,
            order_id=order.id,
            data={"category": "other", "amount": "1260.00", "description": "现场踏勘差旅"},
            now=now,
        )
        first = generate_milestones(
            session=session, actor=tracker, order_id=order.id, contract_amount=amount, now=now
        )[0]
        record_payment(
            session=session,
            actor=tracker,
            order_id=order.id,
            milestone_id=first.id,
            data={"amount": str(first.amount)},
            now=now,
        )
