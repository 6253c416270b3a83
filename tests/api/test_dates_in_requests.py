"""Every date and time a request carries is text as the OpenAPI document says (models/inputs.py):
a number, or text of digits, is refused with 422 instead of being read as Unix time
(`?day=0` answered 1970-01-01, found by the long schemathesis run).

The fields are taken from the document itself, so a date field added later is checked too.
"""

from __future__ import annotations

import re
import uuid

import pytest

from models.enums import Role
from models.orders import Order
from models.scans import Scan
from tests.factories import bearer, count, make_procuring_order, make_user, make_warehouse
from tests.request_fields import body_fields, document, errors_at, models, query_fields

BAD_DAYS = [0, 86400, 1.5, True, "0", "0.0", "1700000000", "2026-12-07T00:00:00", "2026/12/07"]
BAD_MOMENTS = [0, 1_700_000_000, 1.7e9, "1700000000", "0.0", " 17e8 "]
WORDS = {"date": "日期格式应为 YYYY-MM-DD", "date-time": "时间格式应为 ISO 8601"}


def _request_fields(doc: dict) -> tuple[set, set]:
    wanted = set(WORDS)
    return body_fields(doc, wanted), query_fields(doc, wanted)


def test_the_document_names_the_request_dates_this_test_checks(app):
    body_fields, query_fields = _request_fields(document(app))
    # Counted on 2026-12-07: 32 body fields, 9 query parameters. Fewer means the walk missed.
    assert len(body_fields) >= 32 and len(query_fields) >= 9
    assert ("ScanIn", "scanned_at", "date-time") in body_fields
    assert ("OrderCreate", "delivery_date", "date") in body_fields


def test_no_request_body_reads_a_number_as_a_date_or_a_time(app):
    body_fields, _ = _request_fields(document(app))
    found = models()
    for component, prop, fmt in sorted(body_fields):
        model = found[component]
        refused = "date_parsing" if fmt == "date" else "datetime_parsing"
        for value in BAD_DAYS if fmt == "date" else BAD_MOMENTS:
            assert refused in errors_at(model, prop, value), (component, prop, value)
        good = "2026-12-07" if fmt == "date" else "2026-12-07T08:30:00+08:00"
        assert errors_at(model, prop, good) == [], (component, prop)


def test_no_query_parameter_reads_a_number_as_a_date(app, client, session):
    _, query_fields = _request_fields(document(app))
    admin = make_user(session, Role.admin)
    session.commit()
    for method, path, name, fmt in sorted(query_fields):
        url = re.sub(r"\{[^}]+\}", "1", path)
        for value in ("0", "0.0", "1700000000"):
            r = client.open(url, method=method, query_string={name: value}, headers=bearer(admin))
            assert r.status_code == 422, (url, name, value, r.get_json())
            error = r.get_json()["error"]
            assert error["code"] == "validation_error"
            assert f"{name}：{WORDS[fmt]}" in error["message"], (url, error)


def test_an_order_with_a_unix_time_for_its_delivery_date_is_refused_and_not_stored(client, session):
    tracker = make_user(session, Role.tracker)
    session.commit()
    before = count(session, Order)
    order = {"customer": "华东化工", "contract_no": "HT-10", "delivery_date": 1_800_000_000}
    r = client.post("/api/orders", json=order, headers=bearer(tracker))
    assert r.status_code == 422
    assert r.get_json()["error"]["message"] == "delivery_date：日期格式应为 YYYY-MM-DD"
    assert count(session, Order) == before
    r = client.post(
        "/api/orders", json={**order, "delivery_date": "2027-03-01"}, headers=bearer(tracker)
    )
    assert r.status_code == 201 and r.get_json()["delivery_date"] == "2027-03-01"


@pytest.mark.parametrize("scanned_at", [1_800_000_000, "1800000000"])
def test_a_scan_with_a_unix_time_for_when_it_was_scanned_is_refused_and_not_stored(
    client, session, scanned_at
):
    order = make_procuring_order(session)
    worker = make_warehouse(session, order)
    session.commit()
    scan = {
        "client_id": str(uuid.uuid4()),
        "result": "Q345R-20",
        "action": "receive",
        "quantity": 1,
        "order_id": order.id,
        "scanned_at": scanned_at,
    }
    r = client.post("/api/scans", json=scan, headers=bearer(worker))
    assert r.status_code == 422
    assert r.get_json()["error"]["message"] == "scanned_at：时间格式应为 ISO 8601"
    assert count(session, Scan) == 0
