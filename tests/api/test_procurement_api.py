import io
import re
from datetime import timedelta

import pypdfium2
import pytest

from models.bom import BomLine
from models.enums import Role
from models.materials import Material
from models.suppliers import Supplier
from scanning.decode import decode
from scanning.payload import parse_payload
from tests.clocks import PINNED_DAY, pin_clock
from tests.factories import (
    add_to_order,
    bearer,
    count,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_purchase,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

TODAY = PINNED_DAY
SOON = (TODAY + timedelta(days=3)).isoformat()
_pinned_clock = pin_clock(TODAY)


def _setup(session):
    tracker = make_user(session, Role.tracker)
    order = make_procuring_order(session, liaison=tracker)
    session.commit()
    return order, bearer(tracker)


def test_materials_suppliers_bom_and_purchases_through_the_api(client, session):
    order, h = _setup(session)
    buyer = bearer(make_user(session, Role.buyer))
    session.commit()
    supplier = client.post(
        "/api/suppliers",
        json={"name": "宝钢", "contacts": [{"name": "王经理", "phone": "021-5555 6666"}]},
        headers=buyer,
    )
    assert supplier.status_code == 201, supplier.get_json()
    supplier_id = supplier.get_json()["id"]
    material = client.post(
        "/api/materials",
        json={
            "code": "Q345R-20",
            "name": "容器板",
            "spec": "20mm",
            "unit": "吨",
            "is_key": True,
            "backup_supplier_id": supplier_id,
        },
        headers=buyer,
    )
    assert material.status_code == 201, material.get_json()
    line = client.post(
        f"/api/orders/{order.id}/bom",
        json={"material_id": material.get_json()["id"], "needed": 12.5, "need_date": SOON},
        headers=h,
    )
    assert line.status_code == 201, line.get_json()
    line_id = line.get_json()["id"]
    purchase = client.post(
        f"/api/orders/{order.id}/bom/{line_id}/purchases",
        json={
            "supplier_id": supplier_id,
            "quantity": 12.5,
            "unit_price": 5230.5,
            "promised_date": SOON,
            "status": "confirmed",
        },
        headers=h,
    )
    assert purchase.status_code == 201, purchase.get_json()
    assert purchase.get_json()["unit_price"] == "5230.50"
    later = (TODAY + timedelta(days=9)).isoformat()
    delayed = client.post(
        f"/api/purchases/{purchase.get_json()['id']}/status",
        json={"status": "delayed", "promised_date": later, "reason": "轧机检修"},
        headers=h,
    )
    assert delayed.status_code == 200 and delayed.get_json()["status_name"] == "延期"
    history = client.get(
        f"/api/purchases/{purchase.get_json()['id']}/promised-dates", headers=h
    ).get_json()["items"]
    assert [x["new_date"] for x in history] == [SOON, later]
    bom = client.get(f"/api/orders/{order.id}/bom", headers=h).get_json()["items"]
    assert bom[0]["needed"] == 12.5 and bom[0]["purchases"][0]["status"] == "delayed"
    shortages = client.get(f"/api/orders/{order.id}/shortages", headers=h).get_json()
    assert shortages["total"] == 1 and shortages["key_total"] == 1
    assert shortages["items"][0]["backup_supplier_name"] == "宝钢"
    assert shortages["items"][0]["short"] == 12.5


def test_shortages_overall_show_only_visible_orders(client, session):
    order, _ = _setup(session)
    make_bom_line(session, order, days=2)
    other = make_procuring_order(session)
    make_bom_line(session, other, days=2)
    buyer = make_user(session, Role.buyer)
    add_to_order(session, order, buyer, Role.buyer)
    manager = make_user(session, Role.manager)
    session.commit()
    h = bearer(buyer)
    assert client.get("/api/shortages", headers=h).get_json()["total"] == 1
    assert client.get("/api/shortages", headers=bearer(manager)).get_json()["total"] == 2
    assert client.get(f"/api/orders/{other.id}/shortages", headers=h).status_code == 403


def _upload(client, order_id, headers, data, **form):
    return client.post(
        f"/api/orders/{order_id}/bom/import",
        headers=headers,
        data={"file": (io.BytesIO(data), "bom.csv"), **form},
        content_type="multipart/form-data",
    )


def test_bom_import_dry_run_stores_nothing_and_errors_list_rows(client, session):
    order, h = _setup(session)
    template = client.get(f"/api/orders/{order.id}/bom/template.csv", headers=h)
    header = template.data.decode("utf-8-sig")
    assert header.startswith("物料编码,物料名称")
    good = (header + f"N-1,新物料,,,是,3,{SOON},,\r\n").encode()
    r = _upload(client, order.id, h, good, dry_run="true")
    assert r.status_code == 200 and r.get_json()["dry_run"] is True
    assert r.get_json()["created_materials"] == ["N-1"]
    assert count(session, BomLine) == 0 and count(session, Material) == 0
    bad = (header + f"N-1,新物料,,,是,0,{SOON},,\r\n").encode()
    r = _upload(client, order.id, h, bad)
    assert r.status_code == 422
    assert r.get_json()["error"]["details"]["errors"] == [
        {"row": 2, "column": "需求数量", "reason": "需求数量必须大于 0"}
    ]
    assert _upload(client, order.id, h, good).status_code == 200
    assert count(session, BomLine) == 1


@pytest.mark.parametrize(("quantity", "status"), [("1000000000", 200), ("1000000001", 422)])
def test_a_label_quantity_up_to_the_documented_maximum_is_accepted(
    client, session, quantity, status
):
    # The document allows the number 1e9, which a query string carries as "1000000000": it
    # was refused as text of ten digits (schemathesis found it).
    order, h = _setup(session)
    material = make_material(session, "不锈钢板-304", name="不锈钢板", unit="kg")
    session.commit()
    url = f"/api/materials/{material.id}/label.png?quantity={quantity}&order_id={order.id}"
    r = client.get(url, headers=h)
    assert r.status_code == status, r.get_json()


def test_a_label_png_decodes_back_to_its_payload(client, session):
    order, h = _setup(session)
    material = make_material(session, "不锈钢板-304", name="不锈钢板", unit="kg")
    session.commit()
    r = client.get(
        f"/api/materials/{material.id}/label.png?symbology=code128&lot=A240501&quantity=12.5"
        f"&order_id={order.id}",
        headers=h,
    )
    assert r.status_code == 200, r.get_json()
    [code] = decode(r.data)
    label = parse_payload(code.text)
    assert (label.material_code, label.lot, str(label.quantity), label.order_code) == (
        "不锈钢板-304",
        "A240501",
        "12.5",
        order.code,
    )
    r = client.get(f"/api/orders/{order.id}/label.png", headers=h)
    assert parse_payload(decode(r.data)[0].text).order_code == order.code


def test_a_bom_label_sheet_holds_every_line_and_each_label_scans(client, session):
    order, h = _setup(session)
    codes = [f"M-{i}" for i in range(5)]
    for code in codes:
        make_bom_line(session, order, make_material(session, code))
    session.commit()
    r = client.get(f"/api/orders/{order.id}/bom/labels.pdf?rows=4&columns=2", headers=h)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    document = pypdfium2.PdfDocument(r.data)
    try:
        pages = [page.render(scale=300 / 72).to_pil().convert("L") for page in document]
    finally:
        document.close()
    found = []
    for page in pages:
        out = io.BytesIO()
        page.save(out, "PNG")
        found += [parse_payload(c.text) for c in decode(out.getvalue(), expect=8)]
    assert sorted(label.material_code for label in found) == codes
    assert {label.order_code for label in found} == {order.code}


def test_an_empty_bom_has_no_label_sheet(client, session):
    order, h = _setup(session)
    r = client.get(f"/api/orders/{order.id}/bom/labels.pdf", headers=h)
    assert r.status_code == 404 and r.get_json()["error"]["message"] == "没有要打印的标签"


def test_binding_is_refused_for_people_without_a_role_in_procurement(client, session):
    material = make_material(session)
    sales = make_user(session, Role.sales)
    session.commit()
    r = client.post(
        "/api/materials/aliases",
        json={"code": "SUP-1", "material_id": material.id},
        headers=bearer(sales),
    )
    assert r.status_code == 403


def test_the_openapi_document_lists_the_procurement_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/scans",
        "/api/scans/batch",
        "/api/scans/photo",
        "/api/shortages",
        "/api/materials/aliases",
        "/api/orders/{order_id}/bom/import",
    ):
        assert path in paths


