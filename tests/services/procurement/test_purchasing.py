from datetime import timedelta

import pytest
from sqlmodel import select

from app.services.procurement import (
    promised_history,
    record_scan,
    set_purchase_status,
    update_purchase_line,
)
from models.bom import BomLine
from models.changes import ChangeLog
from models.enums import PurchaseStatus, Role
from models.errors import Conflict, Forbidden, InvalidInput
from models.materials import Material
from models.people import User
from models.purchasing import (
    PromisedDateChange,
    PurchaseLine,
    PurchaseLineUpdate,
    PurchaseStatusIn,
)
from models.scans import Scan
from tests.clocks import PINNED_DAY, pin_clock
from tests.factories import (
    act,
    count,
    make_bom_line,
    make_procuring_order,
    make_purchase,
    make_supplier,
    make_user,
    make_warehouse,
    scan_in,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

TODAY = PINNED_DAY
_pinned_clock = pin_clock(TODAY)


def _setup(session):
    order = make_procuring_order(session)
    line = make_bom_line(session, order, needed=10, days=20)
    purchase = make_purchase(
        session, order, line, make_supplier(session), promised_date=TODAY + timedelta(days=10)
    )
    return order, purchase, act(session, session.get(User, order.liaison_id))


def _status(session, actor, purchase, **data):
    return set_purchase_status(
        session=session, actor=actor, purchase_id=purchase.id, data=PurchaseStatusIn(**data)
    )


def test_the_first_promise_starts_the_history(session):
    _, purchase, tracker = _setup(session)
    [first] = promised_history(session=session, actor=tracker, purchase_id=purchase.id)
    assert first.old_date is None and first.new_date == TODAY + timedelta(days=10)
    assert first.supplier_id == purchase.supplier_id and first.reason == "下单时承诺"


def test_a_delay_needs_a_later_date_and_a_reason_and_is_kept_twice(session):
    _, purchase, tracker = _setup(session)
    later = TODAY + timedelta(days=15)
    with pytest.raises(InvalidInput) as err:
        _status(session, tracker, purchase, status="delayed", promised_date=later)
    assert err.value.message == "延期时必须填写原因"
    with pytest.raises(InvalidInput) as err:
        _status(session, tracker, purchase, status="delayed", reason="原料短缺")
    assert err.value.message == "延期时必须填写新的承诺日期"
    with pytest.raises(InvalidInput) as err:
        _status(
            session, tracker, purchase, status="delayed", promised_date=TODAY, reason="原料短缺"
        )
    assert "应晚于原承诺日期" in err.value.message
    _status(session, tracker, purchase, status="delayed", promised_date=later, reason="原料短缺")
    history = promised_history(session=session, actor=tracker, purchase_id=purchase.id)
    assert [(h.old_date, h.new_date, h.reason) for h in history][1:] == [
        (TODAY + timedelta(days=10), later, "原料短缺")
    ]
    logged = session.exec(
        select(ChangeLog)
        .where(ChangeLog.entity == "purchase_line", ChangeLog.field == "promised_date")
        .order_by(ChangeLog.id)
    ).all()
    assert [(e.new_value, e.note) for e in logged][-1] == (later.isoformat(), "原料短缺")
    assert session.get(PurchaseLine, purchase.id).status == PurchaseStatus.delayed


def test_changing_the_promised_date_by_edit_needs_a_reason(session):
    _, purchase, tracker = _setup(session)
    earlier = TODAY + timedelta(days=8)
    with pytest.raises(InvalidInput):
        update_purchase_line(
            session=session,
            actor=tracker,
            purchase_id=purchase.id,
            data=PurchaseLineUpdate(promised_date=earlier),
        )
    update_purchase_line(
        session=session,
        actor=tracker,
        purchase_id=purchase.id,
        data=PurchaseLineUpdate(promised_date=earlier, reason="供应商提前排产"),
    )
    assert count(session, PromisedDateChange) == 2


def test_received_records_the_arrival_and_closes_the_line(session):
    _, purchase, tracker = _setup(session)
    with pytest.raises(InvalidInput):
        _status(
            session,
            tracker,
            purchase,
            status="received",
            arrived_on=TODAY + timedelta(1),
            received_quantity=10,
        )
    _status(
        session,
        tracker,
        purchase,
        status="received",
        arrived_on=TODAY - timedelta(days=1),
        received_quantity=10,
    )
    assert session.get(PurchaseLine, purchase.id).arrived_on == TODAY - timedelta(days=1)
    with pytest.raises(Conflict) as err:
        _status(session, tracker, purchase, status="shipped")
    assert err.value.code == "purchase_closed"


def test_a_line_that_received_nothing_cannot_be_marked_received(session):
    _, purchase, tracker = _setup(session)
    with pytest.raises(InvalidInput, match="尚未收到任何货物") as err:
        _status(session, tracker, purchase, status="received")
    assert err.value.code == "nothing_received"
    assert err.value.details["field"] == "received_quantity"
    purchase = session.get(PurchaseLine, purchase.id)
    assert purchase.status == PurchaseStatus.ordered and purchase.arrived_on is None
    assert count(session, Scan) == 0


def test_a_receipt_by_hand_counts_like_a_scan_and_is_in_the_ledger(session):
    _, purchase, tracker = _setup(session)
    _status(session, tracker, purchase, status="received", received_quantity=6)
    purchase = session.get(PurchaseLine, purchase.id)
    line = session.get(BomLine, purchase.bom_line_id)
    assert purchase.status == PurchaseStatus.received and purchase.arrived_on == TODAY
    assert purchase.received == line.received == 6
    assert session.get(Material, line.material_id).stock == 6
    (scan,) = session.exec(select(Scan)).all()
    assert (scan.action, scan.quantity, scan.bom_line_id) == ("receive", 6, line.id)


def test_a_received_quantity_only_goes_with_received(session):
    _, purchase, tracker = _setup(session)
    with pytest.raises(InvalidInput, match="只有标记到货时才能填写实收数量"):
        _status(session, tracker, purchase, status="shipped", received_quantity=3)
    assert count(session, Scan) == 0


def test_a_line_partly_scanned_in_may_be_closed_short(session):
    order, purchase, tracker = _setup(session)
    worker = act(session, make_warehouse(session, order))
    line = session.get(BomLine, purchase.bom_line_id)
    code = session.get(Material, line.material_id).code
    record_scan(session=session, actor=worker, data=scan_in(code, quantity=4))
    _status(session, tracker, purchase, status="received", reason="余量取消")
    purchase = session.get(PurchaseLine, purchase.id)
    assert purchase.status == PurchaseStatus.received and purchase.received == 4


def test_cancelling_needs_a_reason(session):
    _, purchase, tracker = _setup(session)
    with pytest.raises(InvalidInput):
        _status(session, tracker, purchase, status="cancelled")
    _status(session, tracker, purchase, status="cancelled", reason="改由备用供应商供货")
    assert session.get(PurchaseLine, purchase.id).status_note == "改由备用供应商供货"


def test_warehouse_staff_cannot_change_purchases(session):
    order, purchase, _ = _setup(session)
    worker = act(session, make_warehouse(session, order))
    with pytest.raises(Forbidden):
        _status(session, worker, purchase, status="shipped")


def test_a_purchase_from_an_inactive_supplier_is_refused(session):
    from app.services.procurement import update_supplier
    from models.suppliers import SupplierUpdate

    order = make_procuring_order(session)
    line = make_bom_line(session, order)
    supplier = make_supplier(session)
    admin = act(session, make_user(session, Role.admin))
    update_supplier(
        session=session, actor=admin, supplier_id=supplier.id, data=SupplierUpdate(is_active=False)
    )
    with pytest.raises(Conflict) as err:
        make_purchase(session, order, line, supplier)
    assert err.value.code == "supplier_inactive"
