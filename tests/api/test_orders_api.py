import pytest

from models.changes import ChangeLog
from models.enums import Role
from models.orders import Order
from tests.factories import add_to_order, bearer, count, make_order, make_user

ORDER = {"customer": "华东化工", "contract_no": "HT-9", "delivery_date": "2027-03-01"}


def _error(r, status, code=None):
    assert r.status_code == status, r.get_json()
    err = r.get_json()["error"]
    assert err["message"] and "Traceback" not in err["message"]
    if code:
        assert err["code"] == code
    return err


def test_create_then_read_an_order(client, session):
    tracker = make_user(session, Role.tracker)
    session.commit()
    r = client.post("/api/orders", json=ORDER, headers=bearer(tracker))
    assert r.status_code == 201
    body = r.get_json()
    assert body["status"] == "draft" and body["progress"] == 0
    assert body["liaison"]["id"] == tracker.id
    assert body["current_stage"]["kind"] == "review"
    again = client.get(f"/api/orders/{body['id']}", headers=bearer(tracker))
    assert again.get_json()["code"] == body["code"]


def test_missing_field_is_a_422_naming_it_and_nothing_is_stored(client, session):
    tracker = make_user(session, Role.tracker)
    session.commit()
    before = count(session, Order)
    r = client.post("/api/orders", json={"customer": "甲"}, headers=bearer(tracker))
    err = _error(r, 422, "validation_error")
    assert "contract_no" in err["message"] and "必填" in err["message"]
    assert count(session, Order) == before


def test_wrong_type_is_a_422_and_nothing_is_stored(client, session):
    tracker = make_user(session, Role.tracker)
    session.commit()
    before = count(session, Order)
    r = client.post(
        "/api/orders", json={**ORDER, "delivery_date": "下个月"}, headers=bearer(tracker)
    )
    err = _error(r, 422, "validation_error")
    assert "YYYY-MM-DD" in err["message"]
    r = client.post(
        "/api/orders", json={**ORDER, "tech_params": ["not", "a", "dict"]}, headers=bearer(tracker)
    )
    _error(r, 422, "validation_error")
    assert count(session, Order) == before


def test_a_body_that_is_not_json_is_refused(client, session):
    tracker = make_user(session, Role.tracker)
    session.commit()
    r = client.post(
        "/api/orders", data="{oops", content_type="application/json", headers=bearer(tracker)
    )
    _error(r, 422)


def test_unknown_id_is_a_404(client, session):
    admin = make_user(session, Role.admin)
    session.commit()
    _error(client.get("/api/orders/999999", headers=bearer(admin)), 404, "order_not_found")
    _error(client.patch("/api/orders/999999", json={"customer": "x"}, headers=bearer(admin)), 404)


def test_forbidden_role_is_a_403_and_nothing_is_stored(client, session):
    engineer = make_user(session, Role.site_engineer)
    session.commit()
    before = count(session, Order)
    _error(client.post("/api/orders", json=ORDER, headers=bearer(engineer)), 403, "forbidden")
    assert count(session, Order) == before


def test_a_member_of_another_order_gets_403_on_read_and_write(client, session):
    mine, theirs = make_order(session), make_order(session)
    engineer = make_user(session, Role.site_engineer)
    add_to_order(session, mine, engineer, Role.site_engineer)
    session.commit()
    logged = count(session, ChangeLog)
    _error(
        client.get(f"/api/orders/{theirs.id}", headers=bearer(engineer)), 403, "not_order_member"
    )
    _error(client.get(f"/api/orders/{theirs.id}/changes", headers=bearer(engineer)), 403)
    _error(
        client.post(f"/api/orders/{theirs.id}/stages/acceptance/start", headers=bearer(engineer)),
        403,
    )
    assert count(session, ChangeLog) == logged
    listed = client.get("/api/orders", headers=bearer(engineer)).get_json()
    assert [o["id"] for o in listed["items"]] == [mine.id]


def test_updates_appear_in_the_paged_change_log(client, session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker, customer="甲")
    session.commit()
    r = client.patch(f"/api/orders/{order.id}", json={"customer": "乙"}, headers=bearer(tracker))
    assert r.status_code == 200 and r.get_json()["customer"] == "乙"
    page = client.get(f"/api/orders/{order.id}/changes?per_page=2", headers=bearer(tracker))
    body = page.get_json()
    assert body["total"] > 2 and len(body["items"]) == 2
    first = body["items"][0]
    assert (first["field"], first["old_value"], first["new_value"]) == ("customer", "甲", "乙")
    assert first["channel"] == "api"
    _error(client.get(f"/api/orders/{order.id}/changes?per_page=0", headers=bearer(tracker)), 422)


