"""Payment milestones (回款节点): generated from the order's payment terms, editable, with the
money received against each, and the fund view (receivable, received, overdue)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from app.services.core import Actor, acts, local_date, note, require_manage_order, validated
from app.services.field import acceptance_of
from app.services.finance.costs import readable_order, writable_order
from app.services.finance.payment_terms import (
    Term,
    check_total,
    due_date,
    parse_terms,
    split_amount,
)
from models.base import utcnow
from models.costs import (
    FundView,
    MilestonePlanIn,
    MilestonePublic,
    MilestoneUpdate,
    OverduePayment,
    PaymentIn,
    PaymentMilestone,
)
from models.enums import (
    PAYMENT_STATUS_NAMES,
    PAYMENT_TRIGGER_NAMES,
    OrderStatus,
    PaymentStatus,
)
from models.errors import Conflict, InvalidInput, NotFound
from models.orders import Order
from models.quantities import yuan


def milestones_of(session: Session, order_id: int) -> list[PaymentMilestone]:
    query = select(PaymentMilestone).where(PaymentMilestone.order_id == order_id)
    return list(session.exec(query.order_by(PaymentMilestone.position, PaymentMilestone.id)))


def _contract_amount(order: Order, amount: Decimal | None) -> Decimal:
    if amount is not None:
        order.contract_amount = yuan(amount)
    if order.contract_amount is None:
        raise Conflict("请先填写合同金额", code="no_contract_amount", field="contract_amount")
    return order.contract_amount


def _replaceable(session: Session, order_id: int, replace: bool) -> None:
    existing = milestones_of(session, order_id)
    if existing and not replace:
        raise Conflict("回款节点已生成；如需重新生成请选择覆盖", code="milestones_exist")
    if any(m.received_amount > 0 for m in existing):
        raise Conflict("已有回款记录，不能重新生成回款节点", code="payments_recorded")
    for milestone in existing:
        session.delete(milestone)
    session.flush()


def _store(session, order: Order, terms: list[Term], amount: Decimal, now) -> list:
    accepted = acceptance_of(session=session, order_id=order.id)
    amounts = split_amount(amount, [t.percent for t in terms])
    for position, (term, share) in enumerate(zip(terms, amounts, strict=True)):
        due = due_date(
            term,
            signed_on=local_date(order.created_at),
            delivery=order.delivery_date,
            accepted_on=accepted.accepted_on if accepted else None,
        )
        session.add(
            PaymentMilestone(
                order_id=order.id,
                position=position,
                name=term.name,
                trigger=term.trigger,
                percent=term.percent,
                amount=share,
                due_date=due,
                updated_at=now,
            )
        )
    session.add(order)
    session.flush()
    return milestones_of(session, order.id)


@acts
def generate_milestones(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    contract_amount: Decimal | None = None,
    replace: bool = False,
    now: datetime | None = None,
) -> list[PaymentMilestone]:
    """Generate the milestones from the order's payment terms and contract amount."""
    now = now or utcnow()
    order = writable_order(session, actor, order_id)
    require_manage_order(session, actor, order, "生成回款节点")
    terms = parse_terms(order.payment_terms)
    amount = _contract_amount(order, contract_amount)
    _replaceable(session, order_id, replace)
    return _store(session, order, terms, amount, now)


@acts
def set_milestones(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: MilestonePlanIn | dict,
    now: datetime | None = None,
) -> list[PaymentMilestone]:
    """Replace the milestone plan by one written by hand (percentages add up to 100)."""
    data = validated(MilestonePlanIn, data) if isinstance(data, dict) else data
    now = now or utcnow()
    order = writable_order(session, actor, order_id)
    require_manage_order(session, actor, order, "修改回款节点")
    check_total([item.percent for item in data.items])
    amount = _contract_amount(order, data.contract_amount)
    _replaceable(session, order_id, True)
    terms = [Term(i.name, i.trigger, i.percent) for i in data.items]
    rows = _store(session, order, terms, amount, now)
    for row, item in zip(rows, data.items, strict=True):
        row.due_date = item.due_date or row.due_date
        row.note = item.note
        session.add(row)
    session.flush()
    return rows


def _milestone(session: Session, order_id: int, milestone_id: int) -> PaymentMilestone:
    milestone = session.get(PaymentMilestone, milestone_id)
    if milestone is None or milestone.order_id != order_id:
        raise NotFound("回款节点不存在", code="milestone_not_found")
    return milestone


