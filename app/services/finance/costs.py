"""Cost centre (成本中心): budget per order and category, costs entered by hand, the report of
budget against actual, and the over-budget query the warning rules use."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session, col, select

from app.services.core import (
    Actor,
    acts,
    can_act_in,
    load_order,
    local_date,
    require_manage_order,
    require_order_role,
    validated,
)
from app.services.finance import cost_sources as src
from app.services.people import user_brief, users_by_id
from models.base import utcnow
from models.costs import (
    BudgetIn,
    CategoryCost,
    CostEntry,
    CostEntryIn,
    CostEntryPublic,
    CostReport,
    LabourCostLine,
    MaterialCostLine,
    OrderBudget,
    OverBudget,
    ShipmentCostLine,
)
from models.enums import COST_CATEGORY_NAMES, ROLE_NAMES, CostCategory, OrderStatus, Role
from models.errors import Conflict, InvalidInput, NotFound
from models.orders import Order
from models.quantities import MoneyIn, yuan

# Who reads an order's costs besides admins and managers, and who enters costs by hand.
COST_READERS = {Role.tracker, Role.sales, Role.buyer}
COST_WRITERS = {Role.tracker, Role.sales, Role.buyer, Role.logistics}


def money_field(value: str | None, field: str) -> Decimal | None:
    """An optional amount typed into a form, checked like the API's money fields."""
    if value is None or not value.strip():
        return None
    try:
        return TypeAdapter(MoneyIn).validate_python(value.strip())
    except ValidationError:
        raise InvalidInput("金额应为不小于 0 的数字，最多两位小数", field=field) from None


def readable_order(session: Session, actor: Actor, order_id: int) -> Order:
    """The order, if the actor may read its money (`may_read_costs`)."""
    order = load_order(session, actor, order_id)
    if not may_read_costs(session, actor, order):
        require_order_role(session, actor, order, COST_READERS, "查看成本")  # says why
    return order


def may_read_costs(session: Session, actor: Actor, order: Order) -> bool:
    """Admins, managers, and the order's trackers, sales and buyers read its money."""
    return actor.has(Role.manager) or can_act_in(session, actor, order, COST_READERS)


def writable_order(session: Session, actor: Actor, order_id: int) -> Order:
    """The order locked for a money change; refused once it is cancelled. Money outlives the
    work, so a closed but accepted order still takes late invoices and the final payment."""
    order = load_order(session, actor, order_id, for_update=True)
    if order.status == OrderStatus.cancelled:
        raise Conflict("订单已取消，不能再修改成本", code="order_closed")
    return order


@acts
def set_budget(
    *, session: Session, actor: Actor, order_id: int, data: BudgetIn | dict, now=None
) -> list[OrderBudget]:
    """Set the budget of the categories given (the others keep theirs)."""
    data = validated(BudgetIn, data) if isinstance(data, dict) else data
    now = now or utcnow()
    order = writable_order(session, actor, order_id)
    require_manage_order(session, actor, order, "设置预算")
    current = {CostCategory(b.category): b for b in _budget_rows(session, order_id)}
    for category, amount in data.model_dump(exclude_none=True).items():
        row = current.get(CostCategory(category)) or OrderBudget(
            order_id=order_id, category=category, amount=amount
        )
        row.amount, row.updated_by_id, row.updated_at = yuan(amount), actor.id, now
        session.add(row)
    session.flush()
    return _budget_rows(session, order_id)


def _budget_rows(session: Session, order_id: int) -> list[OrderBudget]:
    query = select(OrderBudget).where(OrderBudget.order_id == order_id)
    return list(session.exec(query.order_by(OrderBudget.id)))