def test_cancel_needs_a_reason(client, session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    session.commit()
    _error(client.post(f"/api/orders/{order.id}/cancel", json={}, headers=bearer(tracker)), 422)
    r = client.post(
        f"/api/orders/{order.id}/cancel", json={"reason": "客户取消"}, headers=bearer(tracker)
    )
    assert r.get_json()["status"] == "cancelled"


def test_members_can_be_listed_added_and_removed(client, session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    buyer = make_user(session, Role.buyer)
    session.commit()
    h = bearer(tracker)
    r = client.post(
        f"/api/orders/{order.id}/members", json={"user_id": buyer.id, "role": "buyer"}, headers=h
    )
    assert r.status_code == 201
    assert {m["user"]["id"] for m in r.get_json()["items"]} == {tracker.id, buyer.id}
    r = client.post(
        f"/api/orders/{order.id}/members", json={"user_id": buyer.id, "role": "boss"}, headers=h
    )
    _error(r, 422, "validation_error")
    assert client.delete(f"/api/orders/{order.id}/members/{buyer.id}", headers=h).status_code == 204


def test_a_nul_character_anywhere_is_a_clear_422_not_a_database_error(client, session):
    tracker = make_user(session, Role.tracker)
    session.commit()
    before = count(session, Order)
    r = client.post(
        "/api/orders", json={**ORDER, "customer": "华东\u0000化工"}, headers=bearer(tracker)
    )
    assert _error(r, 422, "nul_character")
    r = client.get("/api/orders?q=%00", headers=bearer(tracker))
    assert _error(r, 422, "nul_character")
    assert count(session, Order) == before


def test_a_reference_to_a_user_that_does_not_exist_is_a_404_naming_the_field(client, session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    session.commit()
    h, before = bearer(tracker), count(session, Order)
    err = _error(client.post("/api/orders", json={**ORDER, "liaison_id": 999999}, headers=h), 404)
    assert err["details"]["field"] == "liaison_id" and "不存在" in err["message"]
    assert count(session, Order) == before
    r = client.post(
        f"/api/orders/{order.id}/members", json={"user_id": 999999, "role": "buyer"}, headers=h
    )
    err = _error(r, 404)
    assert err["details"]["field"] == "user_id" and "不存在" in err["message"]


@pytest.mark.parametrize(
    "field",
    ["customer", "contract_no", "priority", "review_departments", "payment_terms", "delivery_date"],
)
def test_null_for_a_field_that_cannot_be_cleared_is_a_422_not_a_500(client, session, field):
    # schemathesis sent {"customer": null}: it reached the NOT NULL column (a 500); the
    # document now shows these fields without null, and the door refuses it.
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    session.commit()
    r = client.patch(f"/api/orders/{order.id}", json={field: None}, headers=bearer(tracker))
    err = _error(r, 422, "validation_error")
    assert err["message"] == f"{field}：不能为 null（不修改请省略该字段）"
    schema = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert "anyOf" not in schema["OrderUpdate"]["properties"][field]


@pytest.mark.parametrize("departments", [[], ["  "]])
def test_review_departments_need_one_code_as_the_document_says(client, session, departments):
    tracker = make_user(session, Role.tracker)
    session.commit()
    body = {**ORDER, "review_departments": departments}
    r = client.post("/api/orders", json=body, headers=bearer(tracker))
    _error(r, 422, "validation_error")
    schema = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    node = next(
        n
        for n in schema["OrderCreate"]["properties"]["review_departments"]["anyOf"]
        if n.get("type") == "array"
    )
    assert node["minItems"] == 1 and node["items"]["pattern"]


def test_a_liaison_who_is_no_tracker_is_a_409(client, session):
    # The user exists but holds another role: a state the document cannot show, so 409 like
    # every such refusal (it was a 422, which the document reserves for the request's shape).
    tracker, sales = make_user(session, Role.tracker), make_user(session, Role.sales)
    session.commit()
    body = {**ORDER, "liaison_id": sales.id}
    err = _error(client.post("/api/orders", json=body, headers=bearer(tracker)), 409)
    assert err["code"] == "liaison_not_tracker" and err["message"] == "跟单联络人必须是跟单员"
