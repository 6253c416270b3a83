"""Daily output per operation: one report per operation and day; a second submission for the
same day updates it (the change log keeps the old figure). Reporting keeps the production
stage's progress derived from the operations."""

from __future__ import annotations

import math
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.services.core import Actor, acts, load_order, local_date
from app.services.orders import require_executing, row_of_order
from app.services.production.data import sync_production_progress
from app.services.production.operations import open_for_production
from models.base import utcnow
from models.errors import InvalidInput
from models.production import MAX_QTY, Operation, OperationOutput


@acts
def report_output(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    operation_id: int,
    day: date,
    quantity: float,
    note: str | None = None,
    now: datetime | None = None,
) -> OperationOutput:
    """Record (or correct) what an operation produced on a day that is not in the future."""
    now = now or utcnow()
    order = open_for_production(session, actor, order_id)
    require_executing(order, "填报产量")
    op = row_of_order(session, Operation, operation_id, order_id, "工序")
    if day > local_date(now):
        raise InvalidInput("不能填报未来日期的产量", code="future_day", field="day")
    if not math.isfinite(quantity) or not 0 <= quantity <= MAX_QTY:
        raise InvalidInput("产量必须是不小于 0 的数字", field="quantity")
    row = session.exec(
        select(OperationOutput).where(
            OperationOutput.operation_id == op.id, OperationOutput.day == day
        )
    ).first()
    if row is None:
        row = OperationOutput(order_id=order_id, operation_id=op.id, day=day, created_at=now)
    row.quantity = float(quantity)
    row.note = note
    row.reporter_id = actor.id
    row.updated_at = now
    session.add(row)
    session.flush()
    sync_production_progress(session=session, actor=actor, order_id=order_id)
    return row


def list_outputs(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    operation_id: int | None = None,
    day: date | None = None,
) -> list[OperationOutput]:
    """The order's output reports, newest day first, for one operation and/or one day."""
    load_order(session, actor, order_id)
    query = select(OperationOutput).where(OperationOutput.order_id == order_id)
    if operation_id is not None:
        row_of_order(session, Operation, operation_id, order_id, "工序")
        query = query.where(OperationOutput.operation_id == operation_id)
    if day is not None:
        query = query.where(OperationOutput.day == day)
    order_by = (col(OperationOutput.day).desc(), OperationOutput.operation_id)
    return list(session.exec(query.order_by(*order_by)))
