from datetime import time, timedelta
from decimal import Decimal

import pytest

from app.services.procurement import (
    find_shortages,
    list_shortages,
    record_scan,
    set_purchase_status,
)
from models import clock
from models.enums import Role
from models.errors import Forbidden
from models.people import User
from models.purchasing import PurchaseStatusIn
from tests.clocks import PINNED_DAY, pin_clock
from tests.factories import (
    act,
    add_to_order,
    make_bom_line,
    make_material,
    make_order,
    make_procuring_order,
    make_purchase,
    make_user,
    make_warehouse,
    scan_in,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

# Noon in Shanghai on the pinned day.
TODAY = PINNED_DAY
NOW = clock.at_local(TODAY, time(12, 0))
_pinned_clock = pin_clock(TODAY)


def _order(session, **kw):
    return make_procuring_order(session, **kw)


def _short(session, **kw):
    return [s.bom_line_id for s in find_shortages(session=session, now=NOW, **kw).items]


def _promise(session, order, line, status, days, quantity=None):
    purchase = make_purchase(
        session, order, line, quantity=quantity, promised_date=TODAY + timedelta(days=days)
    )
    liaison = act(session, session.get(User, order.liaison_id))
    if status != "ordered":
        set_purchase_status(
            session=session,
            actor=liaison,
            purchase_id=purchase.id,
            data=PurchaseStatusIn(status=status, promised_date=purchase.promised_date),
        )
    return purchase


def test_a_line_inside_its_warning_window_and_not_secured_is_a_shortage(session):
    order = _order(session)
    inside = make_bom_line(session, order, days=7)
    outside = make_bom_line(session, order, days=8)
    overridden = make_bom_line(session, order, days=20, warning_days=30)
    assert set(_short(session)) == {inside.id, overridden.id}
    assert outside.id not in _short(session)


@pytest.mark.parametrize(
    ("status", "promised_in", "is_short"),
    [
        ("confirmed", 3, False),
        ("shipped", 5, False),
        ("in_transit", 5, False),
        ("confirmed", 6, True),  # promised after the need date
        ("ordered", 3, True),  # not confirmed yet
    ],
)
def test_promised_quantities_secure_a_line_only_when_confirmed_before_the_need(
    session, status, promised_in, is_short
):
    order = _order(session)
    line = make_bom_line(session, order, needed=10, days=5)
    _promise(session, order, line, status, promised_in)
    assert (line.id in _short(session)) is is_short


def test_a_delayed_purchase_no_longer_secures_the_line(session):
    order = _order(session)
    line = make_bom_line(session, order, needed=10, days=5)
    purchase = _promise(session, order, line, "confirmed", 3)
    assert _short(session) == []
    set_purchase_status(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        purchase_id=purchase.id,
        data=PurchaseStatusIn(
            status="delayed", promised_date=TODAY + timedelta(days=4), reason="模具返修"
        ),
    )
    assert _short(session) == [line.id]


def test_received_plus_incoming_counts_and_the_shortfall_is_reported(session):
    order = _order(session)
    material = make_material(session, "GASKET", name="密封垫条", unit="m")
    line = make_bom_line(session, order, material, needed="10.5", days=3)
    _promise(session, order, line, "in_transit", 2, quantity=4)
    worker = act(session, make_warehouse(session, order))
    record_scan(session=session, actor=worker, data=scan_in("GASKET", quantity="2.25"))
    [found] = find_shortages(session=session, now=NOW).items
    assert (found.received, found.incoming, found.secured) == (
        Decimal("2.25"),
        Decimal("1.75"),
        Decimal("4"),
    )
    assert found.short == Decimal("6.5") and found.days_left == 3 and not found.escalated


def test_key_materials_come_first_and_a_passed_need_date_escalates(session):
    order = _order(session)
    plain = make_bom_line(session, order, days=-2)
    key = make_bom_line(session, order, make_material(session, is_key=True), days=5)
    items = find_shortages(session=session, now=NOW).items
    assert [s.bom_line_id for s in items] == [key.id, plain.id]
    assert [s.escalated for s in items] == [False, True]
    assert items[1].days_left == -2


def test_only_confirmed_or_running_orders_have_shortages(session):
    draft = make_order(session)
    make_bom_line(session, draft, days=1)
    running = _order(session)
    line = make_bom_line(session, running, days=1)
    assert _short(session) == [line.id]


def test_the_query_answers_as_of_the_given_now(session):
    order = _order(session)
    line = make_bom_line(session, order, days=10)
    assert _short(session) == []
    later = NOW + timedelta(days=3)
    assert [s.bom_line_id for s in find_shortages(session=session, now=later).items] == [line.id]


def test_users_see_the_shortages_of_their_orders_only(session):
    mine = _order(session)
    theirs = _order(session)
    own_line = make_bom_line(session, mine, days=1)
    make_bom_line(session, theirs, days=1)
    buyer = make_user(session, Role.buyer)
    add_to_order(session, mine, buyer, Role.buyer)
    found = list_shortages(session=session, actor=act(session, buyer), now=NOW)
    assert [s.bom_line_id for s in found.items] == [own_line.id]
    with pytest.raises(Forbidden):
        list_shortages(session=session, actor=act(session, buyer), order_id=theirs.id, now=NOW)


def test_a_backup_supplier_is_named_on_the_shortage(session):
    from tests.factories import make_supplier

    backup = make_supplier(session, "备用钢厂")
    order = _order(session)
    material = make_material(session, backup_supplier_id=backup.id)
    make_bom_line(session, order, material, days=2)
    [found] = find_shortages(session=session, now=NOW).items
    assert found.backup_supplier_name == "备用钢厂"
