"""An order's production operations: planned by hand or from the templates, linked into a DAG
(cycles refused, naming the loop), marked blocked with a reason."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, func, select

from app.services.core import STAGE_ROLES, Actor, acts, load_order, note
from app.services.orders import open_order, row_of_order
from app.services.production.data import (
    operations_of,
    sync_production_progress,
    upstream_of,
)
from app.services.production.plan import EPS, find_cycle, loop_in_flow_order
from models.base import utcnow
from models.enums import StageKind
from models.errors import Conflict, InvalidInput, NotFound
from models.production import (
    Operation,
    OperationCreate,
    OperationLink,
    OperationOutput,
    OperationTemplate,
    OperationUpdate,
)

PRODUCTION = STAGE_ROLES[StageKind.production]
MAX_SPAN_DAYS = 3 * 366


def open_for_production(session: Session, actor: Actor, order_id: int):
    """The order, locked, for production work (production and tracker members, admins)."""
    return open_order(session, actor, order_id, PRODUCTION, "安排生产工序")


def list_operations(*, session: Session, actor: Actor, order_id: int) -> list[Operation]:
    """The order's operations in sequence."""
    load_order(session, actor, order_id)
    return operations_of(session=session, order_id=order_id)


def _check_plan(op: Operation) -> None:
    if op.planned_end < op.planned_start:
        raise InvalidInput("计划结束日期不能早于计划开始日期", field="planned_end")
    if (op.planned_end - op.planned_start).days > MAX_SPAN_DAYS:
        raise InvalidInput("单道工序的计划工期不能超过 3 年", field="planned_end")
    if op.daily_plan is None:
        return
    days = sorted(date.fromisoformat(d) for d in op.daily_plan)
    outside = [d for d in days if not op.planned_start <= d <= op.planned_end]
    if outside:
        raise InvalidInput(f"逐日计划的日期 {outside[0]} 不在计划起止日期内", field="daily_plan")
    total = sum(op.daily_plan.values())
    if abs(total - op.planned_qty) > 1e-6 * max(1.0, op.planned_qty):
        raise InvalidInput(
            f"逐日计划合计 {total:g} 与计划数量 {op.planned_qty:g} 不一致", field="daily_plan"
        )


def _check_name(session: Session, order_id: int, name: str, exclude_id: int | None) -> None:
    query = select(Operation.id).where(Operation.order_id == order_id, Operation.name == name)
    found = session.exec(query).first()
    if found is not None and found != exclude_id:
        raise Conflict(f"本订单已有名为「{name}」的工序", code="duplicate")


def _set_upstream(session: Session, op: Operation, wanted: list[int]) -> None:
    wanted = list(dict.fromkeys(wanted))
    ops = {o.id: o for o in operations_of(session=session, order_id=op.order_id)}
    unknown = [i for i in wanted if i not in ops]
    if unknown:
        raise NotFound(f"前道工序 {unknown} 不存在或不属于本订单", field="depends_on")
    graph = upstream_of(session=session, order_id=op.order_id)
    graph[op.id] = wanted
    cycle = find_cycle(dict(graph))
    if cycle:
        path = " → ".join(ops[i].name for i in loop_in_flow_order(cycle, op.id))
        raise InvalidInput(
            f"工序依赖不能形成循环：{path}", code="dependency_cycle", field="depends_on"
        )
    links = session.exec(select(OperationLink).where(OperationLink.downstream_id == op.id)).all()
    have = {link.upstream_id: link for link in links}
    for up, link in have.items():
        if up not in wanted:
            session.delete(link)
    for up in wanted:
        if up not in have:
            session.add(OperationLink(order_id=op.order_id, upstream_id=up, downstream_id=op.id))


def _plan_fields(fields: dict) -> dict:
    if fields.get("daily_plan") is not None:
        fields["daily_plan"] = {d.isoformat(): q for d, q in sorted(fields["daily_plan"].items())}
    if fields.get("work_weekdays") is not None:
        fields["work_weekdays"] = sorted(set(fields["work_weekdays"]))
    return fields


