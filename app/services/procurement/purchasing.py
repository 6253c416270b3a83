"""Purchase lines against BOM lines: order, follow the supplier's status, record the arrival.

Every promised date a supplier gives is kept in promised_date_change (the first promise too,
with no old date), besides the change log: delay prediction learns from that history. A
line is received only with goods behind it: the warehouse's counted scans (which also close
purchase lines they complete) or an explicit receipt with its quantity, which moves stock like a
scan and is kept in the scan ledger too, so a line's received quantity is always the sum of
counted receipts. Closing a line that received nothing is refused: it would tell supplier
statistics and delay prediction about an arrival that never happened.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.services.core import Actor, acts, load_order, local_date, note
from app.services.procurement import _stock as stock
from app.services.procurement.bom import editable_order, load_line
from app.services.procurement.errors import PurchaseLineNotFound, SupplierNotFound
from app.services.procurement.materials import check_places, load_material
from models.base import utcnow
from models.bom import BomLine
from models.enums import PURCHASE_STATUS_NAMES, PurchaseStatus, ScanAction
from models.errors import Conflict, InvalidInput
from models.purchasing import (
    PromisedDateChange,
    PurchaseLine,
    PurchaseLineCreate,
    PurchaseLineUpdate,
    PurchaseStatusIn,
)
from models.quantities import show
from models.scans import Scan
from models.suppliers import Supplier

OPENING = (PurchaseStatus.ordered, PurchaseStatus.confirmed)


def _supplier(session: Session, supplier_id: int) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise SupplierNotFound()
    if not supplier.is_active:
        raise Conflict(f"供应商 {supplier.name} 已停用", code="supplier_inactive")
    return supplier


def _record_promise(session, actor, purchase, new: date, reason: str, now: datetime) -> None:
    """Change the promised date: the change log gets it with the reason, and so does history."""
    old = purchase.promised_date
    purchase.promised_date = new
    note(session, purchase, reason)
    session.add(
        PromisedDateChange(
            purchase_line_id=purchase.id,
            supplier_id=purchase.supplier_id,
            old_date=old,
            new_date=new,
            reason=reason,
            changed_at=now,
            changed_by_id=actor.id,
        )
    )


@acts
def create_purchase_line(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    bom_line_id: int,
    data: PurchaseLineCreate,
    now: datetime | None = None,
) -> PurchaseLine:
    """Buy for a BOM line from a supplier."""
    now = now or utcnow()
    editable_order(session, actor, order_id, "下采购单")
    line = load_line(session, order_id, bom_line_id)
    check_places(load_material(session, line.material_id), data.quantity)
    _supplier(session, data.supplier_id)
    if data.status not in OPENING:
        raise InvalidInput("新采购行的状态只能是已下单或已确认", field="status")
    purchase = PurchaseLine(
        **data.model_dump(exclude={"promised_date"}),
        order_id=order_id,
        bom_line_id=line.id,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(purchase)
    session.flush()
    if data.promised_date is not None:
        _record_promise(session, actor, purchase, data.promised_date, "下单时承诺", now)
        session.flush()
    return purchase


def _open_purchase(session: Session, actor: Actor, purchase_id: int) -> PurchaseLine:
    purchase = session.get(PurchaseLine, purchase_id)
    if purchase is None:
        raise PurchaseLineNotFound()
    editable_order(session, actor, purchase.order_id, "更新采购状态")
    query = select(PurchaseLine).where(PurchaseLine.id == purchase_id)
    query = query.with_for_update(key_share=True)
    purchase = session.exec(query.execution_options(populate_existing=True)).one()
    _refuse_closed(purchase)
    return purchase


def _refuse_closed(purchase: PurchaseLine) -> None:
    if purchase.status in PurchaseStatus.done():
        name = PURCHASE_STATUS_NAMES[purchase.status]
        raise Conflict(f"采购行已{name.removeprefix('已')}，不能再修改", code="purchase_closed")


@acts
def update_purchase_line(
    *,
    session: Session,
    actor: Actor,
    purchase_id: int,
    data: PurchaseLineUpdate,
    now: datetime | None = None,
) -> PurchaseLine:
    """Change quantity, price, PO number or promised date (a new date needs a reason)."""
    now = now or utcnow()
    purchase = _open_purchase(session, actor, purchase_id)
    line = session.get(BomLine, purchase.bom_line_id)
    check_places(load_material(session, line.material_id), data.quantity)
    fields = data.model_dump(exclude_unset=True, exclude={"promised_date", "reason"})
    for key, value in fields.items():
        if value is not None:
            setattr(purchase, key, value)
    if data.promised_date is not None and data.promised_date != purchase.promised_date:
        if not data.reason:
            raise InvalidInput("修改承诺日期时必须填写原因", field="reason")
        _record_promise(session, actor, purchase, data.promised_date, data.reason, now)
    purchase.updated_at = now
    session.add(purchase)
    session.flush()
    return purchase


@acts
def set_purchase_status(
    *,
    session: Session,
    actor: Actor,
    purchase_id: int,
    data: PurchaseStatusIn,
    now: datetime | None = None,
) -> PurchaseLine:
    """Move a purchase line on: confirmed, shipped, in transit, delayed (new date and reason),
    received (arrival date, today by default) or cancelled (reason)."""
    now = now or utcnow()
    today = local_date(now)
    if data.arrived_on is not None and data.arrived_on > today:
        raise InvalidInput("到货日期不能晚于今天", field="arrived_on")
    if data.received_quantity is not None:
        if data.status != PurchaseStatus.received:
            raise InvalidInput("只有标记到货时才能填写实收数量", field="received_quantity")
        purchase = _receive_by_hand(session, actor, purchase_id, data, now)
    else:
        purchase = _open_purchase(session, actor, purchase_id)
    if data.status == PurchaseStatus.delayed:
        _delay(session, actor, purchase, data, now)
    elif data.status == PurchaseStatus.received:
        purchase.arrived_on = _arrival(purchase, data.arrived_on or today)
    elif data.status == PurchaseStatus.cancelled and not data.reason:
        raise InvalidInput("取消采购时必须填写原因", field="reason")
    elif data.promised_date is not None and data.promised_date != purchase.promised_date:
        if not data.reason:
            raise InvalidInput("修改承诺日期时必须填写原因", field="reason")
        _record_promise(session, actor, purchase, data.promised_date, data.reason, now)
    purchase.status = data.status
    purchase.status_note = data.reason or ""
    if data.reason:
        note(session, purchase, data.reason)
    purchase.updated_at = now
    session.add(purchase)
    session.flush()
    return purchase


def _arrival(purchase: PurchaseLine, arrived: date) -> date:
    """The arrival date of a line that really received goods."""
    if purchase.received <= 0:
        raise InvalidInput(
            "该采购行尚未收到任何货物（扫码入库数量为 0），不能标记到货；"
            "请先扫码入库，或填写本次实收数量",
            code="nothing_received",
            field="received_quantity",
        )
    return arrived


def _receive_by_hand(session, actor, purchase_id: int, data: PurchaseStatusIn, now) -> PurchaseLine:
    """An explicit receipt: moves stock like a scan (the purchase line first), in the ledger.

    Runs before the purchase line is locked, so that locks are taken in the order every scan
    takes them: material, BOM line, purchase lines.
    """
    purchase = session.get(PurchaseLine, purchase_id)
    if purchase is None:
        raise PurchaseLineNotFound()
    order = editable_order(session, actor, purchase.order_id, "登记到货")
    _refuse_closed(purchase)
    line = session.get(BomLine, purchase.bom_line_id)
    quantity = data.received_quantity
    check_places(load_material(session, line.material_id), quantity, "received_quantity")
    session.add(
        Scan(
            client_id=uuid.uuid4(),
            user_id=actor.id,
            action=ScanAction.receive,
            raw_text=f"手工收货：采购行 #{purchase.id}",
            scan_type="manual",
            material_id=line.material_id,
            order_id=order.id,
            bom_line_id=line.id,
            quantity=quantity,
            fingerprint="manual",
            recorded_at=now,
        )
    )
    session.flush()
    stock.receive(
        session=session,
        order=order,
        line_id=line.id,
        material_id=line.material_id,
        quantity=quantity,
        confirm_over=data.confirm_over,
        now=now,
        today=local_date(now),
        first_purchase_id=purchase.id,
        how=f"手工收货 {show(quantity)}",
    )
    return purchase


def _delay(session, actor, purchase: PurchaseLine, data: PurchaseStatusIn, now) -> None:
    if data.promised_date is None:
        raise InvalidInput("延期时必须填写新的承诺日期", field="promised_date")
    if not data.reason:
        raise InvalidInput("延期时必须填写原因", field="reason")
    old = purchase.promised_date
    if old is not None and data.promised_date <= old:
        raise InvalidInput(
            f"延期后的承诺日期应晚于原承诺日期 {old.isoformat()}", field="promised_date"
        )
    _record_promise(session, actor, purchase, data.promised_date, data.reason, now)


def list_purchases(*, session: Session, actor: Actor, order_id: int) -> list[PurchaseLine]:
    """The order's purchase lines."""
    load_order(session, actor, order_id)
    query = select(PurchaseLine).where(PurchaseLine.order_id == order_id)
    return list(session.exec(query.order_by(PurchaseLine.bom_line_id, PurchaseLine.id)))


def promised_history(
    *, session: Session, actor: Actor, purchase_id: int
) -> list[PromisedDateChange]:
    """Every promised date the supplier gave for a purchase line, oldest first."""
    purchase = session.get(PurchaseLine, purchase_id)
    if purchase is None:
        raise PurchaseLineNotFound()
    load_order(session, actor, purchase.order_id)
    query = select(PromisedDateChange).where(PromisedDateChange.purchase_line_id == purchase_id)
    return list(session.exec(query.order_by(col(PromisedDateChange.id))))
