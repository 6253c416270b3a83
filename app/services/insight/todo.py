"""我的待办: one person's day on the phone. The warnings waiting for their 收到, the issues they
own that are past due, what their orders plan to finish today, and their orders' shortages.

"My orders" are the open orders the person is a member or the liaison of: managers and admins
see every order, but their to-do list is still the work they are named on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.services.alerts import alert_public, may_acknowledge
from app.services.core import Actor, local_date
from app.services.field import issues_public
from app.services.procurement import find_shortages
from models.alerts import Alert
from models.base import utcnow
from models.enums import (
    STAGE_NAMES,
    STAGE_STATUS_NAMES,
    IssueState,
    OrderStatus,
    Role,
    StageStatus,
)
from models.issues import SiteIssue
from models.orders import Order, OrderMember
from models.production import Operation, OperationOutput
from models.stages import Stage
from models.todo import TodoList, TodoMilestone


def _my_orders(session: Session, actor: Actor) -> dict[int, Order]:
    member = select(OrderMember.order_id).where(OrderMember.user_id == actor.id)
    query = select(Order).where(
        or_(col(Order.id).in_(member), Order.liaison_id == actor.id),
        col(Order.status).in_(OrderStatus.open()),
    )
    return {o.id: o for o in session.exec(query.order_by(Order.id))}


def _alerts(session: Session, actor: Actor, orders: dict[int, Order]) -> list:
    if not orders:
        return []
    query = select(Alert).where(
        col(Alert.order_id).in_(list(orders)),
        col(Alert.acknowledged_at).is_(None),
        col(Alert.resolved_at).is_(None),
    )
    rows = session.exec(query.order_by(col(Alert.id).desc())).all()
    mine = [a for a in rows if may_acknowledge(session, actor, a, orders[a.order_id])]
    # Managers may acknowledge everything on their orders: theirs to answer are those they own
    # or whose order they are the liaison of.
    if actor.is_admin or actor.has(Role.manager):
        mine = [a for a in mine if actor.id in (a.owner_id, orders[a.order_id].liaison_id)]
    return [alert_public(session, a) for a in mine]


def _overdue(session: Session, actor: Actor, now: datetime) -> list:
    query = select(SiteIssue).where(
        SiteIssue.owner_id == actor.id,
        col(SiteIssue.state).in_(IssueState.waiting()),
        col(SiteIssue.due_at) < now,
    )
    return issues_public(session, list(session.exec(query.order_by(SiteIssue.due_at))))


def _milestones(session: Session, orders: dict[int, Order], now: datetime) -> list:
    if not orders:
        return []
    today = local_date(now)
    ids = list(orders)
    out: list[TodoMilestone] = []
    stages = session.exec(
        select(Stage)
        .where(
            col(Stage.order_id).in_(ids),
            Stage.planned_end == today,
            Stage.status != StageStatus.done,
        )
        .order_by(Stage.order_id, Stage.seq)
    ).all()
    for stage in stages:
        out.append(
            TodoMilestone(
                kind="stage",
                id=stage.id,
                order_id=stage.order_id,
                order_code=orders[stage.order_id].code,
                name=STAGE_NAMES[stage.kind],
                planned_end=stage.planned_end,
                status_name=STAGE_STATUS_NAMES[stage.status],
                progress=stage.progress,
            )
        )
    done = (
        select(OperationOutput.operation_id, func.sum(OperationOutput.quantity))
        .where(col(OperationOutput.order_id).in_(ids))
        .group_by(OperationOutput.operation_id)
    )
    made = {op_id: float(total or 0) for op_id, total in session.exec(done)}
    operations = session.exec(
        select(Operation)
        .where(col(Operation.order_id).in_(ids), Operation.planned_end == today)
        .order_by(Operation.order_id, Operation.seq, Operation.id)
    ).all()
    for op in operations:
        share = made.get(op.id, 0.0) / op.planned_qty if op.planned_qty else 1.0
        if share >= 1:
            continue
        progress = max(0, min(100, int(share * 100)))
        status = "受阻" if op.blocked else ("进行中" if progress else "未开始")
        out.append(
            TodoMilestone(
                kind="operation",
                id=op.id,
                order_id=op.order_id,
                order_code=orders[op.order_id].code,
                name=op.name,
                planned_end=op.planned_end,
                status_name=status,
                progress=progress,
            )
        )
    return out


def my_todo(*, session: Session, actor: Actor, now: datetime | None = None) -> TodoList:
    """The signed-in person's to-do list as of `now` (the business day of the project's clock)."""
    now = now or utcnow()
    orders = _my_orders(session, actor)
    shortages = find_shortages(session=session, now=now, actor=actor).items
    return TodoList(
        day=local_date(now),
        alerts=_alerts(session, actor, orders),
        overdue_issues=_overdue(session, actor, now),
        milestones=_milestones(session, orders, now),
        shortages=[s for s in shortages if s.order_id in orders],
    )
