"""Reviewed fields through REST: map PATCH merges, empty terms refused, change orders (issue 14)."""

from datetime import timedelta

from models.change_orders import ChangeOrder
from models.enums import Role
from models.orders import Review
from models.people import User
from tests.factories import bearer, count, make_confirmed_order, make_order, make_user


def _confirmed(session):
    order = make_confirmed_order(session)
    tracker = session.get(User, order.liaison_id)
    manager = make_user(session, Role.manager)
    session.commit()
    return order, bearer(tracker), bearer(manager)


def test_a_new_delivery_date_past_review_is_a_change_order_a_manager_approves(client, session):
    order, tracker, manager = _confirmed(session)
    url = f"/api/orders/{order.id}"
    signed = order.delivery_date.isoformat()
    new = (order.delivery_date + timedelta(days=20)).isoformat()
    r = client.patch(url, json={"delivery_date": new}, headers=tracker)
    assert r.status_code == 202, r.get_json()
    change = r.get_json()
    assert change["status"] == "pending" and change["status_name"] == "待审批"
    assert change["changes"] == [
        {"field": "delivery_date", "name": "交货日期", "before": signed, "after": new}
    ]
    assert client.get(url, headers=tracker).get_json()["delivery_date"] == signed
    listed = client.get(f"{url}/change-orders?status=pending", headers=tracker).get_json()
    assert [c["id"] for c in listed["items"]] == [change["id"]]
    approve = f"{url}/change-orders/{change['id']}/approve"
    r = client.post(approve, json={}, headers=tracker)
    assert r.status_code == 403 and "管理层" in r.get_json()["error"]["message"]
    r = client.post(approve, json={"note": "客户来函确认"}, headers=manager)
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    assert client.get(url, headers=tracker).get_json()["delivery_date"] == new
    review = client.get(f"{url}/review", headers=tracker).get_json()
    assert review["signoffs"][0]["changed_since"][0]["before"] == signed
    assert client.post(approve, json={}, headers=manager).status_code == 409


def test_rejecting_a_change_order_needs_a_reason_and_an_unknown_one_is_404(client, session):
    order, tracker, manager = _confirmed(session)
    url = f"/api/orders/{order.id}"
    change = client.patch(url, json={"payment_terms": "货到付款"}, headers=tracker).get_json()
    reject = f"{url}/change-orders/{change['id']}/reject"
    r = client.post(reject, json={}, headers=manager)
    assert r.status_code == 422 and r.get_json()["error"]["message"] == "驳回变更单时必须填写原因"
    r = client.post(reject, json={"note": "合同未变更"}, headers=manager)
    assert r.status_code == 200 and r.get_json()["decision_note"] == "合同未变更"
    r = client.post(f"{url}/change-orders/99999/approve", json={}, headers=manager)
    assert r.status_code == 404 and r.get_json()["error"]["message"] == "变更单不存在"
    assert client.get(url, headers=tracker).get_json()["payment_terms"] != "货到付款"


def test_tech_params_patch_merges_keys_and_null_removes_one(client, session):
    tracker = make_user(session, Role.tracker)
    order = make_order(
        session, liaison=tracker, tech_params={"设计压力": "2.5 MPa", "材质": "Q235"}
    )
    session.commit()
    h, url = bearer(tracker), f"/api/orders/{order.id}"
    r = client.patch(url, json={"tech_params": {"材质": "Q345R", "数量": "3 台"}}, headers=h)
    assert r.get_json()["tech_params"] == {"设计压力": "2.5 MPa", "材质": "Q345R", "数量": "3 台"}
    r = client.patch(url, json={"tech_params": {"设计压力": None}}, headers=h)
    assert r.status_code == 200 and r.get_json()["tech_params"] == {"材质": "Q345R", "数量": "3 台"}


def test_a_review_with_empty_terms_or_parameters_is_422_in_chinese(client, session):
    tracker = make_user(session, Role.tracker)
    no_terms = make_order(session, liaison=tracker, payment_terms="")
    no_params = make_order(session, liaison=tracker, tech_params={})
    session.commit()
    h = bearer(tracker)
    r = client.post(f"/api/orders/{no_terms.id}/review", headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["message"] == "付款条件为空，不能提交评审"
    r = client.post(f"/api/orders/{no_params.id}/review", headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["message"] == "技术参数为空，不能提交评审"
    assert count(session, Review) == 0 and count(session, ChangeOrder) == 0


def test_clearing_a_reviewed_field_is_422(client, session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    session.commit()
    r = client.patch(
        f"/api/orders/{order.id}", json={"delivery_date": None}, headers=bearer(tracker)
    )
    assert r.status_code == 422
    assert r.get_json()["error"]["message"] == "delivery_date：不能为 null（不修改请省略该字段）"
