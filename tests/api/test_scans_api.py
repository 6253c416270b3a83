import io
import uuid

import pytest
from PIL import Image

from models.bom import BomLine
from models.scans import Scan
from tests.factories import (
    bearer,
    count,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_warehouse,
)
from tests.images import jpeg, pixel_bomb_png


def _setup(session, needed=10):
    order = make_procuring_order(session)
    material = make_material(session, "STEEL-3MM", name="钢板")
    line = make_bom_line(session, order, material, needed=needed)
    worker = make_warehouse(session, order)
    session.commit()
    return order, material, line, bearer(worker)


def _body(result="STEEL-3MM", **extra):
    return {
        "client_id": str(uuid.uuid4()),
        "result": result,
        "scanType": "CODE_128",
        "action": "receive",
        "quantity": 2,
        **extra,
    }


def _photo(client, headers, data, name="photo.jpg"):
    return client.post(
        "/api/scans/photo",
        headers=headers,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_a_scan_is_applied_once_and_a_resend_returns_the_original(client, session):
    order, _, _, h = _setup(session)
    body = _body()
    r = client.post("/api/scans", json=body, headers=h)
    assert r.status_code == 201, r.get_json()
    result = r.get_json()
    assert result["order"]["code"] == order.code
    assert (result["received"], result["needed"], result["missing"]) == (2, 10, 8)
    assert result["key_materials"] == {"total": 0, "complete": 0, "all_complete": True}
    again = client.post("/api/scans", json=body, headers=h)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert again.get_json()["received"] == 2


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"result": ""}, 422, "bad_payload"),
        ({"result": "GD1:LOT;M:STEEL-3MM"}, 422, "bad_payload"),
        ({"result": "6901234567891", "scanType": "EAN_13"}, 422, "bad_checksum"),
        ({"quantity": 0}, 422, "bad_quantity"),
        ({"quantity": -1}, 422, "validation_error"),
        ({"quantity": "abc"}, 422, "validation_error"),
        ({"client_id": "not-a-uuid"}, 422, "validation_error"),
        ({"action": "steal"}, 422, "validation_error"),
        ({"result": "NO-SUCH-CODE"}, 404, "unknown_code"),
        ({"quantity": 11}, 409, "over_receipt"),
    ],
)
def test_bad_scans_get_a_clear_error_and_store_nothing(client, session, change, status, code):
    _, _, line, h = _setup(session)
    r = client.post("/api/scans", json=_body(**change), headers=h)
    assert r.status_code == status, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert count(session, Scan) == 0
    session.refresh(line)
    assert line.received == 0


def test_an_unknown_code_answers_how_to_bind_it_and_binding_makes_it_scan(client, session):
    _, material, _, h = _setup(session)
    r = client.post("/api/scans", json=_body("SUP-778899"), headers=h)
    bind = r.get_json()["error"]["details"]["bind"]
    body = {**bind["body"], "material_id": material.id}
    assert client.post(bind["url"], json=body, headers=h).status_code == 201
    r = client.post("/api/scans", json=_body("SUP-778899"), headers=h)
    assert r.status_code == 201 and r.get_json()["material"]["code"] == "STEEL-3MM"


def test_another_orders_label_is_forbidden(client, session):
    _, _, _, h = _setup(session)
    other = make_procuring_order(session)
    session.commit()
    r = client.post("/api/scans", json=_body(f"GD1:MAT;M:STEEL-3MM;O:{other.code}"), headers=h)
    assert r.status_code == 403 and count(session, Scan) == 0


def test_a_batch_answers_per_scan(client, session):
    _, _, line, h = _setup(session)
    good = _body()
    scans = [good, _body(quantity=-5), _body("NOPE"), good, "garbage", _body(quantity=3)]
    r = client.post("/api/scans/batch", json={"scans": scans}, headers=h)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [i["status"] for i in body["items"]] == [201, 422, 404, 200, 422, 201]
    assert body["items"][1]["client_id"] == scans[1]["client_id"]
    assert "quantity" in body["items"][1]["error"]["message"]
    assert (body["applied"], body["duplicates"], body["failed"]) == (2, 1, 3)
    session.refresh(line)
    assert line.received == 5


@pytest.mark.parametrize("size", [0, 501])
def test_a_batch_must_hold_1_to_500_scans(client, session, size):
    _, _, _, h = _setup(session)
    r = client.post("/api/scans/batch", json={"scans": [_body()] * size}, headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "batch_too_large"
    assert count(session, Scan) == 0


def test_a_photo_of_a_label_lists_the_code_with_its_open_needs(client, session):
    order, material, line, h = _setup(session)
    label = client.get(f"/api/materials/{material.id}/label.png", headers=h)
    assert label.status_code == 200 and label.mimetype == "image/png"
    # The label photographed on a grey bench: pasted into a larger JPEG.
    bench = Image.new("RGB", (1600, 1200), (150, 150, 150))
    bench.paste(Image.open(io.BytesIO(label.data)).convert("RGB"), (400, 300))
    out = io.BytesIO()
    bench.save(out, "JPEG", quality=90)
    r = _photo(client, h, out.getvalue())
    assert r.status_code == 200, r.get_json()
    [item] = r.get_json()["items"]
    assert item["kind"] == "material" and item["material"]["code"] == "STEEL-3MM"
    assert item["open_needs"][0]["bom_line_id"] == line.id
    confirm = client.post(
        "/api/scans", json=_body(item["text"], scanType=item["format"]), headers=h
    )
    assert confirm.status_code == 201 and confirm.get_json()["order"]["id"] == order.id


def test_a_photo_without_codes_says_so(client, session):
    _, _, _, h = _setup(session)
    r = _photo(client, h, jpeg(800, 600))
    assert r.status_code == 200 and r.get_json()["items"] == []
    assert "没有识别到条码" in r.get_json()["message"]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 422),
        (b"%PDF-1.4 not an image", 415),
        (jpeg(640, 480)[:2000], 422),
        (pixel_bomb_png(), 413),
    ],
    ids=["empty", "not-an-image", "truncated-jpeg", "over-the-pixel-limit"],
)
def test_bad_photos_are_refused_clearly(client, session, data, status):
    _, _, _, h = _setup(session)
    r = _photo(client, h, data)
    assert r.status_code == status, r.get_json()
    assert r.get_json()["error"]["message"]
    assert count(session, Scan) == 0


def test_scanning_needs_a_scanning_role(client, session):
    from models.enums import Role
    from tests.factories import make_user

    _setup(session)
    customer = make_user(session, Role.customer)
    session.commit()
    r = client.post("/api/scans", json=_body(), headers=bearer(customer))
    assert r.status_code == 403 and count(session, BomLine, BomLine.received > 0) == 0


def test_the_same_lot_scanned_again_is_refused_unless_a_new_delivery(client, session):
    h = _setup(session)[3]
    label = "GD1:LOT;M:STEEL-3MM;L:B7;Q:3"
    body = {k: v for k, v in _body(label).items() if k != "quantity"}
    assert client.post("/api/scans", json=body, headers=h).status_code == 201
    again = {**body, "client_id": str(uuid.uuid4())}
    r = client.post("/api/scans", json=again, headers=h)
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "lot_already_received" and error["message"].startswith("该批次已入库")
    assert count(session, Scan) == 1
    r = client.post("/api/scans", json={**again, "new_delivery": True}, headers=h)
    assert r.status_code == 201 and r.get_json()["received"] == 6
