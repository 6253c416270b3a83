import io
from datetime import timedelta

import pytest
from sqlmodel import select

from models.quality import Inspection, InspectionDefect, Rework
from models.shipments import Shipment, ShipmentCheck
from tests.clocks import PINNED_DAY, pin_clock
from tests.factories import count
from tests.images import jpeg
from tests.production_factories import make_team

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

TODAY = PINNED_DAY
_pinned_clock = pin_clock(TODAY)
SAMPLING = {
    "kind": "sampling",
    "lot_no": "L-01",
    "lot_size": 50,
    "sample_size": 5,
    "passed_qty": 5,
    "failed_qty": 0,
    "result": "pass",
}


@pytest.fixture()
def team(session):
    team = make_team(session, production_done=True)
    session.commit()
    return team


def _url(team, tail):
    return f"/api/orders/{team.order.id}/{tail}"


def _photo(client, team, seed=1):
    r = client.post(
        _url(team, "photos"),
        headers=team.headers("tracker"),
        data={"file": (io.BytesIO(jpeg(seed=seed)), "p.jpg")},
        content_type="multipart/form-data",
    )
    return r.get_json()["id"]


def _inspect(client, team, who="quality", **fields):
    return client.post(
        _url(team, "inspections"), json={**SAMPLING, **fields}, headers=team.headers(who)
    )


def _stored_status(session, shipment_id) -> str:
    """The shipment's status as stored, read in a transaction of its own."""
    session.commit()
    status = session.exec(select(Shipment.status).where(Shipment.id == shipment_id)).one()
    session.commit()
    return status.value


def _ship(client, team, **fields):
    body = {"destination": "包头现场", "carrier": "德邦", "vehicle_plate": "蒙B·88888", **fields}
    return client.post(_url(team, "shipments"), json=body, headers=team.headers("logistics"))


def _status(client, team, shipment_id, status, **fields):
    return client.post(
        _url(team, f"shipments/{shipment_id}/status"),
        json={"status": status, **fields},
        headers=team.headers("logistics"),
    )


@pytest.mark.parametrize(
    ("fields", "word"),
    [
        ({"passed_qty": 4}, "之和应等于检验数量（5）"),
        ({"sample_size": 60}, "抽检数量（60）不能大于批量（50）"),
        ({"sample_size": 0}, "数值过小"),
        ({"lot_size": -3}, "数值过小"),
        ({"kind": "visual"}, "取值不在允许范围内"),
        ({"result": "fail"}, "不合格时必须记录至少一项缺陷"),
        ({"inspected_at": "2999-01-01T00:00:00+08:00"}, "检验时间不能在未来"),
    ],
)
def test_a_bad_inspection_is_a_422_and_nothing_is_stored(client, session, team, fields, word):
    r = _inspect(client, team, **fields)
    assert r.status_code == 422 and word in r.get_json()["error"]["message"], r.get_json()
    assert count(session, Inspection) == 0


def test_a_buyer_cannot_record_an_inspection(client, session, team):
    r = _inspect(client, team, who="buyer")
    assert r.status_code == 403 and count(session, Inspection) == 0


