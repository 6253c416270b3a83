"""Supplier delivery history from procurement's tables, for delay prediction.

A delivery is a purchase line that arrived (`arrived_on`, set on receipt by a scan or by hand),
measured against the first date its supplier promised for it (`promised_date_change`, which
keeps every promise, the first included). The first promise, not the last: a supplier that
moves its promise again and again has not kept it, and measuring against the final promise
would let re-promising erase the lateness. When a line changed supplier, the promise counted
is the first one given by the supplier that delivered. Lines never promised teach nothing.

An open line is judged the same way: pass its `first_promise` to `probability_late`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from app.services.alerts.prediction import (
    DEFAULT_K,
    MIN_HISTORY,
    MIN_OWN,
    SMOOTHING,
    DelayModel,
    Delivery,
)
from models.purchasing import PromisedDateChange, PurchaseLine


def _first_promises():
    """(line, supplier) -> id of the first promise that supplier gave for that line."""
    return (
        select(
            PromisedDateChange.purchase_line_id.label("line_id"),
            PromisedDateChange.supplier_id.label("supplier_id"),
            func.min(PromisedDateChange.id).label("first_id"),
        )
        .group_by(PromisedDateChange.purchase_line_id, PromisedDateChange.supplier_id)
        .subquery()
    )


def _promised_lines():
    first = _first_promises()
    return (
        select(PurchaseLine.id, PurchaseLine.supplier_id, PromisedDateChange.new_date)
        .join(
            first,
            and_(
                first.c.line_id == PurchaseLine.id,
                first.c.supplier_id == PurchaseLine.supplier_id,
            ),
        )
        .join(PromisedDateChange, PromisedDateChange.id == first.c.first_id)
    )


def delivery_history(session: Session, *, since: date | None = None) -> list[Delivery]:
    """Every received purchase line as (supplier, first promise, arrival), oldest arrival first;
    with `since`, only arrivals on or after that day."""
    query = _promised_lines().add_columns(PurchaseLine.arrived_on)
    # Only real arrivals: a line closed without goods received teaches nothing.
    query = query.where(col(PurchaseLine.arrived_on).is_not(None), PurchaseLine.received > 0)
    if since is not None:
        query = query.where(PurchaseLine.arrived_on >= since)
    rows = session.exec(query.order_by(PurchaseLine.arrived_on, PurchaseLine.id)).all()
    return [Delivery(supplier_id, promised, arrived) for _, supplier_id, promised, arrived in rows]


def first_promise(session: Session, purchase_line_id: int) -> date | None:
    """The first date the line's current supplier promised for it (None if never promised)."""
    query = _promised_lines().where(PurchaseLine.id == purchase_line_id)
    row = session.exec(query).first()
    return row[2] if row else None


def delay_model(session: Session, *, since: date | None = None, k: float = DEFAULT_K):
    """A DelayModel fitted on the deployment's delivery history, with the trust thresholds
    (minimum history, calibration) of prediction.py."""
    history = delivery_history(session, since=since)
    return DelayModel(history, k, min_history=MIN_HISTORY, min_own=MIN_OWN, smoothing=SMOOTHING)


def first_promise_lines():
    """SELECT (purchase line id, its supplier, that supplier's first promise) for every line
    that has one; add columns and conditions to ask about many lines in one query."""
    return _promised_lines()