@acts
def update_milestone(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    milestone_id: int,
    data: MilestoneUpdate,
    now: datetime | None = None,
) -> PaymentMilestone:
    """Rename a milestone, move its due date or change its note."""
    order = writable_order(session, actor, order_id)
    require_manage_order(session, actor, order, "修改回款节点")
    milestone = _milestone(session, order_id, milestone_id)
    for key, value in data.model_dump(exclude_unset=True).items():
        if value is not None or key == "due_date":
            setattr(milestone, key, value)
    milestone.updated_at = now or utcnow()
    session.add(milestone)
    session.flush()
    return milestone


@acts
def record_payment(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    milestone_id: int,
    data: PaymentIn | dict,
    now: datetime | None = None,
) -> PaymentMilestone:
    """Record money received against a milestone (several partial payments add up)."""
    data = validated(PaymentIn, data) if isinstance(data, dict) else data
    now = now or utcnow()
    order = writable_order(session, actor, order_id)
    require_manage_order(session, actor, order, "登记回款")
    milestone = _milestone(session, order_id, milestone_id)
    today = local_date(now)
    received_on = data.received_on or today
    if received_on > today:
        raise InvalidInput("到账日期不能晚于今天", field="received_on")
    left = milestone.amount - milestone.received_amount
    if data.amount > left:
        raise InvalidInput(f"超过该节点未收金额 {left:f} 元", field="amount")
    milestone.received_amount = yuan(milestone.received_amount + data.amount)
    milestone.received_on = received_on
    milestone.status = (
        PaymentStatus.received
        if milestone.received_amount == milestone.amount
        else PaymentStatus.partial
    )
    milestone.updated_at = now
    note(session, milestone, data.note or f"到账 {yuan(data.amount):f} 元")
    session.add(milestone)
    session.flush()
    return milestone


def milestone_public(milestone: PaymentMilestone, today: date) -> MilestonePublic:
    outstanding = milestone.amount - milestone.received_amount
    overdue = bool(outstanding > 0 and milestone.due_date and milestone.due_date < today)
    return MilestonePublic(
        **milestone.model_dump(exclude={"order_id", "updated_at"}),
        trigger_name=PAYMENT_TRIGGER_NAMES[milestone.trigger],
        status_name=PAYMENT_STATUS_NAMES[milestone.status],
        overdue=overdue,
        outstanding=outstanding,
    )


def fund_view(
    *, session: Session, actor: Actor, order_id: int, now: datetime | None = None
) -> FundView:
    """Receivable, received, outstanding and overdue money of the order, per milestone."""
    order = readable_order(session, actor, order_id)
    today = local_date(now or utcnow())
    items = [milestone_public(m, today) for m in milestones_of(session, order_id)]
    return FundView(
        order_id=order_id,
        contract_amount=order.contract_amount,
        receivable=sum((i.amount for i in items), Decimal(0)),
        received=sum((i.received_amount for i in items), Decimal(0)),
        outstanding=sum((i.outstanding for i in items), Decimal(0)),
        overdue=sum((i.outstanding for i in items if i.overdue), Decimal(0)),
        items=items,
    )


def overdue_payments(*, session: Session, now: datetime | None = None) -> list[OverduePayment]:
    """Every milestone of a non-cancelled order past its due date with money outstanding, in
    one query: for a warning rule reminding the order's liaison (owner_id)."""
    today = local_date(now or utcnow())
    query = (
        select(PaymentMilestone, Order.code, Order.liaison_id)
        .join(Order, Order.id == PaymentMilestone.order_id)
        .where(
            Order.status != OrderStatus.cancelled,
            PaymentMilestone.status != PaymentStatus.received,
            col(PaymentMilestone.due_date) < today,
        )
        .order_by(PaymentMilestone.due_date, PaymentMilestone.id)
    )
    return [
        OverduePayment(
            order_id=m.order_id,
            order_code=code,
            milestone_id=m.id,
            name=m.name,
            due_date=m.due_date,
            outstanding=m.amount - m.received_amount,
            days_overdue=(today - m.due_date).days,
            owner_id=liaison,
        )
        for m, code, liaison in session.exec(query)
    ]
