"""Changes to what the review signed: snapshots, reopened sign-offs and change orders (变更单).

The reviewed fields are what the order review record (订单评审记录表) fixes: delivery date,
payment terms, technical parameters (quantities included) and special requirements. Each
department's signature keeps a copy of them. Changing one while the order is in review clears
the signatures of the departments it concerns; once the order is past review the change is
recorded as a change order and applies only when a manager approves it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.services.core import Actor, acts, load_order, note
from models.base import utcnow
from models.change_orders import ChangeOrder
from models.enums import ChangeOrderStatus, OrderStatus, Role, SignoffStatus
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.orders import FieldDiff, Order, Review, Signoff
from models.people import Department

REVIEWED_FIELDS = {
    "delivery_date": "交货日期",
    "payment_terms": "付款条件",
    "tech_params": "技术参数",
    "special_requirements": "特殊要求",
}
# Which departments a change concerns; a field no review department owns concerns them all.
FIELD_DEPARTMENTS = {
    "delivery_date": {"sales", "production", "procurement", "logistics", "site"},
    "payment_terms": {"sales", "management"},
    "tech_params": {"engineering", "production", "procurement", "quality"},
    "special_requirements": set(),
}
PAST_REVIEW = (OrderStatus.confirmed, OrderStatus.in_progress)


def _json(field: str, value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if field == "tech_params":
        return dict(sorted((value or {}).items()))
    return value


def snapshot_of(order: Order) -> dict[str, Any]:
    """The reviewed fields of an order, in JSON form."""
    return {f: _json(f, getattr(order, f)) for f in REVIEWED_FIELDS}


def field_diffs(before: dict[str, Any], after: dict[str, Any]) -> list[FieldDiff]:
    """The reviewed fields whose value differs between two snapshots."""
    return [
        FieldDiff(field=f, name=name, before=before.get(f), after=after.get(f))
        for f, name in REVIEWED_FIELDS.items()
        if f in before and f in after and before[f] != after[f]
    ]


def merged_params(current: dict[str, str], patch: dict[str, str | None]) -> dict[str, str]:
    """A PATCH of technical parameters: given keys are set, keys given as null are removed."""
    merged = {**current, **{k: v for k, v in patch.items() if v is not None}}
    return {k: v for k, v in merged.items() if patch.get(k, "") is not None}


def require_reviewable(order: Order) -> None:
    """Nothing goes to review without payment terms and technical parameters."""
    if not order.payment_terms.strip():
        raise InvalidInput("付款条件为空，不能提交评审", field="payment_terms")
    if not {k: v for k, v in order.tech_params.items() if k.strip() and str(v).strip()}:
        raise InvalidInput("技术参数为空，不能提交评审", field="tech_params")


def _current_review(session: Session, order_id: int) -> Review | None:
    query = select(Review).where(Review.order_id == order_id)
    return session.exec(query.order_by(col(Review.round).desc())).first()


def reopen_signoffs(*, session: Session, order: Order, changed: dict[str, Any]) -> list[Signoff]:
    """Clear the signatures of the departments a change in review concerns (logged)."""
    review = _current_review(session, order.id)
    if review is None:
        return []
    lines = list(session.exec(select(Signoff).where(Signoff.review_id == review.id)))
    codes = {line.id: _department_code(session, line.department_id) for line in lines}
    reopened = []
    for line in lines:
        if line.status != SignoffStatus.signed:
            continue
        fields = [f for f in changed if codes[line.id] in _concerned(f, set(codes.values()))]
        if not fields:
            continue
        names = "、".join(REVIEWED_FIELDS[f] for f in fields)
        note(session, line, f"评审内容变更（{names}），需重新会签")
        line.status, line.user_id, line.signed_at, line.snapshot = (
            SignoffStatus.pending,
            None,
            None,
            None,
        )
        session.add(line)
        reopened.append(line)
    session.flush()
    return reopened


def _concerned(field: str, review_codes: set[str]) -> set[str]:
    owners = FIELD_DEPARTMENTS[field] & review_codes
    return owners or review_codes


def _department_code(session: Session, department_id: int) -> str:
    return session.get(Department, department_id).code


def request_change(
    *, session: Session, actor: Actor, order: Order, changed: dict[str, Any], now: datetime
) -> ChangeOrder:
    """Record a change of reviewed fields on an order past review, pending a manager."""
    before = snapshot_of(order)
    change = ChangeOrder(
        order_id=order.id,
        before={f: before[f] for f in changed},
        after={f: _json(f, v) for f, v in changed.items()},
        requested_by_id=actor.id,
        requested_at=now,
    )
    session.add(change)
    session.flush()
    return change


def list_change_orders(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    status: ChangeOrderStatus | None = None,
) -> list[ChangeOrder]:
    """An order's change orders, newest first."""
    load_order(session, actor, order_id)
    query = select(ChangeOrder).where(ChangeOrder.order_id == order_id)
    if status is not None:
        query = query.where(ChangeOrder.status == status)
    return list(session.exec(query.order_by(col(ChangeOrder.id).desc())))


def _load_pending(session: Session, actor: Actor, order_id: int, change_id: int):
    order = load_order(session, actor, order_id, for_update=True)
    change = session.get(ChangeOrder, change_id)
    if change is None or change.order_id != order.id:
        raise NotFound("变更单不存在", code="change_order_not_found")
    if not (actor.is_admin or actor.has(Role.manager)):
        raise Forbidden("只有管理层可以审批变更单", code="not_manager")
    if change.status != ChangeOrderStatus.pending:
        raise Conflict("该变更单已经审批过", code="already_decided")
    return order, change


@acts
def approve_change_order(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    change_id: int,
    note_text: str | None = None,
    now: datetime | None = None,
) -> ChangeOrder:
    """A manager approves a change order: the change applies to the order (logged)."""
    now = now or utcnow()
    order, change = _load_pending(session, actor, order_id, change_id)
    if order.status not in PAST_REVIEW:
        raise Conflict("订单已关闭或不在执行中，不能应用变更", code="order_not_running")
    current = snapshot_of(order)
    if any(current[f] != v for f, v in change.before.items()):
        raise Conflict("订单在变更单提交后已被修改，请驳回后重新提交", code="change_stale")
    note(session, order, f"变更单 #{change.id} 批准")
    for f, value in change.after.items():
        setattr(order, f, date.fromisoformat(value) if f == "delivery_date" else value)
    order.updated_at = now
    _decide(change, actor, ChangeOrderStatus.approved, note_text, now)
    session.add_all([order, change])
    session.flush()
    return change


@acts
def reject_change_order(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    change_id: int,
    note_text: str | None,
    now: datetime | None = None,
) -> ChangeOrder:
    """A manager rejects a change order with a reason; the order stays as it was."""
    _, change = _load_pending(session, actor, order_id, change_id)
    if not (note_text and note_text.strip()):
        raise InvalidInput("驳回变更单时必须填写原因", field="note")
    _decide(change, actor, ChangeOrderStatus.rejected, note_text.strip(), now or utcnow())
    session.add(change)
    session.flush()
    return change


def _decide(change, actor: Actor, status, note_text: str | None, now: datetime) -> None:
    change.status = status
    change.decided_by_id = actor.id
    change.decided_at = now
    change.decision_note = (note_text or "").strip() or None


def changed_reviewed_fields(order: Order, fields: dict[str, Any]) -> dict[str, Any]:
    """The reviewed fields of an update whose value differs from the order's."""
    current = snapshot_of(order)
    return {f: v for f, v in fields.items() if f in REVIEWED_FIELDS and _json(f, v) != current[f]}
