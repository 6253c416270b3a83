"""Loading an order's operations, dependencies and output for the production arithmetic, and
keeping the production stage's progress derived from them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session, select

from app.services.core import Actor, acts
from app.services.orders import check_source, progress_source, refresh_derived_progress
from app.services.production.plan import PlanOp, weighted_progress
from models.enums import StageKind
from models.production import Operation, OperationLink, OperationOutput


def operations_of(*, session: Session, order_id: int) -> list[Operation]:
    """The order's operations in sequence (callers have checked permissions)."""
    query = select(Operation).where(Operation.order_id == order_id)
    return list(session.exec(query.order_by(Operation.seq, Operation.id)))


def upstream_of(*, session: Session, order_id: int) -> dict[int, list[int]]:
    """For each operation of the order, the operations that feed it."""
    out: dict[int, list[int]] = defaultdict(list)
    query = select(OperationLink.downstream_id, OperationLink.upstream_id).where(
        OperationLink.order_id == order_id
    )
    for down, up in session.exec(query.order_by(OperationLink.id)):
        out[down].append(up)
    return out


def actuals_of(*, session: Session, order_id: int) -> dict[int, dict[date, float]]:
    """Reported output per operation and day."""
    out: dict[int, dict[date, float]] = defaultdict(dict)
    query = select(
        OperationOutput.operation_id, OperationOutput.day, OperationOutput.quantity
    ).where(OperationOutput.order_id == order_id)
    for op_id, day, qty in session.exec(query):
        out[op_id][day] = qty
    return out


def plan_op(op: Operation, upstream: list[int]) -> PlanOp:
    """The arithmetic's view of an operation."""
    daily = None
    if op.daily_plan is not None:
        daily = {date.fromisoformat(d): q for d, q in op.daily_plan.items()}
    return PlanOp(
        id=op.id,
        name=op.name,
        planned_qty=op.planned_qty,
        start=op.planned_start,
        end=op.planned_end,
        seq=op.seq,
        weight=op.weight,
        work_weekdays=frozenset(op.work_weekdays),
        daily_plan=daily,
        upstream=tuple(upstream),
        blocked_reason=(op.blocked_reason or "已标记受阻") if op.blocked else None,
    )


def load_plan(
    *, session: Session, order_id: int
) -> tuple[list[Operation], list[PlanOp], dict[int, dict[date, float]]]:
    """The order's operations, their arithmetic form and their output, in three queries."""
    ops = operations_of(session=session, order_id=order_id)
    upstream = upstream_of(session=session, order_id=order_id)
    plans = [plan_op(op, upstream.get(op.id, [])) for op in ops]
    return ops, plans, actuals_of(session=session, order_id=order_id)


@progress_source(StageKind.production)
def production_progress(*, session: Session, order_id: int) -> int | None:
    """The operations' weighted completion %, or None while the order has no operations."""
    _, plans, actuals = load_plan(session=session, order_id=order_id)
    if not plans:
        return None
    totals = {p.id: sum(actuals.get(p.id, {}).values()) for p in plans}
    return weighted_progress(plans, totals)


@check_source(StageKind.production, "全部工序完工", "工序产量：全部工序已完成计划数量")
def all_operations_done(*, session: Session, order_id: int) -> bool:
    """The order has operations and their output covers every planned quantity."""
    return production_progress(session=session, order_id=order_id) == 100


@acts
def sync_production_progress(*, session: Session, actor: Actor, order_id: int) -> None:
    """Keep the running production stage's progress equal to the operations' completion."""
    refresh_derived_progress(session=session, order_id=order_id, kind=StageKind.production)
