from decimal import Decimal

import jsonschema_rs

from models.costs import CostEntry, OrderBudget, PaymentMilestone
from models.enums import Role
from models.people import User
from models.shipments import Shipment
from tests.factories import (
    bearer,
    count,
    make_bom_line,
    make_confirmed_order,
    make_procuring_order,
    make_purchase,
    make_user,
)

TERMS = "30%预付，60%发货后，10%质保金验收后一年"


def _setup(session, **overrides):
    order = make_procuring_order(session, **overrides)
    h = bearer(session.get(User, order.liaison_id))
    session.commit()
    return order, h


def test_budget_entries_and_report_round_trip_as_exact_money(client, session):
    order, h = _setup(session)
    make_purchase(
        session, order, make_bom_line(session, order), quantity=3, unit_price=Decimal("33.33")
    )
    session.commit()
    r = client.put(f"/api/orders/{order.id}/costs/budget", json={"material": "99.98"}, headers=h)
    assert r.status_code == 200, r.get_json()
    material = r.get_json()["categories"][0]
    assert material == {
        "category": "material",
        "name": "材料",
        "budget": "99.98",
        "actual": "99.99",
        "remaining": "-0.01",
        "used_percent": 100.0,
        "over_budget": True,
    }
    r = client.post(
        f"/api/orders/{order.id}/costs/entries",
        json={"category": "other", "amount": "12.30", "description": "差旅"},
        headers=h,
    )
    assert r.status_code == 201 and r.get_json()["amount"] == "12.30"
    report = client.get(f"/api/orders/{order.id}/costs", headers=h).get_json()
    assert report["total_actual"] == "112.29" and report["over_budget"] is True
    entry_id = r.get_json()["id"]
    assert (
        client.delete(f"/api/orders/{order.id}/costs/entries/{entry_id}", headers=h).status_code
        == 204
    )


def test_negative_budget_gets_the_envelope_and_stores_nothing(client, session):
    order, h = _setup(session)
    r = client.put(f"/api/orders/{order.id}/costs/budget", json={"labour": -5}, headers=h)
    assert r.status_code == 422 and "message" in r.get_json()["error"]
    assert count(session, OrderBudget) == 0


def test_bad_cost_entry_is_refused(client, session):
    order, h = _setup(session)
    for body in (
        {"amount": "0", "description": "x"},
        {"amount": "5", "description": ""},
        {"amount": 1.005, "description": "x"},
    ):
        r = client.post(f"/api/orders/{order.id}/costs/entries", json=body, headers=h)
        assert r.status_code == 422, body
    assert count(session, CostEntry) == 0


def test_shipment_costs_are_accepted_by_the_shipment_api(client, session):
    order, h = _setup(session)
    r = client.post(
        f"/api/orders/{order.id}/shipments",
        json={"destination": "工地", "freight_cost": "1500.00", "insurance_cost": 80},
        headers=h,
    )
    assert r.status_code in (200, 201), r.get_json()
    r = client.post(f"/api/orders/{order.id}/shipments", json={"freight_cost": -1}, headers=h)
    assert r.status_code == 422
    assert count(session, Shipment) == 1
    report = client.get(f"/api/orders/{order.id}/costs", headers=h).get_json()
    assert report["categories"][2]["actual"] == "1580.00"


def test_payment_plan_generated_edited_and_paid(client, session):
    order, h = _setup(session, payment_terms=TERMS)
    url = f"/api/orders/{order.id}/payments"
    r = client.post(f"{url}/generate", json={"contract_amount": "200000"}, headers=h)
    assert r.status_code == 200, r.get_json()
    view = r.get_json()
    assert [i["amount"] for i in view["items"]] == ["60000.00", "120000.00", "20000.00"]
    first = view["items"][0]["id"]
    r = client.post(f"{url}/{first}/receipts", json={"amount": "60000"}, headers=h)
    assert r.status_code == 200 and r.get_json()["status"] == "received"
    r = client.patch(f"{url}/{first}", json={"note": "已开票"}, headers=h)
    assert r.get_json()["note"] == "已开票"
    view = client.get(url, headers=h).get_json()
    assert (view["receivable"], view["received"], view["outstanding"]) == (
        "200000.00",
        "60000.00",
        "140000.00",
    )


def test_percentages_not_summing_to_100_are_refused(client, session):
    order, h = _setup(session, contract_amount=Decimal(1000))
    body = {"items": [{"name": "预付", "percent": 30}, {"name": "发货", "percent": 60}]}
    r = client.put(f"/api/orders/{order.id}/payments", json=body, headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "percent_total"
    assert "90%" in r.get_json()["error"]["message"]
    assert count(session, PaymentMilestone) == 0


def test_another_orders_milestone_is_404(client, session):
    order, _h = _setup(session, payment_terms=TERMS, contract_amount=Decimal(1000))
    other = make_confirmed_order(session, payment_terms=TERMS, contract_amount=Decimal(1000))
    other_h = bearer(session.get(User, other.liaison_id))
    admin = bearer(make_user(session, Role.admin))
    other_id = other.id
    session.commit()
    theirs = client.post(f"/api/orders/{other_id}/payments/generate", json={}, headers=other_h)
    mid = theirs.get_json()["items"][0]["id"]
    r = client.post(
        f"/api/orders/{order.id}/payments/{mid}/receipts", json={"amount": "1"}, headers=admin
    )
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "milestone_not_found"
    r = client.get("/api/orders/999999/costs", headers=admin)
    assert r.status_code == 404


def test_retro_before_acceptance_is_409_in_the_envelope(client, session):
    order, h = _setup(session)
    r = client.get(f"/api/orders/{order.id}/retro", headers=h)
    assert r.status_code == 409
    assert r.get_json()["error"] == {
        "code": "not_accepted",
        "message": "订单尚未验收，验收后才能复盘",
    }


def test_contract_amount_is_exact_on_the_order_and_never_negative(client, session):
    order, h = _setup(session)
    r = client.patch(f"/api/orders/{order.id}", json={"contract_amount": "1234567.89"}, headers=h)
    assert r.status_code == 200 and r.get_json()["contract_amount"] == "1234567.89"
    r = client.patch(f"/api/orders/{order.id}", json={"contract_amount": -1}, headers=h)
    assert r.status_code == 422
    assert (
        client.get(f"/api/orders/{order.id}", headers=h).get_json()["contract_amount"]
        == "1234567.89"
    )


def test_money_as_a_json_number_is_read_as_its_text_and_the_document_says_so(client, session):
    """The document said money is text only while a JSON number was read the same way; a long
    schemathesis run sent {"other": 3885} as a schema-violating request that was accepted."""
    order, h = _setup(session)
    r = client.put(f"/api/orders/{order.id}/costs/budget", json={"other": 3885}, headers=h)
    assert r.status_code == 200, r.get_json()
    other = next(c for c in r.get_json()["categories"] if c["category"] == "other")
    assert other["budget"] == "3885.00"
    r = client.put(f"/api/orders/{order.id}/costs/budget", json={"other": 12.345}, headers=h)
    assert r.status_code == 422
    doc = client.get("/api/openapi.json").get_json()
    schema = {**doc["components"]["schemas"]["BudgetIn"], "components": doc["components"]}
    validator = jsonschema_rs.Draft202012Validator(schema)
    for body, valid in [
        ({"other": 3885}, True),
        ({"other": 38.85}, True),
        ({"other": "38.85"}, True),
        ({"other": 12.345}, False),
        ({"other": -1}, False),
        ({"other": "1e3"}, False),
    ]:
        assert validator.is_valid(body) is valid, body
