"""Reading the change log (变更日志) of an order."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from app.services.actor import Actor
from app.services.permissions import load_order
from models.changes import ChangeLog


def list_changes(
    *, session: Session, actor: Actor, order_id: int, page: int = 1, per_page: int = 50
) -> tuple[list[ChangeLog], int]:
    """An order's change log, newest first, one page at a time."""
    load_order(session, actor, order_id)
    query = select(ChangeLog).where(ChangeLog.order_id == order_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(ChangeLog.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total