def test_failed_inspection_rework_and_reinspection_through_the_api(client, session, team):
    photo = _photo(client, team)
    failed = _inspect(
        client,
        team,
        passed_qty=3,
        failed_qty=2,
        result="fail",
        defects=[
            {"description": "焊缝气孔", "severity": "critical", "quantity": 2, "photo_ids": [photo]}
        ],
        rework={"description": "返修焊缝", "owner_id": team.production.id, "due_date": str(TODAY)},
    )
    assert failed.status_code == 201, failed.get_json()
    body = failed.get_json()
    assert body["defects"][0]["severity_name"] == "致命"
    assert body["defects"][0]["photos"][0]["id"] == photo
    rework = body["rework"]
    assert rework["owner"]["id"] == team.production.id and rework["status"] == "open"
    shipment = _ship(client, team).get_json()
    r = _status(client, team, shipment["id"], "dispatched")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "inspection_not_passed"
    r = _inspect(client, team, reinspects_rework_id=rework["id"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "rework_open"
    r = client.post(
        _url(team, f"reworks/{rework['id']}/done"),
        json={"note": "已返修"},
        headers=team.headers("production"),
    )
    assert r.status_code == 200 and r.get_json()["status"] == "done"
    again = _inspect(client, team, reinspects_rework_id=rework["id"])
    assert again.status_code == 201 and again.get_json()["reinspects_rework_id"] == rework["id"]
    listed = client.get(_url(team, "inspections"), headers=team.headers("tracker")).get_json()
    assert [i["result"] for i in listed["items"]] == ["pass", "fail"]
    open_reworks = client.get(_url(team, "reworks?status=open"), headers=team.headers("tracker"))
    assert open_reworks.get_json()["items"] == []
    assert _status(client, team, shipment["id"], "dispatched").status_code == 200
    assert count(session, InspectionDefect) == 1 and count(session, Rework) == 1


def test_a_pass_while_rework_is_open_is_a_409_and_nothing_is_stored(client, session, team):
    rework = {"description": "返修焊缝", "owner_id": team.production.id, "due_date": str(TODAY)}
    failed = _inspect(
        client,
        team,
        passed_qty=3,
        failed_qty=2,
        result="fail",
        defects=[{"description": "焊缝气孔", "severity": "major", "quantity": 2}],
        rework=rework,
    )
    assert failed.status_code == 201
    r = _inspect(client, team)  # a plain pass over the open rework
    error = r.get_json()["error"]
    assert r.status_code == 409 and error["code"] == "rework_open"
    assert "尚未完成" in error["message"] and "返工" in error["message"]
    assert count(session, Inspection) == 1
    shipment = _ship(client, team).get_json()
    r = _status(client, team, shipment["id"], "delivered", receiver_name="王工")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "inspection_not_passed"
    assert _stored_status(session, shipment["id"]) == "planned"


def test_dispatch_before_production_is_done_is_a_409(client, session):
    early = make_team(session, production_started=True)
    session.commit()
    assert _inspect(client, early).status_code == 201
    shipment = _ship(client, early).get_json()
    r = _status(client, early, shipment["id"], "dispatched")
    error = r.get_json()["error"]
    assert r.status_code == 409 and error["code"] == "production_not_done"
    assert "生产阶段尚未完成" in error["message"]
    assert _stored_status(session, shipment["id"]) == "planned"


def test_dispatch_without_any_inspection_is_a_409_with_a_clear_message(client, session, team):
    shipment = _ship(client, team).get_json()
    r = _status(client, team, shipment["id"], "dispatched")
    error = r.get_json()["error"]
    assert r.status_code == 409 and error["code"] == "inspection_missing"
    assert error["message"] == "尚无成品检验记录，检验合格后才能发货"
    assert _stored_status(session, shipment["id"]) == "planned"


def test_a_remote_shipment_from_plan_to_proof_of_delivery(client, session, team):
    assert _inspect(client, team).status_code == 201
    r = _ship(client, team, remote_site=True, lifting_capacity_t=50, driver_phone="13900000000")
    assert r.status_code == 201
    shipment = r.get_json()
    assert [c["kind"] for c in shipment["checks"]] == ["site", "site", "lifting", "customs"]
    r = _status(client, team, shipment["id"], "dispatched")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "site_checklist_open"
    for check in shipment["checks"]:
        r = client.patch(
            _url(team, f"shipment-checks/{check['id']}"),
            json={"done": True},
            headers=team.headers("logistics"),
        )
        assert r.status_code == 200 and r.get_json()["done_by"]["id"] == team.logistics.id
    assert _status(client, team, shipment["id"], "in_transit").status_code == 200
    r = _status(client, team, shipment["id"], "delivered", receiver_name="李工")
    assert (
        r.status_code == 422
        and r.get_json()["error"]["message"] == "签收时必须上传签收照片（回单）"
    )
    assert _stored_status(session, shipment["id"]) == "in_transit"
    pod = _photo(client, team, seed=9)
    r = _status(client, team, shipment["id"], "delivered", receiver_name="李工", photo_ids=[pod])
    assert r.status_code == 200
    body = r.get_json()
    assert body["status_name"] == "已签收" and body["delivery_photos"][0]["id"] == pod
    r = _status(client, team, shipment["id"], "in_transit")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "status_backwards"
    stages = client.get(_url(team, "stages"), headers=team.headers("tracker")).get_json()["items"]
    delivery = next(s for s in stages if s["kind"] == "delivery")
    assert next(i for i in delivery["checklist"] if i["title"] == "已签收回单")["done"]


@pytest.mark.parametrize(
    "fields",
    [
        {"driver_phone": "call me"},
        {"insured_amount": -1},
        {"insured_amount": "860000.005"},
        {"insured_amount": 12.345},
        {"insured_amount": "八十六万"},
        {"freight_cost": "1e3"},
        {"lifting_capacity_t": 0},
        {"planned_dispatch": str(TODAY), "planned_arrival": str(TODAY - timedelta(days=2))},
    ],
)
def test_a_bad_shipment_plan_is_a_422_and_nothing_is_stored(client, session, team, fields):
    r = _ship(client, team, **fields)
    assert r.status_code == 422 and r.get_json()["error"]["message"]
    assert count(session, Shipment) == 0


def test_shipment_money_goes_in_and_out_as_strings_with_two_places(client, session, team):
    r = _ship(client, team, insured_amount="860000", freight_cost=1500.5)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["insured_amount"], body["freight_cost"]) == ("860000.00", "1500.50")
    assert body["insurance_cost"] is None
    r = _ship(client, team, insured_amount="12.345")
    assert r.status_code == 422
    assert r.get_json()["error"]["message"] == "insured_amount：金额应为数字（元），最多两位小数"


def test_another_orders_shipment_is_a_404(client, session, team):
    other = make_team(session)
    session.commit()
    foreign = _ship(client, other).get_json()["id"]
    r = client.patch(
        _url(team, f"shipments/{foreign}"), json={"note": "x"}, headers=team.headers("tracker")
    )
    assert r.status_code == 404
    assert (
        client.get(_url(team, f"shipments/{foreign}"), headers=team.headers("tracker")).status_code
        == 404
    )


def test_a_bad_checklist_item_is_a_422_and_nothing_is_stored(client, session, team):
    shipment = _ship(client, team).get_json()
    url = _url(team, f"shipments/{shipment['id']}/checks")
    for body in ({"kind": "site", "title": ""}, {"kind": "weather", "title": "风力"}):
        r = client.post(url, json=body, headers=team.headers("logistics"))
        assert r.status_code == 422 and r.get_json()["error"]["message"]
    assert count(session, ShipmentCheck) == 0


def test_rework_done_with_an_overlong_note_is_a_422(client, session, team):
    r = _inspect(
        client,
        team,
        passed_qty=4,
        failed_qty=1,
        result="fail",
        defects=[{"description": "漏漆", "severity": "minor"}],
        rework={"description": "补漆", "owner_id": team.production.id, "due_date": str(TODAY)},
    )
    rework_id = r.get_json()["rework"]["id"]
    r = client.post(
        _url(team, f"reworks/{rework_id}/done"),
        json={"note": "长" * 1001},
        headers=team.headers("production"),
    )
    assert r.status_code == 422 and "过长" in r.get_json()["error"]["message"]
    assert count(session, Rework, Rework.status == "done") == 0