@acts
def add_cost_entry(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: CostEntryIn | dict,
    now: datetime | None = None,
) -> CostEntry:
    """Enter a cost by hand (travel, rental, fees, ...)."""
    data = validated(CostEntryIn, data) if isinstance(data, dict) else data
    now = now or utcnow()
    order = writable_order(session, actor, order_id)
    require_order_role(session, actor, order, COST_WRITERS, "登记费用")
    entry = CostEntry(
        order_id=order_id,
        category=data.category,
        amount=yuan(data.amount),
        description=data.description,
        incurred_on=data.incurred_on or local_date(now),
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


@acts
def delete_cost_entry(*, session: Session, actor: Actor, order_id: int, entry_id: int) -> None:
    """Remove a cost entered by mistake."""
    order = writable_order(session, actor, order_id)
    require_order_role(session, actor, order, COST_WRITERS, "删除费用")
    entry = session.get(CostEntry, entry_id)
    if entry is None or entry.order_id != order_id:
        raise NotFound("费用记录不存在", code="cost_entry_not_found")
    session.delete(entry)
    session.flush()


def category_costs(
    budget: dict[CostCategory, Decimal], actual: dict[CostCategory, Decimal]
) -> list[CategoryCost]:
    """Budget against actual per category, with the over-budget flag."""
    out = []
    for category in CostCategory:
        limit, spent = budget.get(category), actual[category]
        out.append(
            CategoryCost(
                category=category,
                name=COST_CATEGORY_NAMES[category],
                budget=limit,
                actual=spent,
                remaining=None if limit is None else limit - spent,
                used_percent=round(float(spent / limit * 100), 1) if limit else None,
                over_budget=limit is not None and spent > limit,
            )
        )
    return out


def cost_report(*, session: Session, actor: Actor, order_id: int) -> CostReport:
    """The order's budget against actual per category, with every line behind the actual."""
    readable_order(session, actor, order_id)
    ids = [order_id]
    budget = src.budgets(session, ids).get(order_id, {})
    categories = category_costs(budget, src.actual_costs(session, ids)[order_id])
    material = src.material_lines(session, ids)
    entries = src.entries_of(session, ids)
    total_budget = sum(budget.values(), Decimal(0)) if budget else None
    total_actual = sum((c.actual for c in categories), Decimal(0))
    return CostReport(
        order_id=order_id,
        total_budget=total_budget,
        total_actual=total_actual,
        over_budget=any(c.over_budget for c in categories),
        categories=categories,
        material_lines=[
            MaterialCostLine(
                purchase_line_id=line.id,
                material=f"{code} {name}",
                supplier=supplier,
                unit_price=line.unit_price,
                quantity=line.quantity,
                received=line.received,
                amount=src.line_amount(line),
            )
            for line, code, name, supplier in material
        ],
        unpriced_lines=sum(1 for line, *_ in material if line.unit_price is None),
        labour_lines=_labour_lines(session, ids),
        shipment_lines=[
            ShipmentCostLine(
                shipment_id=s.id,
                destination=s.destination,
                carrier=s.carrier,
                freight_cost=s.freight_cost or 0,
                insurance_cost=s.insurance_cost or 0,
                amount=src.shipment_amount(s),
            )
            for s in src.shipments_of(session, ids)
        ],
        entries=entries_public(session, entries),
    )


def _labour_lines(session: Session, ids: list[int]) -> list[LabourCostLine]:
    reports = src.report_hours(session, ids)
    users = users_by_id(session, [user_id for _, user_id, _, _ in reports])
    lines = []
    for _, user_id, role, total in reports:
        rate, spent = src.rate_for(role), src.hours(total)
        user = users.get(user_id)
        lines.append(
            LabourCostLine(
                kind="report",
                who=user.display_name if user else f"#{user_id}",
                role=ROLE_NAMES[Role(role)] if role else None,
                hours=spent,
                rate=rate,
                amount=yuan(spent * rate),
            )
        )
    day_rate = src.rate_for("day_labour")
    for _, worker, total in src.day_labour_hours(session, ids):
        spent = src.hours(total)
        lines.append(
            LabourCostLine(
                kind="day_labour",
                who=worker,
                role="点工",
                hours=spent,
                rate=day_rate,
                amount=yuan(spent * day_rate),
            )
        )
    return lines


def entries_public(session: Session, entries: list[CostEntry]) -> list[CostEntryPublic]:
    users = users_by_id(session, [e.created_by_id for e in entries])
    return [
        CostEntryPublic(
            **e.model_dump(exclude={"order_id", "created_by_id"}),
            category_name=COST_CATEGORY_NAMES[CostCategory(e.category)],
            created_by=user_brief(users.get(e.created_by_id)),
        )
        for e in entries
    ]


def over_budget_orders(
    *, session: Session, now: datetime | None = None, threshold: Decimal = Decimal(1)
) -> list[OverBudget]:
    """Every open order's category whose actual cost exceeds threshold x its budget.

    For the warning rules: threshold 1 warns once the budget is passed, 0.9 at 90 %. One query
    per cost source over all open orders, whatever their number; the owner is the liaison.
    """
    query = (
        select(Order.id, Order.code, Order.liaison_id)
        .join(OrderBudget, OrderBudget.order_id == Order.id)
        .where(col(Order.status).not_in(OrderStatus.closed()))
        .distinct()
    )
    orders = {oid: (code, liaison) for oid, code, liaison in session.exec(query)}
    budget = src.budgets(session, orders)
    actual = src.actual_costs(session, orders)
    out = []
    for order_id in sorted(orders):
        code, liaison = orders[order_id]
        for category, limit in sorted(budget[order_id].items()):
            spent = actual[order_id][category]
            if spent > limit * threshold:
                out.append(
                    OverBudget(
                        order_id=order_id,
                        order_code=code,
                        category=category,
                        budget=limit,
                        actual=spent,
                        owner_id=liaison,
                    )
                )
    return out
