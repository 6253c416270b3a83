"""Day-labour (点工) summary of an order, from its daily reports: hours per worker and per day."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, func, select

from app.services.core import Actor, load_order
from models.errors import InvalidInput
from models.reports import DayHours, LabourEntry, LabourSummary, WorkerHours


def labour_summary(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    start: date | None = None,
    end: date | None = None,
) -> LabourSummary:
    """Total day-labour hours of an order (optionally between two days, both included)."""
    load_order(session, actor, order_id)
    if start and end and end < start:
        raise InvalidInput("结束日期不能早于开始日期", field="end")
    where = [LabourEntry.order_id == order_id]
    if start is not None:
        where.append(LabourEntry.day >= start)
    if end is not None:
        where.append(LabourEntry.day <= end)
    hours = func.sum(LabourEntry.hours)
    by_worker = session.exec(
        select(LabourEntry.worker, hours, func.count(func.distinct(LabourEntry.day)))
        .where(*where)
        .group_by(LabourEntry.worker)
        .order_by(hours.desc(), LabourEntry.worker)
    ).all()
    by_day = session.exec(
        select(LabourEntry.day, hours, func.count(func.distinct(LabourEntry.worker)))
        .where(*where)
        .group_by(LabourEntry.day)
        .order_by(LabourEntry.day)
    ).all()
    return LabourSummary(
        order_id=order_id,
        start=start,
        end=end,
        total_hours=round(sum(h for _, h, _ in by_day), 2),
        by_worker=[WorkerHours(worker=w, hours=round(h, 2), days=n) for w, h, n in by_worker],
        by_day=[DayHours(day=d, hours=round(h, 2), workers=n) for d, h, n in by_day],
    )
