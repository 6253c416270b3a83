"""Delivery history from procurement's tables: first promise against arrival, per supplier."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.services.alerts import Delivery, delay_model, delivery_history, first_promise
from app.services.procurement import set_purchase_status
from models.people import User
from models.purchasing import PurchaseStatusIn
from tests.clocks import PINNED_DAY, pin_clock
from tests.factories import (
    act,
    make_bom_line,
    make_procuring_order,
    make_purchase,
    make_supplier,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

TODAY = PINNED_DAY
_pinned_clock = pin_clock(TODAY)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


class Buying:
    """An order in procurement, bought from by its liaison."""

    def __init__(self, session):
        self.session = session
        self.order = make_procuring_order(session)
        self.liaison = act(session, session.get(User, self.order.liaison_id))

    def buy(self, supplier, promised: date | None):
        line = make_bom_line(self.session, self.order)
        return make_purchase(self.session, self.order, line, supplier, promised_date=promised)

    def status(self, purchase, status, **values):
        # Marking a line received needs the goods: received by hand, in full.
        if status == "received":
            values.setdefault("received_quantity", purchase.quantity)
        set_purchase_status(
            session=self.session,
            actor=self.liaison,
            purchase_id=purchase.id,
            data=PurchaseStatusIn(status=status, **values),
        )


@pytest.fixture()
def buying(session):
    return Buying(session)


def test_a_received_line_is_measured_against_its_first_promise(buying, session):
    supplier = make_supplier(session)
    purchase = buying.buy(supplier, days_ago(30))
    buying.status(purchase, "delayed", promised_date=days_ago(20), reason="原材料未到")
    buying.status(purchase, "received", arrived_on=days_ago(18))
    # 12 days late against the first promise, though only 2 against the last one.
    assert delivery_history(session) == [Delivery(supplier.id, days_ago(30), days_ago(18))]
    assert first_promise(session, purchase.id) == days_ago(30)


def test_open_unpromised_and_cancelled_lines_are_not_history(buying, session):
    supplier = make_supplier(session)
    open_line = buying.buy(supplier, days_ago(3))
    unpromised = buying.buy(supplier, None)
    buying.status(unpromised, "received", arrived_on=days_ago(1))
    cancelled = buying.buy(supplier, days_ago(5))
    buying.status(cancelled, "cancelled", reason="客户取消该项")
    assert delivery_history(session) == []
    assert first_promise(session, open_line.id) == days_ago(3)
    assert first_promise(session, unpromised.id) is None


def test_history_is_oldest_arrival_first_and_may_start_at_a_day(buying, session):
    early, late = make_supplier(session), make_supplier(session)
    a = buying.buy(late, days_ago(40))
    b = buying.buy(early, days_ago(10))
    buying.status(b, "received", arrived_on=days_ago(11))
    buying.status(a, "received", arrived_on=days_ago(30))
    assert delivery_history(session) == [
        Delivery(late.id, days_ago(40), days_ago(30)),
        Delivery(early.id, days_ago(10), days_ago(11)),
    ]
    assert delivery_history(session, since=days_ago(20)) == [
        Delivery(early.id, days_ago(10), days_ago(11))
    ]


def test_the_model_fitted_on_the_history_warns_about_the_late_supplier(buying, session):
    late, punctual = make_supplier(session), make_supplier(session)
    for n in range(10):  # 20 deliveries: the minimum history before any prediction
        slow = buying.buy(late, days_ago(60 - n))
        buying.status(slow, "received", arrived_on=days_ago(60 - n - 8))
        quick = buying.buy(punctual, days_ago(60 - n))
        buying.status(quick, "received", arrived_on=days_ago(60 - n))
    model = delay_model(session)
    promised, need = TODAY + timedelta(days=10), TODAY + timedelta(days=13)
    assert model.deliveries(late.id) == 10
    assert model.probability_late(late.id, promised, need, TODAY) > 0.5
    assert model.probability_late(punctual.id, promised, need, TODAY) < 0.3


def test_a_line_closed_before_anything_was_received_is_not_an_arrival(buying, session):
    # Lines marked received with nothing received, as the API allowed before receipts were
    # required: they must not count as on-time deliveries nor teach the delay model.
    from sqlalchemy import update

    from models.purchasing import PurchaseLine

    supplier = make_supplier(session)
    empty = buying.buy(supplier, days_ago(10))
    session.execute(
        update(PurchaseLine)
        .where(PurchaseLine.id == empty.id)
        .values(status="received", arrived_on=days_ago(12))
    )
    real = buying.buy(supplier, days_ago(10))
    buying.status(real, "received", arrived_on=days_ago(5))
    assert delivery_history(session) == [Delivery(supplier.id, days_ago(10), days_ago(5))]
