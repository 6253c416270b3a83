from datetime import timedelta
from decimal import Decimal

import pytest

from app.services.core import configure, settings
from app.services.field import submit_daily_report
from app.services.finance import (
    add_cost_entry,
    cost_report,
    delete_cost_entry,
    over_budget_orders,
    set_budget,
)
from app.services.orders import cancel_order
from app.services.shipping import create_shipment
from models import clock
from models.costs import CostEntry, OrderBudget
from models.enums import CostCategory, PurchaseStatus, Role
from models.errors import Forbidden, InvalidInput, NotFound
from models.people import User
from models.purchasing import PurchaseStatusIn
from models.shipments import ShipmentCreate
from tests.factories import (
    act,
    add_to_order,
    count,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_purchase,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

D = Decimal


@pytest.fixture()
def rates():
    before = settings().labour_rates
    configure(labour_rates={"default": D("60"), "day_labour": D("40"), "site_engineer": D("100")})
    yield
    configure(labour_rates=before)


def _tracker(session, order):
    return act(session, session.get(User, order.liaison_id))


def _categories(report):
    return {c.category: c for c in report.categories}


def test_material_cost_is_price_times_ordered_or_received_quantity(session):
    order = make_procuring_order(session)
    tracker = _tracker(session, order)
    line = make_bom_line(session, order, needed=10)
    make_purchase(session, order, line, quantity=10, unit_price=D("12.5"))
    make_purchase(session, order, make_bom_line(session, order), quantity=3)  # no price
    report = cost_report(session=session, actor=tracker, order_id=order.id)
    assert _categories(report)[CostCategory.material].actual == D("125.00")
    assert report.unpriced_lines == 1 and len(report.material_lines) == 2


def test_a_cancelled_purchase_costs_only_what_was_received(session):
    from app.services.procurement import set_purchase_status

    order = make_procuring_order(session)
    tracker = _tracker(session, order)
    purchase = make_purchase(session, order, make_bom_line(session, order), unit_price=D("7"))
    set_purchase_status(
        session=session,
        actor=tracker,
        purchase_id=purchase.id,
        data=PurchaseStatusIn(status=PurchaseStatus.cancelled, reason="供应商停产"),
    )
    report = cost_report(session=session, actor=tracker, order_id=order.id)
    assert _categories(report)[CostCategory.material].actual == 0


def test_labour_cost_uses_the_role_rate_and_the_day_labour_rate(session, rates):
    order = make_procuring_order(session)
    tracker = _tracker(session, order)
    site = make_user(session, Role.site_engineer)
    add_to_order(session, order, site, Role.site_engineer)
    submit_daily_report(
        session=session,
        actor=act(session, site),
        order_id=order.id,
        done_today="安装支架",
        hours=7.5,
        labour=[{"worker": "张三", "hours": 8}, {"worker": "李四", "hours": 4.25}],
    )
    submit_daily_report(
        session=session, actor=tracker, order_id=order.id, done_today="跟进", hours=2
    )
    report = cost_report(session=session, actor=tracker, order_id=order.id)
    # 7.5 h x 100 + 2 h x 60 (tracker falls back to default) + 12.25 h x 40
    assert _categories(report)[CostCategory.labour].actual == D("1360.00")
    kinds = sorted(line.kind for line in report.labour_lines)
    assert kinds == ["day_labour", "day_labour", "report", "report"]


def test_shipment_costs_and_hand_entries_add_to_their_category(session):
    order = make_procuring_order(session)
    tracker = _tracker(session, order)
    create_shipment(
        session=session,
        actor=tracker,
        order_id=order.id,
        data=ShipmentCreate(freight_cost=D("3200.50"), insurance_cost=D("199.5")),
    )
    add_cost_entry(
        session=session,
        actor=tracker,
        order_id=order.id,
        data={"category": "logistics", "amount": "100", "description": "过路费"},
    )
    add_cost_entry(
        session=session,
        actor=tracker,
        order_id=order.id,
        data={"amount": "88.8", "description": "差旅"},
    )
    cats = _categories(cost_report(session=session, actor=tracker, order_id=order.id))
    assert cats[CostCategory.logistics].actual == D("3500.00")
    assert cats[CostCategory.other].actual == D("88.80")


def test_budget_against_actual_flags_the_category_over_budget(session):
    order = make_procuring_order(session)
    tracker = _tracker(session, order)
    make_purchase(session, order, make_bom_line(session, order), quantity=10, unit_price=D(100))
    set_budget(
        session=session,
        actor=tracker,
        order_id=order.id,
        data={"material": "900", "labour": "500.00"},
    )
    report = cost_report(session=session, actor=tracker, order_id=order.id)
    cats = _categories(report)
    assert cats[CostCategory.material].over_budget and cats[CostCategory.material].remaining == -100
    assert not cats[CostCategory.labour].over_budget
    assert cats[CostCategory.logistics].budget is None and report.total_budget == D(1400)
    assert report.over_budget
    set_budget(session=session, actor=tracker, order_id=order.id, data={"material": "1000"})
    assert count(session, OrderBudget, OrderBudget.order_id == order.id) == 2
    assert not cost_report(session=session, actor=tracker, order_id=order.id).over_budget


def test_negative_budget_is_refused_and_nothing_stored(session):
    order = make_procuring_order(session)
    with pytest.raises(InvalidInput):
        set_budget(
            session=session,
            actor=_tracker(session, order),
            order_id=order.id,
            data={"material": "-1"},
        )
    assert count(session, OrderBudget) == 0


def test_a_cost_entry_needs_a_positive_amount_with_two_places(session):
    order = make_procuring_order(session)
    tracker = _tracker(session, order)
    for amount in ("0", "-5", "1.234", "abc"):
        with pytest.raises(InvalidInput):
            add_cost_entry(
                session=session,
                actor=tracker,
                order_id=order.id,
                data={"amount": amount, "description": "x"},
            )
    assert count(session, CostEntry) == 0


def test_cost_entry_of_another_order_is_not_found(session):
    order, other = make_procuring_order(session), make_procuring_order(session)
    entry = add_cost_entry(
        session=session,
        actor=_tracker(session, other),
        order_id=other.id,
        data={"amount": "5", "description": "x"},
    )
    admin = act(session, make_user(session, Role.admin))
    with pytest.raises(NotFound):
        delete_cost_entry(session=session, actor=admin, order_id=order.id, entry_id=entry.id)
    assert count(session, CostEntry) == 1


def test_costs_are_hidden_from_members_without_a_cost_role(session):
    order = make_procuring_order(session)
    warehouse = make_user(session, Role.warehouse)
    add_to_order(session, order, warehouse, Role.warehouse)
    with pytest.raises(Forbidden):
        cost_report(session=session, actor=act(session, warehouse), order_id=order.id)
    manager = act(session, make_user(session, Role.manager))
    assert cost_report(session=session, actor=manager, order_id=order.id).order_id == order.id


def test_over_budget_orders_lists_open_orders_past_the_threshold(session):
    hot, cool, gone = (make_procuring_order(session) for _ in range(3))
    for order, price in ((hot, 95), (cool, 50), (gone, 200)):
        tracker = _tracker(session, order)
        make_purchase(session, order, make_bom_line(session, order), quantity=10, unit_price=price)
        set_budget(session=session, actor=tracker, order_id=order.id, data={"material": "1000"})
    cancel_order(session=session, actor=_tracker(session, gone), order_id=gone.id, reason="x")
    assert over_budget_orders(session=session) == []
    [row] = over_budget_orders(session=session, threshold=D("0.9"))
    assert (row.order_id, row.category, row.budget, row.actual) == (
        hot.id,
        CostCategory.material,
        D(1000),
        D(950),
    )
    assert row.owner_id == hot.liaison_id and row.order_code == hot.code


def test_over_budget_query_runs_a_fixed_number_of_statements(session, db):
    from sqlalchemy import event

    for _ in range(4):
        order = make_procuring_order(session)
        make_purchase(session, order, make_bom_line(session, order), unit_price=D(10))
        set_budget(
            session=session,
            actor=_tracker(session, order),
            order_id=order.id,
            data={"material": "1"},
        )
    statements = []

    def seen(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        rows = over_budget_orders(session=session, now=None, threshold=D(1))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(rows) == 4
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 7


def test_incurred_on_defaults_to_the_local_day(session):
    order = make_procuring_order(session)
    entry = add_cost_entry(
        session=session,
        actor=_tracker(session, order),
        order_id=order.id,
        data={"amount": "1", "description": "x", "incurred_on": str(clock.today() - timedelta(1))},
    )
    assert entry.incurred_on == clock.today() - timedelta(1)


def test_material_total_equals_the_sum_of_the_rounded_lines(session):
    order = make_procuring_order(session)
    tracker = _tracker(session, order)
    for price, quantity in (("0.01", "0.5"), ("0.03", "0.5"), ("33.33", "2.5"), ("0.01", "0.001")):
        make_purchase(
            session,
            order,
            make_bom_line(session, order, make_material(session, unit="kg")),
            quantity=quantity,
            unit_price=D(price),
        )
    report = cost_report(session=session, actor=tracker, order_id=order.id)
    lines = [line.amount for line in report.material_lines]
    assert lines == [D("0.00"), D("0.02"), D("83.32"), D("0.00")]
    assert _categories(report)[CostCategory.material].actual == sum(lines)
