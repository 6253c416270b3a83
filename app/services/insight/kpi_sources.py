"""Where the KPIs' samples come from: acceptances, site issues, BOM lines and purchase
deliveries, each read in one query limited to the orders the actor may see."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, func, select

from app.services.alerts import delivery_history
from app.services.core import Actor, local_date, visible_orders_clause
from models.acceptance import Acceptance
from models.alerts import Alert, exception_columns
from models.bom import BomLine
from models.issues import SiteIssue
from models.orders import Order
from models.purchasing import PurchaseLine
from models.suppliers import Supplier


@dataclass(frozen=True)
class Sample:
    """One observation: the local day it belongs to, the order's liaison, and its value."""

    day: date
    liaison_id: int | None
    value: float


def acceptances(session, actor, first: date, last: date) -> list[tuple[Acceptance, int | None]]:
    """Acceptances of the window with their order's liaison."""
    query = (
        select(Acceptance, Order.liaison_id)
        .join(Order, Order.id == Acceptance.order_id)
        .where(visible_orders_clause(actor), Acceptance.accepted_on >= first)
        .where(Acceptance.accepted_on <= last)
    )
    return list(session.exec(query).all())


def site_issue_responses(session: Session, actor: Actor, first: date, last: date):
    """Response samples from site issues: hours from report to the owner's first 收到."""
    query = (
        select(SiteIssue.created_at, SiteIssue.response_seconds, Order.liaison_id)
        .join(Order, Order.id == SiteIssue.order_id)
        .where(visible_orders_clause(actor), col(SiteIssue.response_seconds).is_not(None))
    )
    for created, seconds, liaison in session.exec(query):
        day = local_date(created)
        if first <= day <= last:
            yield Sample(day, liaison, seconds / 3600)


def alert_responses(session: Session, actor: Actor, first: date, last: date):
    """Response samples from warnings (预警): hours from the exception's first alert to its
    acknowledgement, each exception once however many days it was reminded; escalations are
    reminders of an exception, not new ones."""
    query = (
        select(Alert.since, func.max(Alert.response_seconds), Order.liaison_id)
        .join(Order, Order.id == Alert.order_id)
        .where(visible_orders_clause(actor), col(Alert.parent_id).is_(None))
        .group_by(*exception_columns(), Alert.since, Order.liaison_id)
        .having(func.max(Alert.response_seconds).is_not(None))
    )
    for since, seconds, liaison in session.exec(query):
        day = local_date(since)
        if first <= day <= last:
            yield Sample(day, liaison, seconds / 3600)


def resolution_samples(session, actor, first: date, last: date) -> list[Sample]:
    """Resolution samples: hours from report to the latest resolution, by resolution day."""
    query = (
        select(SiteIssue.resolved_at, SiteIssue.resolution_seconds, Order.liaison_id)
        .join(Order, Order.id == SiteIssue.order_id)
        .where(visible_orders_clause(actor), col(SiteIssue.resolution_seconds).is_not(None))
    )
    out = []
    for resolved, seconds, liaison in session.exec(query):
        day = local_date(resolved)
        if first <= day <= last:
            out.append(Sample(day, liaison, seconds / 3600))
    return out


def shortage_samples(session, actor, first: date, last: date, today: date) -> list[Sample]:
    """One sample per BOM line that was short at its need date, on its need date."""
    arrived = (
        select(PurchaseLine.bom_line_id, func.max(PurchaseLine.arrived_on).label("last"))
        .group_by(PurchaseLine.bom_line_id)
        .subquery()
    )
    query = (
        select(
            BomLine.need_date, BomLine.needed, BomLine.received, arrived.c.last, Order.liaison_id
        )
        .join(Order, Order.id == BomLine.order_id)
        .outerjoin(arrived, arrived.c.bom_line_id == BomLine.id)
        .where(visible_orders_clause(actor), BomLine.need_date >= first)
        .where(BomLine.need_date <= min(last, today))
    )
    out = []
    for need, needed, received, last_arrival, liaison in session.exec(query):
        if isinstance(last_arrival, str):
            last_arrival = date.fromisoformat(last_arrival)
        still_short = received < needed
        came_late = last_arrival is not None and last_arrival > need
        if still_short or came_late:
            out.append(Sample(need, liaison, 1.0))
    return out


def supplier_delays(session: Session, first: date) -> tuple[dict[int, list[int]], dict]:
    """Per supplier, the delays in days of its deliveries since `first`; and the names."""
    by_supplier: dict[int, list[int]] = defaultdict(list)
    for d in delivery_history(session, since=first):
        by_supplier[d.supplier_id].append(d.delay)
    names = {}
    if by_supplier:
        names = dict(
            session.exec(
                select(Supplier.id, Supplier.name).where(col(Supplier.id).in_(by_supplier))
            ).all()
        )
    return by_supplier, names
