import io

from openpyxl import load_workbook

from models.enums import Role
from models.orders import Order
from tests.factories import bearer, count, make_user

CSV = "合同号,客户,交货日期,跟单员\nHT-A,甲,2027-03-01,zhang\nHT-B,乙,2027-03-02,\n"


def _upload(client, h, data: bytes, name="orders.csv", **form):
    return client.post(
        "/api/orders/import",
        headers=h,
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


def _manager(session):
    make_user(session, Role.tracker, username="zhang")
    h = bearer(make_user(session, Role.manager))
    session.commit()
    return h


def test_upload_creates_then_updates_and_dry_run_writes_nothing(client, session):
    h = _manager(session)
    r = _upload(client, h, CSV.encode(), dry_run="true")
    assert r.status_code == 200 and r.get_json()["dry_run"] is True
    assert count(session, Order) == 0
    r = _upload(client, h, CSV.encode())
    assert r.get_json()["created"] == 2
    r = _upload(client, h, CSV.encode())
    body = r.get_json()
    assert (body["created"], body["updated"]) == (0, 2)
    assert [row["action"] for row in body["rows"]] == ["updated", "updated"]


def test_a_bad_row_refuses_the_file_with_row_errors(client, session):
    h = _manager(session)
    r = _upload(client, h, (CSV + "HT-A,重复,2027-03-03,\n").encode())
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "order_import_invalid"
    assert error["details"]["errors"][0] == {
        "row": 4,
        "column": "合同号",
        "reason": "合同号重复（与第 2 行相同）",
    }
    assert count(session, Order) == 0


def test_a_bad_file_type_is_refused(client, session):
    h = _manager(session)
    r = _upload(client, h, b"\x00\x01binary", name="x.pdf")
    assert r.status_code == 415
    assert count(session, Order) == 0


def test_the_report_downloads_as_xlsx(client, session):
    h = _manager(session)
    _upload(client, h, CSV.encode())
    r = client.get("/api/orders/export.xlsx", headers=h)
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(r.data)).active
    assert sheet.max_row == 3 and sheet["B2"].value in ("HT-A", "HT-B")
    assert client.get("/api/orders/import/template.csv", headers=h).data.startswith(
        "\ufeff合同号".encode()
    )


def test_the_report_takes_names_with_control_characters(client, session):
    # The API accepts any text without NUL as a customer; an order whose customer held a
    # vertical tab made the report a 500 (openpyxl refuses such characters in a cell).
    h = _manager(session)
    body = {
        "customer": "华东\x0b化工\x1f",
        "contract_no": "HT-\x07C",
        "delivery_date": "2027-03-01",
    }
    assert client.post("/api/orders", json=body, headers=h).status_code == 201
    r = client.get("/api/orders/export.xlsx", headers=h)
    assert r.status_code == 200, r.get_json()
    sheet = load_workbook(io.BytesIO(r.data)).active
    assert (sheet["B2"].value, sheet["C2"].value) == ("HT-C", "华东化工")