def _next_seq(session: Session, order_id: int) -> int:
    last = session.exec(select(func.max(Operation.seq)).where(Operation.order_id == order_id))
    return (last.one() or 0) + 10


@acts
def create_operation(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: OperationCreate,
    now: datetime | None = None,
) -> Operation:
    """Add an operation to the order's production plan, with the operations that feed it."""
    open_for_production(session, actor, order_id)
    fields = _plan_fields(data.model_dump(exclude={"depends_on"}))
    if (
        fields["template_id"] is not None
        and session.get(OperationTemplate, fields["template_id"]) is None
    ):
        raise NotFound("工序模板不存在", field="template_id")
    _check_name(session, order_id, fields["name"], None)
    if fields["seq"] is None:
        fields["seq"] = _next_seq(session, order_id)
    now = now or utcnow()
    op = Operation(**fields, order_id=order_id, created_at=now, updated_at=now)
    _check_plan(op)
    session.add(op)
    session.flush()
    _set_upstream(session, op, data.depends_on)
    session.flush()
    sync_production_progress(session=session, actor=actor, order_id=order_id)
    return op


@acts
def update_operation(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    operation_id: int,
    data: OperationUpdate,
    now: datetime | None = None,
) -> Operation:
    """Change an operation's plan or its upstream operations (every change is logged)."""
    open_for_production(session, actor, order_id)
    op = row_of_order(session, Operation, operation_id, order_id, "工序")
    fields = _plan_fields(data.model_dump(exclude_unset=True))
    upstream = fields.pop("depends_on", None)
    if fields.get("name") and fields["name"] != op.name:
        _check_name(session, order_id, fields["name"], op.id)
    for key, value in fields.items():
        if value is not None or key == "daily_plan":
            setattr(op, key, value)
    _check_plan(op)
    if upstream is not None:
        _set_upstream(session, op, upstream)
    op.updated_at = now or utcnow()
    session.add(op)
    session.flush()
    sync_production_progress(session=session, actor=actor, order_id=order_id)
    return op


@acts
def delete_operation(*, session: Session, actor: Actor, order_id: int, operation_id: int) -> None:
    """Remove an operation that has no output yet, with its links."""
    open_for_production(session, actor, order_id)
    op = row_of_order(session, Operation, operation_id, order_id, "工序")
    has_output = session.exec(
        select(OperationOutput.id).where(OperationOutput.operation_id == op.id).limit(1)
    ).first()
    if has_output is not None:
        raise Conflict("该工序已有产量记录，不能删除", code="operation_has_output")
    links = session.exec(
        select(OperationLink).where(
            (OperationLink.upstream_id == op.id) | (OperationLink.downstream_id == op.id)
        )
    ).all()
    for link in links:
        session.delete(link)
    session.flush()
    session.delete(op)
    session.flush()
    sync_production_progress(session=session, actor=actor, order_id=order_id)


@acts
def set_operation_blocked(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    operation_id: int,
    blocked: bool,
    reason: str | None = None,
    now: datetime | None = None,
) -> Operation:
    """Mark an unfinished operation blocked (a reason is required), or clear the mark."""
    open_for_production(session, actor, order_id)
    op = row_of_order(session, Operation, operation_id, order_id, "工序")
    reason = (reason or "").strip()
    if blocked and not reason:
        raise InvalidInput("标记受阻时必须填写原因", field="reason")
    if not blocked and not op.blocked:
        raise Conflict("该工序没有被标记为受阻", code="not_blocked")
    if blocked and _reported(session, op.id) >= op.planned_qty - EPS:
        raise Conflict("工序已完成，不能标记受阻", code="operation_done")
    op.blocked = blocked
    op.blocked_reason = reason if blocked else None
    op.updated_at = now or utcnow()
    if reason and not blocked:
        note(session, op, reason)
    session.add(op)
    session.flush()
    return op


def _reported(session: Session, operation_id: int) -> float:
    query = select(func.coalesce(func.sum(OperationOutput.quantity), 0.0)).where(
        OperationOutput.operation_id == operation_id
    )
    return float(session.exec(query).one())
