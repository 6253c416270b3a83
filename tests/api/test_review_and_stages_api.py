from sqlmodel import select

from models.enums import Role
from models.stages import ChecklistItem
from tests.factories import bearer, make_order, make_user


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


def test_the_stage_gate_is_a_409_naming_the_open_items(client, session):
    order, tracker, sales = _setup(session)
    client.post(f"/api/orders/{order.id}/review", headers=tracker)
    client.post(
        f"/api/orders/{order.id}/review/signoffs/sales", json={"approve": True}, headers=sales
    )
    assert (
        client.post(f"/api/orders/{order.id}/stages/procurement/start", headers=tracker).status_code
        == 200
    )
    r = client.post(f"/api/orders/{order.id}/stages/procurement/close", headers=tracker)
    assert r.status_code == 409
    err = r.get_json()["error"]
    assert err["code"] == "stage_gate" and "BOM 已导入并核对" in err["message"]
    stages = client.get(f"/api/orders/{order.id}/stages", headers=tracker).get_json()["items"]
    procurement = next(s for s in stages if s["kind"] == "procurement")
    assert procurement["status"] == "in_progress"
    for item in procurement["checklist"]:
        r = client.patch(
            f"/api/orders/{order.id}/checklist/{item['id']}", json={"done": True}, headers=tracker
        )
        assert r.status_code == 200
    r = client.post(f"/api/orders/{order.id}/stages/procurement/close", headers=tracker)
    assert r.status_code == 200 and r.get_json()["status"] == "done"
    order_now = client.get(f"/api/orders/{order.id}", headers=tracker).get_json()
    assert order_now["progress"] > 0


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