def test_a_warehouse_member_reads_the_bom_but_cannot_change_it(client, session):
    order, _ = _setup(session)
    worker = make_user(session, Role.warehouse)
    add_to_order(session, order, worker, Role.warehouse)
    material = make_material(session)
    session.commit()
    h = bearer(worker)
    assert client.get(f"/api/orders/{order.id}/bom", headers=h).status_code == 200
    r = client.post(
        f"/api/orders/{order.id}/bom",
        json={"material_id": material.id, "needed": 1, "need_date": SOON},
        headers=h,
    )
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("price", "word"),
    [
        (12.345, "小数位数过多"),
        ("12.345", "金额应为数字（元），最多两位小数"),
        ("12,50", "金额应为数字（元），最多两位小数"),
        ("-1", "金额应为数字（元），最多两位小数"),
        (True, "金额应为数字（元），最多两位小数"),
        ("605753740162.74", "金额应为数字（元），最多两位小数"),
    ],
)
def test_a_unit_price_is_yuan_with_two_places(client, session, price, word):
    order, h = _setup(session)
    line = make_bom_line(session, order, needed=5)
    purchase = make_purchase(session, order, line, unit_price="10.50")
    session.commit()
    r = client.patch(f"/api/purchases/{purchase.id}", json={"unit_price": price}, headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["message"] == f"unit_price：{word}"
    r = client.patch(f"/api/purchases/{purchase.id}", json={"unit_price": "2680.5"}, headers=h)
    assert r.status_code == 200 and r.get_json()["unit_price"] == "2680.50"


def test_money_fields_are_documented_as_text_with_a_pattern_or_a_number_of_two_places(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    text, number = schemas["PurchaseLineUpdate"]["properties"]["unit_price"]["anyOf"][0]["anyOf"]
    assert text == {"type": "string", "pattern": r"^[0-9]{1,11}(\.[0-9]{1,2})?$"}
    assert number["type"] == "number" and number["multipleOf"] == 0.01
    assert (number["minimum"], number["maximum"]) == (0, 1e11)
    out = schemas["PurchaseLinePublic"]["properties"]["unit_price"]["anyOf"][0]
    assert out["type"] == "string" and "pattern" in out  # money goes out as text only


def test_marking_a_purchase_received_with_nothing_received_is_refused(client, session):
    order, h = _setup(session)
    line = make_bom_line(session, order, needed=5)
    purchase = make_purchase(session, order, line)
    session.commit()
    r = client.post(f"/api/purchases/{purchase.id}/status", json={"status": "received"}, headers=h)
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "nothing_received" and "尚未收到任何货物" in error["message"]
    r = client.post(
        f"/api/purchases/{purchase.id}/status",
        json={"status": "received", "received_quantity": 0},
        headers=h,
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/purchases/{purchase.id}/status",
        json={"status": "received", "received_quantity": 5},
        headers=h,
    )
    assert r.status_code == 200 and r.get_json()["received"] == 5


def test_a_fraction_of_a_piece_is_refused_in_the_envelope(client, session):
    order, h = _setup(session)
    buyer = bearer(make_user(session, Role.buyer))
    session.commit()
    r = client.post(
        "/api/materials", json={"code": "PUMP-9", "name": "水泵", "unit": "台"}, headers=buyer
    )
    assert r.status_code == 201 and r.get_json()["quantity_places"] == 0
    pump = r.get_json()["id"]
    r = client.post(
        f"/api/orders/{order.id}/bom",
        json={"material_id": pump, "needed": 1.5, "need_date": "2027-03-01"},
        headers=h,
    )
    assert r.status_code == 409
    assert r.get_json()["error"] == {
        "code": "quantity_places",
        "message": "数量单位为台，须为整数",
        "details": {"field": "needed", "unit": "台", "places": 0},
    }
    r = client.patch(f"/api/materials/{pump}", json={"quantity_places": 4}, headers=buyer)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"


def test_positive_money_is_documented_without_the_zeros_that_are_refused(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    text, number = schemas["CostEntryIn"]["properties"]["amount"]["anyOf"]
    assert text["pattern"] == r"^(?!0+(\.0+)?$)[0-9]{1,11}(\.[0-9]{1,2})?$"
    assert number["exclusiveMinimum"] == 0 and "minimum" not in number


@pytest.mark.parametrize(
    "body",
    [
        {"name": "\x1e"},
        {"name": " \u3000 "},
        {"name": "宝钢", "contacts": [{"name": "\t"}]},
    ],
)
def test_a_supplier_or_contact_name_of_blanks_is_refused_at_the_door_as_the_document_says(
    client, session, body
):
    """The document's pattern says what the service refuses (the long schemathesis run sent
    "\\x1e", valid by the document, and got the service's 422)."""
    buyer = bearer(make_user(session, Role.buyer))
    session.commit()
    r = client.post("/api/suppliers", json=body, headers=buyer)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"
    assert count(session, Supplier) == 0
    pattern = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert re.search(pattern["SupplierCreate"]["properties"]["name"]["pattern"], "\x1e") is None
    assert re.search(pattern["ContactIn"]["properties"]["name"]["pattern"], "\t") is None


def test_a_supplier_name_and_its_contacts_are_stored_without_blanks_around_them(client, session):
    buyer = bearer(make_user(session, Role.buyer))
    session.commit()
    body = {"name": " 宝钢 ", "contacts": [{"name": " 王经理\u3000"}]}
    r = client.post("/api/suppliers", json=body, headers=buyer)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["name"] == "宝钢"
    assert r.get_json()["contacts"][0]["name"] == "王经理"
