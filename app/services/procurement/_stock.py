"""Stock movements of a scan: receive onto a BOM line, issue from it, count a material.

Two phones scanning the same material must never lose a count. Each movement locks the
material row, then the BOM line, then its purchase lines (always in that order, so single scans
cannot deadlock) with SELECT ... FOR NO KEY UPDATE and re-reads them; the ORM then writes the new
values, which puts every change in the change log. On SQLite, where FOR UPDATE does not exist,
write transactions already run one at a time (BEGIN IMMEDIATE, see app/db.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from app.services.core import note
from app.services.procurement.errors import InsufficientStock, OverReceipt
from models.bom import BomLine
from models.enums import PurchaseStatus
from models.materials import Material
from models.orders import Order
from models.purchasing import PurchaseLine
from models.quantities import number, show


@dataclass(frozen=True)
class Movement:
    material: Material
    line: BomLine | None
    over: bool = False
    stock_before: Decimal | None = None


def _locked(session: Session, model, row_id: int):
    # FOR NO KEY UPDATE: a scan row referencing this one (a foreign key check takes KEY SHARE)
    # must not block the lock, or two scans of one material deadlock each other.
    query = select(model).where(model.id == row_id).with_for_update(key_share=True)
    return session.exec(query.execution_options(populate_existing=True)).one()


def receive(
    *,
    session: Session,
    order: Order,
    line_id: int,
    material_id: int,
    quantity: Decimal,
    confirm_over: bool,
    now: datetime,
    today: date,
    first_purchase_id: int | None = None,
    how: str = "扫码入库",
) -> Movement:
    """Add a receipt to a BOM line and to stock; beyond the need only with confirm_over.

    An explicit receipt against a purchase line (`first_purchase_id`) is allocated to it first.
    """
    material = _locked(session, Material, material_id)
    line = _locked(session, BomLine, line_id)
    excess = _check_excess(order, material, line, "received", quantity, confirm_over)
    # Notes first: the purchase-line query below autoflushes these changes.
    text = f"{how} {show(quantity)}{material.unit}" + ("（确认超收）" if excess > 0 else "")
    _note(session, order, material, line, text)
    line.received += quantity
    line.last_received_at = now
    material.stock += quantity
    session.add_all([line, material])
    _allocate_to_purchases(session, line.id, quantity, today, first_purchase_id)
    session.flush()
    return Movement(material, line, over=excess > 0)


def issue(
    *,
    session: Session,
    order: Order,
    line_id: int,
    material_id: int,
    quantity: Decimal,
    confirm_over: bool,
) -> Movement:
    """Issue material from stock to production for a BOM line; beyond the need only confirmed."""
    material = _locked(session, Material, material_id)
    line = _locked(session, BomLine, line_id)
    if material.stock < quantity:
        raise InsufficientStock(
            f"库存不足：{material.name} 现存 {show(material.stock)}{material.unit}，"
            f"本次发料 {show(quantity)}",
            stock=number(material.stock),
            quantity=number(quantity),
        )
    excess = _check_excess(order, material, line, "issued", quantity, confirm_over)
    _note(session, order, material, line, f"扫码发料 {show(quantity)}{material.unit}")
    line.issued += quantity
    material.stock -= quantity
    session.add_all([line, material])
    session.flush()
    return Movement(material, line, over=excess > 0)


# For a line's received or issued quantity: what passing the need is called, and its code.
_EXCESS = {"received": ("超收", "已收", "over_receipt"), "issued": ("超发", "已发", "over_issue")}


def _check_excess(order, material, line, field: str, quantity: Decimal, confirmed: bool):
    """How far this scan takes the line past its need; refused unless confirmed."""
    done = getattr(line, field)
    excess = done + quantity - line.needed
    if excess > 0 and not confirmed:
        word, done_word, code = _EXCESS[field]
        raise OverReceipt(
            f"{word}：订单 {order.code} 需要 {material.name} {show(line.needed)}{material.unit}，"
            f"{done_word} {show(done)}，本次 {show(quantity)} 将超出 {show(excess)}"
            f"{material.unit}。确认{word}请勾选“确认{word}”后重新提交",
            code=code,
            needed=number(line.needed),
            quantity=number(quantity),
            excess=number(excess),
            confirm_field="confirm_over",
            **{field: number(done)},
        )
    return excess


def _note(session: Session, order: Order, material: Material, line: BomLine, text: str):
    note(session, line, text)
    note(session, material, f"{text}，订单 {order.code}")


def count(*, session: Session, material_id: int, counted: Decimal | None) -> Movement:
    """A stock check: with a counted quantity the book stock becomes it; without, just read."""
    if counted is None:
        material = session.get(Material, material_id)
        return Movement(material, None, stock_before=material.stock)
    material = _locked(session, Material, material_id)
    before = material.stock
    if counted != before:
        material.stock = counted
        note(session, material, f"扫码盘点：账面 {show(before)}，实盘 {show(counted)}")
        session.add(material)
        session.flush()
    return Movement(material, None, stock_before=before)


def _allocate_to_purchases(
    session: Session, line_id: int, quantity: Decimal, today: date, first: int | None
):
    """Spread a receipt over the line's open purchase lines (`first` first, then earliest
    promise first); a purchase line that is complete is marked received, arrived today."""
    query = (
        select(PurchaseLine)
        .where(
            PurchaseLine.bom_line_id == line_id, PurchaseLine.status.not_in(PurchaseStatus.done())
        )
        .order_by(
            PurchaseLine.id != (first or 0),
            PurchaseLine.promised_date.is_(None),
            PurchaseLine.promised_date,
            PurchaseLine.id,
        )
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    left = quantity
    for purchase in session.exec(query):
        take = min(left, purchase.quantity - purchase.received)
        if take <= 0:
            continue
        purchase.received += take
        left -= take
        if purchase.received >= purchase.quantity:
            purchase.status = PurchaseStatus.received
            purchase.arrived_on = today
            note(session, purchase, ARRIVED)
        session.add(purchase)
        if left <= 0:
            break


ARRIVED = "收货入库，已全部到货"

# Built once (every receipt run reads it): bound parameters, not a new statement.
_OPEN_PURCHASES = (
    select(PurchaseLine)
    .where(
        col(PurchaseLine.bom_line_id).in_(bindparam("lines", expanding=True)),
        col(PurchaseLine.status).not_in(PurchaseStatus.done()),
    )
    .order_by(PurchaseLine.id)
    .with_for_update(key_share=True)
    .execution_options(populate_existing=True)
)


def allocate_receipts(
    session: Session, added: dict[int, Decimal], today: date
) -> list[tuple[PurchaseLine, dict]]:
    """A scan batch's receipts, per BOM line, spread over the lines' open purchase lines as
    one receipt after another would be (the fill order makes the sum equivalent); the purchase
    lines are read and locked in id order in one query, after the materials and BOM lines.

    Nothing is written: each purchase line it fills comes back with its new values (received,
    and status and arrived_on once complete), for the caller's set-based write."""
    found = session.exec(_OPEN_PURCHASES, params={"lines": sorted(added)}).all()
    fill_order = sorted(
        found,
        key=lambda p: (p.promised_date is None, p.promised_date or today, p.id),
    )
    left = dict(added)
    filled = []
    for purchase in fill_order:
        take = min(left[purchase.bom_line_id], purchase.quantity - purchase.received)
        if take <= 0:
            continue
        left[purchase.bom_line_id] -= take
        new = {
            "received": purchase.received + take,
            "status": purchase.status,
            "arrived_on": purchase.arrived_on,
        }
        if new["received"] >= purchase.quantity:
            new["status"], new["arrived_on"] = PurchaseStatus.received, today
        filled.append((purchase, new))
    return filled


def purchase_note(new: dict) -> str | None:
    """The change log's note on a purchase line allocate_receipts filled."""
    return ARRIVED if new["status"] == PurchaseStatus.received else None
