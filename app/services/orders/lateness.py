"""Lateness, the one read model: which stages of an order are late and by how many days, and
how late the order's delivery is. Judged on the business day the caller passes (`local_date(now)`
from `models/clock.py`): a stage planned to end on day D is late from D+1 until it is done.

The bot's progress answer, the standups, the overview and the `stage_overdue` warning rule all
read it, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from models.enums import OrderStatus, StageKind, StageStatus
from models.orders import Order
from models.stages import Stage


@dataclass(frozen=True)
class LateStage:
    stage_id: int
    order_id: int
    order_code: str
    liaison_id: int | None
    kind: StageKind
    planned_end: date
    days: int


def days_past(planned: date | None, today: date) -> int:
    """Whole days `today` is past a planned date (0 when not planned or not past)."""
    if planned is None or planned >= today:
        return 0
    return (today - planned).days


def stage_days_late(stage: Stage, today: date) -> int:
    """Days a stage is late on `today`: 0 when done, unplanned or on time."""
    if StageStatus(stage.status) == StageStatus.done:
        return 0
    return days_past(stage.planned_end, today)


def delivery_days_late(order: Order, today: date) -> int:
    """Days the order is past its delivery date (0 when not yet due)."""
    return days_past(order.delivery_date, today)


def late_clause(today: date):
    """The SQL form of `stage_days_late(stage, today) > 0`."""
    return (
        (Stage.status != StageStatus.done)
        & col(Stage.planned_end).is_not(None)
        & (col(Stage.planned_end) < today)
    )


def late_stages(
    *,
    session: Session,
    today: date,
    order_ids: Iterable[int] | None = None,
    statuses: Iterable[OrderStatus] | None = None,
) -> list[LateStage]:
    """The late stages of the given orders (all orders when None), optionally only of orders in
    `statuses`, in stage id order."""
    query = (
        select(Stage, Order.code, Order.liaison_id)
        .join(Order, Order.id == Stage.order_id)
        .where(late_clause(today))
        .order_by(Stage.id)
    )
    if order_ids is not None:
        query = query.where(col(Stage.order_id).in_(sorted(order_ids)))
    if statuses is not None:
        query = query.where(col(Order.status).in_(tuple(statuses)))
    return [
        LateStage(
            stage_id=stage.id,
            order_id=stage.order_id,
            order_code=code,
            liaison_id=liaison_id,
            kind=StageKind(stage.kind),
            planned_end=stage.planned_end,
            days=stage_days_late(stage, today),
        )
        for stage, code, liaison_id in session.exec(query)
    ]
