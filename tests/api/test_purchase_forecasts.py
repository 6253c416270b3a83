"""The predicted lateness of each open purchase line, with its basis, in the API and on the
order page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.procurement import set_purchase_status
from models.people import User
from models.purchasing import PurchaseStatusIn
from tests.clocks import today
from tests.factories import (
    act,
    bearer,
    make_bom_line,
    make_procuring_order,
    make_purchase,
    make_supplier,
)
from tests.web.test_dashboard_pages import _login

# Dates matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _order_with_history(session, delivered: int):
    """An order whose supplier was ten days late `delivered` times, and one open line."""
    slow = make_supplier(session, name="慢供应商")
    order = make_procuring_order(session)
    liaison = session.get(User, order.liaison_id)
    for _ in range(delivered):
        line = make_bom_line(session, order, days=40)
        p = make_purchase(
            session,
            order,
            line,
            supplier=slow,
            status="confirmed",
            promised_date=today() - timedelta(days=30),
        )
        set_purchase_status(
            session=session,
            actor=act(session, liaison),
            purchase_id=p.id,
            data=PurchaseStatusIn(
                status="received",
                arrived_on=today() - timedelta(days=20),
                received_quantity=p.quantity,
            ),
        )
    tight = make_bom_line(session, order, days=5)
    open_line = make_purchase(
        session,
        order,
        tight,
        supplier=slow,
        status="confirmed",
        promised_date=today() + timedelta(days=3),
    )
    session.commit()
    return order, liaison, open_line.id


def test_each_open_purchase_line_carries_its_probability_and_basis(client, session):
    order, liaison, open_id = _order_with_history(session, 20)
    r = client.get(f"/api/orders/{order.id}/purchases", headers=bearer(liaison))
    assert r.status_code == 200
    lines = {item["id"]: item for item in r.get_json()["items"]}
    assert lines[open_id]["delay_probability"] == 1.0
    assert "按该供应商 20 次交付" in lines[open_id]["delay_basis"]
    received = [item for i, item in lines.items() if i != open_id]
    assert all(item["delay_probability"] is None for item in received)


def test_below_the_minimum_history_the_line_says_why_it_is_not_predicted(client, session):
    order, liaison, open_id = _order_with_history(session, 2)
    r = client.get(f"/api/orders/{order.id}/purchases", headers=bearer(liaison))
    line = next(item for item in r.get_json()["items"] if item["id"] == open_id)
    assert line["delay_probability"] is None
    assert "仅 2 次（少于 20 次），暂不预测" in line["delay_basis"]


def test_the_order_page_shows_the_prediction_of_open_lines(client, session):
    order, liaison, _ = _order_with_history(session, 20)
    username = liaison.username
    session.commit()
    _login(client, username)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "到货延期预测" in html and "晚于需求日概率 100%" in html
    assert "按该供应商 20 次交付" in html
