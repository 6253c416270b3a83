"""Actual cost of orders by category, drawn from the data the other stages already keep.

Set-based: each source is one query over all the orders asked for, summed exactly in Decimal.

- material: each purchase line's unit price times max(ordered, received) (what the order is
  committed to pay; a cancelled line counts only what was received). Lines without a price
  are counted as unpriced and add nothing.
- labour: daily-report hours times the hourly rate of the reporter's role on the order (the
  deployment's LABOUR_RATES, `default` for roles not listed), plus day-labour (点工) hours
  times the `day_labour` rate.
- logistics: each shipment's freight plus insurance cost.
- every category: the costs entered by hand (cost_entry) in that category.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import BigInteger, type_coerce
from sqlmodel import Session, and_, col, func, select

from app.services.core import settings
from models.bom import BomLine
from models.costs import CostEntry, OrderBudget
from models.enums import CostCategory, PurchaseStatus
from models.materials import Material
from models.orders import OrderMember
from models.purchasing import PurchaseLine
from models.quantities import yuan
from models.reports import DailyReport, LabourEntry
from models.shipments import Shipment
from models.suppliers import Supplier

Totals = dict[int, dict[CostCategory, Decimal]]


def hours(value: float | None) -> Decimal:
    """Hours as an exact Decimal with two places (reports store them as floats)."""
    return Decimal(str(round(value or 0.0, 2)))


def rate_for(role: str | None) -> Decimal:
    """The hourly rate of a role (the deployment default for roles without their own)."""
    rates = settings().labour_rates
    return rates.get(role or "default", rates["default"])


def line_amount(line: PurchaseLine) -> Decimal:
    """What a purchase line costs the order (see the module docstring)."""
    return amount_of(line.unit_price, line.quantity, line.received, line.status)


def amount_of(price, quantity, received, status) -> Decimal:
    if price is None:
        return Decimal(0)
    counted = received if status == PurchaseStatus.cancelled else max(quantity, received)
    return yuan(price * counted)


# A price (fen) times a quantity (thousandths) is in 1e-5 yuan; a fen is 1e3 of those.
_PER_FEN = 10**3


def _fen(product: int) -> int:
    """Whole fen of a price x quantity product, rounded half even exactly as yuan() rounds."""
    fen, rest = divmod(product, _PER_FEN)
    if rest * 2 > _PER_FEN or (rest * 2 == _PER_FEN and fen % 2):
        fen += 1
    return fen


def material_fen(session: Session, ids: list[int]) -> dict[int, int]:
    """Material cost per order in whole fen, from the stored integers (no Decimal per cell:
    this runs over every purchase line of every open order)."""
    query = select(
        PurchaseLine.order_id,
        type_coerce(PurchaseLine.unit_price, BigInteger),
        type_coerce(PurchaseLine.quantity, BigInteger),
        type_coerce(PurchaseLine.received, BigInteger),
        PurchaseLine.status == PurchaseStatus.cancelled,
    ).where(col(PurchaseLine.order_id).in_(ids), col(PurchaseLine.unit_price).is_not(None))
    totals: dict[int, int] = defaultdict(int)
    for order_id, price, quantity, received, cancelled in session.exec(query):
        counted = received if cancelled else max(quantity, received)
        totals[order_id] += _fen(price * counted)
    return totals


def material_lines(session: Session, order_ids: Iterable[int]):
    """(purchase line, material code and name, supplier name) of these orders."""
    query = (
        select(PurchaseLine, Material.code, Material.name, Supplier.name)
        .join(BomLine, BomLine.id == PurchaseLine.bom_line_id)
        .join(Material, Material.id == BomLine.material_id)
        .join(Supplier, Supplier.id == PurchaseLine.supplier_id)
        .where(col(PurchaseLine.order_id).in_(list(order_ids)))
        .order_by(PurchaseLine.order_id, PurchaseLine.id)
    )
    return session.exec(query).all()


def report_hours(session: Session, order_ids: Iterable[int]):
    """(order id, user id, member role, hours) summed per reporter from the daily reports."""
    member = and_(
        OrderMember.order_id == DailyReport.order_id, OrderMember.user_id == DailyReport.user_id
    )
    total = func.sum(DailyReport.hours)
    query = (
        select(DailyReport.order_id, DailyReport.user_id, OrderMember.role, total)
        .outerjoin(OrderMember, member)
        .where(col(DailyReport.order_id).in_(list(order_ids)), col(DailyReport.hours).is_not(None))
        .group_by(DailyReport.order_id, DailyReport.user_id, OrderMember.role)
    )
    return session.exec(query).all()


def day_labour_hours(session: Session, order_ids: Iterable[int]):
    """(order id, worker, hours) of the day-labour entries."""
    query = (
        select(LabourEntry.order_id, LabourEntry.worker, func.sum(LabourEntry.hours))
        .where(col(LabourEntry.order_id).in_(list(order_ids)))
        .group_by(LabourEntry.order_id, LabourEntry.worker)
        .order_by(LabourEntry.order_id, LabourEntry.worker)
    )
    return session.exec(query).all()


def shipments_of(session: Session, order_ids: Iterable[int]) -> list[Shipment]:
    query = select(Shipment).where(col(Shipment.order_id).in_(list(order_ids)))
    return list(session.exec(query.order_by(Shipment.id)))


def shipment_amount(shipment: Shipment) -> Decimal:
    return yuan((shipment.freight_cost or 0) + (shipment.insurance_cost or 0))


def entries_of(session: Session, order_ids: Iterable[int]) -> list[CostEntry]:
    query = select(CostEntry).where(col(CostEntry.order_id).in_(list(order_ids)))
    return list(session.exec(query.order_by(CostEntry.incurred_on, CostEntry.id)))


def actual_costs(session: Session, order_ids: Iterable[int]) -> Totals:
    """Actual cost per order and category, every category present (zero when nothing)."""
    ids = sorted(set(order_ids))
    totals: Totals = {i: dict.fromkeys(CostCategory, Decimal(0)) for i in ids}
    if not ids:
        return totals
    for order_id, fen in material_fen(session, ids).items():
        totals[order_id][CostCategory.material] += Decimal(fen).scaleb(-2)
    for order_id, _user, role, total in report_hours(session, ids):
        totals[order_id][CostCategory.labour] += yuan(hours(total) * rate_for(role))
    for order_id, _worker, total in day_labour_hours(session, ids):
        totals[order_id][CostCategory.labour] += yuan(hours(total) * rate_for("day_labour"))
    for shipment in shipments_of(session, ids):
        totals[shipment.order_id][CostCategory.logistics] += shipment_amount(shipment)
    for entry in entries_of(session, ids):
        totals[entry.order_id][CostCategory(entry.category)] += entry.amount
    return totals


def budgets(session: Session, order_ids: Iterable[int]) -> dict[int, dict[CostCategory, Decimal]]:
    """The budgets set, per order and category (categories without a budget are absent)."""
    out: dict[int, dict[CostCategory, Decimal]] = defaultdict(dict)
    query = select(OrderBudget).where(col(OrderBudget.order_id).in_(list(order_ids)))
    for row in session.exec(query):
        out[row.order_id][CostCategory(row.category)] = row.amount
    return out
