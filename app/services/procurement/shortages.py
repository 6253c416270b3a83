"""Shortages (缺料): every open BOM line that is inside its warning window and not secured.

For each BOM line of a confirmed or running order that is not fully received:
- incoming = what confirmed, shipped and in-transit purchase lines still have to deliver,
  counting only those promised on or before the need date (ordered-but-unconfirmed and
  delayed lines are a risk, not a promise, so they do not count);
- secured = received + incoming;
- the line is a shortage when need date - warning days (7 unless the line says otherwise)
  <= today and secured < needed; it is escalated once the need date has passed.

One SQL query over all orders answers it (`shortage_query`), key materials first, then by need
date; `find_shortages` is what the API and the reminder rules call, with `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, func, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlmodel import Session, col, select

from app.services.core import Actor, load_order, local_date, visible_orders_clause
from models.base import utcnow
from models.bom import DEFAULT_WARNING_DAYS, BomLine
from models.enums import OrderStatus, PurchaseStatus
from models.materials import Material
from models.orders import Order
from models.purchasing import PurchaseLine
from models.quantities import QUANTITY
from models.shortages import ShortagePublic
from models.suppliers import Supplier

PROMISED = (PurchaseStatus.confirmed, PurchaseStatus.shipped, PurchaseStatus.in_transit)


class days_before(FunctionElement):
    """date - n days, on SQLite and PostgreSQL."""

    type = Date()
    inherit_cache = True


@compiles(days_before)
def _days_before_pg(element, compiler, **kw):
    day, days = list(element.clauses)
    return f"({compiler.process(day, **kw)} - {compiler.process(days, **kw)})"


@compiles(days_before, "sqlite")
def _days_before_sqlite(element, compiler, **kw):
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '-' || {compiler.process(days, **kw)} || ' days')"


def _promised(order_ids=None):
    """Per BOM line, what confirmed, shipped and in-transit purchases still have to deliver
    by the need date (of the given orders only, when given: no scan of every purchase)."""
    query = (
        select(
            PurchaseLine.bom_line_id,
            func.sum(PurchaseLine.quantity - PurchaseLine.received).label("incoming"),
        )
        .join(BomLine, BomLine.id == PurchaseLine.bom_line_id)
        .where(
            col(PurchaseLine.status).in_(PROMISED),
            PurchaseLine.promised_date <= BomLine.need_date,
        )
        .group_by(PurchaseLine.bom_line_id)
    )
    if order_ids is not None:
        query = query.where(col(PurchaseLine.order_id).in_(order_ids))
    return query.subquery()


def shortage_query(
    *,
    today: date,
    actor: Actor | None = None,
    order_id: int | None = None,
    order_ids: list[int] | None = None,
):
    """The SELECT listing shortages as of `today`, limited to what the actor may see (and to
    one order, or to some orders)."""
    if order_id is not None:
        order_ids = [order_id] if order_ids is None else [i for i in order_ids if i == order_id]
    promised = _promised(order_ids)
    incoming = func.coalesce(promised.c.incoming, 0)
    secured = BomLine.received + incoming
    warn_from = days_before(
        BomLine.need_date, func.coalesce(BomLine.warning_days, DEFAULT_WARNING_DAYS)
    )
    query = (
        select(
            BomLine.id,
            BomLine.order_id,
            Order.code,
            Material.id,
            Material.code,
            Material.name,
            Material.unit,
            Material.is_key,
            BomLine.needed,
            BomLine.received,
            type_coerce(incoming, QUANTITY),
            type_coerce(secured, QUANTITY),
            type_coerce(BomLine.needed - secured, QUANTITY),
            BomLine.need_date,
            warn_from,
            Supplier.id,
            Supplier.name,
        )
        .join(Order, Order.id == BomLine.order_id)
        .join(Material, Material.id == BomLine.material_id)
        .outerjoin(promised, promised.c.bom_line_id == BomLine.id)
        .outerjoin(Supplier, Supplier.id == Material.backup_supplier_id)
        .where(
            col(Order.status).in_(OrderStatus.executing()),
            BomLine.received < BomLine.needed,
            secured < BomLine.needed,
            warn_from <= today,
        )
        .order_by(col(Material.is_key).desc(), BomLine.need_date, Order.code, BomLine.id)
    )
    if actor is not None:
        query = query.where(visible_orders_clause(actor))
    if order_ids is not None:
        query = query.where(col(BomLine.order_id).in_(order_ids))
    return query


@dataclass(frozen=True)
class Shortages:
    items: list[ShortagePublic]
    today: date


def find_shortages(
    *,
    session: Session,
    now: datetime | None = None,
    actor: Actor | None = None,
    order_id: int | None = None,
) -> Shortages:
    """Shortages as of `now` (local date), for what `actor` may see (everything if None)."""
    today = local_date(now or utcnow())
    rows = session.exec(shortage_query(today=today, actor=actor, order_id=order_id)).all()
    return Shortages(items=[_public(row, today) for row in rows], today=today)


def list_shortages(
    *, session: Session, actor: Actor, order_id: int | None = None, now: datetime | None = None
) -> Shortages:
    """Shortages of one order, or of every order the actor may see."""
    if order_id is not None:
        load_order(session, actor, order_id)
    return find_shortages(session=session, now=now, actor=actor, order_id=order_id)


def _public(row, today: date) -> ShortagePublic:
    (line_id, order_id, order_code, material_id, material_code, name, unit, is_key) = row[:8]
    needed, received, incoming, secured, short, need_date, warn_from = row[8:15]
    if isinstance(warn_from, str):
        warn_from = date.fromisoformat(warn_from)
    return ShortagePublic(
        bom_line_id=line_id,
        order_id=order_id,
        order_code=order_code,
        material_id=material_id,
        material_code=material_code,
        material_name=name,
        unit=unit,
        is_key=bool(is_key),
        needed=needed,
        received=received,
        incoming=incoming,
        secured=secured,
        short=short,
        need_date=need_date,
        warn_from=warn_from,
        days_left=(need_date - today).days,
        escalated=need_date < today,
        backup_supplier_id=row[15],
        backup_supplier_name=row[16],
    )
