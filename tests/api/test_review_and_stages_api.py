from sqlmodel import select

from models.enums import Role
from models.people import User
from models.stages import ChecklistItem
from tests.factories import bearer, make_delivered_order, make_order, make_user
from tests.stage_factories import receive_key_material


def _setup(session):
    tracker = make_user(session, Role.tracker)
    sales = make_user(session, Role.sales)
    order = make_order(session, liaison=tracker, review_departments=["sales"])
    session.commit()
    return order, bearer(tracker), bearer(sales)


def test_review_is_submitted_signed_and_the_order_confirmed(client, session):
    order, tracker, sales = _setup(session)
    r = client.post(f"/api/orders/{order.id}/review", headers=tracker)
    assert r.status_code == 201 and r.get_json()["signoffs"][0]["status"] == "pending"
    r = client.post(
        f"/api/orders/{order.id}/review/signoffs/sales", json={"approve": True}, headers=sales
    )
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    assert client.get(f"/api/orders/{order.id}", headers=tracker).get_json()["status"] == (
        "confirmed"
    )


def test_rejecting_without_a_reason_is_a_422(client, session):
    order, tracker, sales = _setup(session)
    client.post(f"/api/orders/{order.id}/review", headers=tracker)
    r = client.post(
        f"/api/orders/{order.id}/review/signoffs/sales", json={"approve": False}, headers=sales
    )
    assert r.status_code == 422 and r.get_json()["error"]["message"] == "驳回时必须填写原因"


def _stages(client, order, headers):
    items = client.get(f"/api/orders/{order.id}/stages", headers=headers).get_json()["items"]
    return {s["kind"]: s for s in items}


def _tick_by_hand(client, order, stage, headers):
    for item in stage["checklist"]:
        if not item["derived"]:
            r = client.patch(
                f"/api/orders/{order.id}/checklist/{item['id']}",
                json={"done": True},
                headers=headers,
            )
            assert r.status_code == 200


def test_the_stage_gate_is_a_409_naming_the_open_items(client, session):
    order, tracker, sales = _setup(session)
    client.post(f"/api/orders/{order.id}/review", headers=tracker)
    client.post(
        f"/api/orders/{order.id}/review/signoffs/sales", json={"approve": True}, headers=sales
    )
    r = client.post(f"/api/orders/{order.id}/stages/procurement/start", headers=tracker)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "previous_stage_open"
    _tick_by_hand(client, order, _stages(client, order, tracker)["review"], tracker)
    r = client.post(f"/api/orders/{order.id}/stages/review/close", headers=tracker)
    assert r.status_code == 200
    r = client.post(f"/api/orders/{order.id}/stages/procurement/start", headers=tracker)
    assert r.status_code == 200
    r = client.post(f"/api/orders/{order.id}/stages/procurement/close", headers=tracker)
    assert r.status_code == 409
    err = r.get_json()["error"]
    assert err["code"] == "stage_gate" and "BOM 已导入并核对" in err["message"]
    procurement = _stages(client, order, tracker)["procurement"]
    assert procurement["status"] == "in_progress"
    key = next(i for i in procurement["checklist"] if i["title"] == "关键物料已全部入库")
    assert key["derived"] and "BOM" in key["source"] and not key["done"]
    r = client.patch(
        f"/api/orders/{order.id}/checklist/{key['id']}", json={"done": True}, headers=tracker
    )
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "check_derived"
    assert "自动判定" in r.get_json()["error"]["message"]
    _tick_by_hand(client, order, procurement, tracker)
    r = client.post(f"/api/orders/{order.id}/stages/procurement/close", headers=tracker)
    assert r.status_code == 409 and "关键物料已全部入库" in r.get_json()["error"]["message"]
    receive_key_material(session, order)
    session.commit()
    r = client.post(f"/api/orders/{order.id}/stages/procurement/close", headers=tracker)
    assert r.status_code == 200 and r.get_json()["status"] == "done"
    order_now = client.get(f"/api/orders/{order.id}", headers=tracker).get_json()
    assert order_now["progress"] > 0


def test_a_manager_starts_a_stage_early_with_a_reason_through_the_api(client, session):
    order, tracker, sales = _setup(session)
    client.post(f"/api/orders/{order.id}/review", headers=tracker)
    client.post(
        f"/api/orders/{order.id}/review/signoffs/sales", json={"approve": True}, headers=sales
    )
    boss = bearer(make_user(session, Role.manager))
    session.commit()
    url = f"/api/orders/{order.id}/stages/procurement/start"
    r = client.post(url, json={"reason": ""}, headers=boss)
    assert r.status_code == 422
    r = client.post(url, json={"reason": "先订长周期件"}, headers=tracker)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "early_start_needs_manager"
    r = client.post(url, json={"reason": "先订长周期件"}, headers=boss)
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "in_progress" and body["started_early_reason"] == "先订长周期件"
    assert body["started_early_by"]["id"]


def test_the_acceptance_stage_is_not_closed_through_the_stage_api(client, session):
    order = make_delivered_order(session)
    tracker = bearer(session.get(User, order.liaison_id))
    session.commit()
    r = client.post(f"/api/orders/{order.id}/stages/acceptance/start", headers=tracker)
    assert r.status_code == 200
    r = client.post(f"/api/orders/{order.id}/stages/acceptance/close", headers=tracker)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "acceptance_required"
    assert "验收" in r.get_json()["error"]["message"]


def test_an_unknown_stage_kind_is_a_422(client, session):
    order, tracker, _ = _setup(session)
    r = client.post(f"/api/orders/{order.id}/stages/painting/start", headers=tracker)
    assert r.status_code == 422


def test_progress_out_of_range_is_a_422(client, session):
    order, tracker, _ = _setup(session)
    r = client.patch(
        f"/api/orders/{order.id}/stages/procurement", json={"progress": 120}, headers=tracker
    )
    assert r.status_code == 422 and "数值过大" in r.get_json()["error"]["message"]


def test_null_progress_is_a_422_not_a_500(client, session):
    # The planned dates may be cleared with null; the progress may only be left out.
    order, tracker, _ = _setup(session)
    r = client.patch(
        f"/api/orders/{order.id}/stages/procurement", json={"progress": None}, headers=tracker
    )
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["message"] == "progress：不能为 null（不修改请省略该字段）"


def test_a_checklist_item_of_another_order_is_not_found(client, session):
    order, tracker, _ = _setup(session)
    other = make_order(session)
    session.commit()
    item_id = session.exec(
        select(ChecklistItem.id).where(ChecklistItem.order_id == other.id)
    ).first()
    session.commit()
    r = client.patch(
        f"/api/orders/{order.id}/checklist/{item_id}", json={"done": True}, headers=tracker
    )
    assert r.status_code == 404
