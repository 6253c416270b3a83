import io
import re
from datetime import timedelta
from urllib.parse import urlparse

import jsonschema_rs
import pytest

from app.services.core import configure, settings
from app.services.field import create_acceptance_link
from app.services.orders import checklist, list_stages, set_checklist_item
from models import clock
from models.acceptance import Acceptance, OrderDocument
from models.enums import Role, StageKind
from models.people import User
from tests.factories import (
    SECRET,
    act,
    add_to_order,
    bearer,
    count,
    make_delivered_order,
    make_user,
    tampered,
)
from tests.images import jpeg, png
from tests.pdfs import pdf

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


class Ready:
    """A delivered order, installed, with a site engineer; documents go up through the API."""

    def __init__(self, client, session):
        self.client, self.session = client, session
        self.order = make_delivered_order(session)
        self.tracker = session.get(User, self.order.liaison_id)
        self.engineer = make_user(session, Role.site_engineer)
        add_to_order(session, self.order, self.engineer, Role.site_engineer)
        stage = next(
            s
            for s in list_stages(session=session, order_id=self.order.id)
            if s.kind == StageKind.acceptance
        )
        item = next(i for i in checklist(session=session, stage_id=stage.id) if "安装" in i.title)
        set_checklist_item(
            session=session,
            actor=act(session, self.engineer),
            order_id=self.order.id,
            item_id=item.id,
            done=True,
        )
        session.commit()
        self.h, self.ht = bearer(self.engineer), bearer(self.tracker)

    def upload(self, data, kind="completion_report", name="report.pdf"):
        return self.client.post(
            f"/api/orders/{self.order.id}/documents",
            headers=self.h,
            data={"file": (io.BytesIO(data), name), "kind": kind},
            content_type="multipart/form-data",
        )

    def documents(self):
        self.upload(pdf("report"))
        self.upload(pdf("manual"), kind="user_manual", name="manual.pdf")
        return self

    def photo(self):
        r = self.client.post(
            f"/api/orders/{self.order.id}/photos",
            headers=self.h,
            data={"file": (io.BytesIO(jpeg(seed=5)), "form.jpg")},
            content_type="multipart/form-data",
        )
        return r.get_json()["id"]


@pytest.fixture()
def ready(client, session):
    return Ready(client, session)


def test_a_pdf_is_uploaded_and_served_only_to_those_who_see_the_order(ready, client, session):
    r = ready.upload(pdf(), name="../../竣工报告.pdf")
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()
    assert doc["kind_name"] == "竣工报告" and doc["filename"] == "竣工报告.pdf"
    got = client.get(doc["url"], headers=ready.h)
    assert got.status_code == 200 and got.mimetype == "application/pdf" and got.data == pdf()
    stranger = make_user(session, Role.site_engineer)
    session.commit()
    assert client.get(doc["url"], headers=bearer(stranger)).status_code == 403
    listed = client.get(f"/api/orders/{ready.order.id}/documents", headers=ready.h).get_json()
    assert [d["id"] for d in listed["items"]] == [doc["id"]]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (png(), 415, "document_not_pdf"),
        (b"", 422, "document_empty"),
        (pdf()[:700], 422, "document_truncated"),
    ],
)
def test_bad_documents_are_refused_clearly_and_nothing_is_stored(ready, data, status, code):
    r = ready.upload(data, name="report.pdf")
    assert r.status_code == status and r.get_json()["error"]["code"] == code
    assert count(ready.session, OrderDocument) == 0


def test_an_oversized_pdf_is_413_naming_the_limit(ready):
    saved = settings().document_max_mb
    configure(document_max_mb=1)
    try:
        r = ready.upload(pdf() + b"\n" * (1024 * 1024))
    finally:
        configure(document_max_mb=saved)
    assert r.status_code == 413 and "MB" in r.get_json()["error"]["message"]
    assert count(ready.session, OrderDocument) == 0


def test_a_document_of_an_unknown_kind_or_without_a_file_is_422(ready, client):
    assert ready.upload(pdf(), kind="invoice").status_code == 422
    r = client.post(
        f"/api/orders/{ready.order.id}/documents",
        headers=ready.h,
        data={"kind": "user_manual"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and count(ready.session, OrderDocument) == 0


def test_recording_acceptance_with_a_signed_photo_completes_the_order(ready, client):
    ready.documents()
    url = f"/api/orders/{ready.order.id}/acceptance"
    assert client.get(url, headers=ready.ht).status_code == 404
    body = {"form_photo_ids": [ready.photo()], "satisfaction": 5, "signer_name": "刘经理"}
    r = client.post(url, json=body, headers=ready.ht)
    assert r.status_code == 201, r.get_json()
    acceptance = r.get_json()
    assert acceptance["method"] == "photo" and acceptance["on_time"]
    assert len(acceptance["form_photos"]) == 1
    order = client.get(f"/api/orders/{ready.order.id}", headers=ready.ht).get_json()
    assert order["status"] == "completed" and order["progress"] == 100
    assert order["actual_delivery_date"] == acceptance["accepted_on"]
    assert client.get(url, headers=ready.ht).get_json()["satisfaction"] == 5


def test_acceptance_with_an_open_high_risk_issue_is_409_naming_it(ready, client):
    ready.documents()
    issue = client.post(
        f"/api/orders/{ready.order.id}/issues",
        json={"description": "配电柜接地未做", "risk": "high"},
        headers=ready.h,
    ).get_json()
    r = client.post(
        f"/api/orders/{ready.order.id}/acceptance",
        json={"form_photo_ids": [ready.photo()]},
        headers=ready.ht,
    )
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "open_high_risk_issues" and f"#{issue['id']}" in error["message"]
    assert count(ready.session, Acceptance) == 0


@pytest.mark.parametrize(
    "body,status,field",
    [
        ({}, 422, "form"),
        ({"form_photo_ids": [424242]}, 404, "photo_ids"),
        ({"form_document_id": 424242}, 404, "form_document_id"),
        ({"form_photo_ids": [1], "satisfaction": 9}, 422, None),
    ],
)
def test_bad_acceptance_requests_are_refused_and_nothing_changes(
    ready, client, body, status, field
):
    """Invalid input is 422; a photo or document that does not exist is 404 naming it."""
    ready.documents()
    r = client.post(f"/api/orders/{ready.order.id}/acceptance", json=body, headers=ready.ht)
    assert r.status_code == status, r.get_json()
    if status == 404:
        error = r.get_json()["error"]
        assert error["details"]["field"] == field and "不存在" in error["message"]
    assert count(ready.session, Acceptance) == 0
    order = client.get(f"/api/orders/{ready.order.id}", headers=ready.ht).get_json()
    assert order["status"] == "in_progress"


@pytest.mark.parametrize(
    "body,valid",
    [
        ({}, False),
        ({"form_photo_ids": []}, False),
        ({"form_photo_ids": [1], "form_document_id": 2}, False),
        ({"form_document_id": None}, False),
        ({"form_photo_ids": [1]}, True),
        ({"form_photo_ids": [1], "form_document_id": None}, True),
        ({"form_document_id": 2}, True),
        ({"form_photo_ids": [], "form_document_id": 2}, True),
    ],
)
def test_the_document_says_the_form_is_photos_or_a_pdf_exactly_one_as_the_service_does(
    app, body, valid
):
    """The long schemathesis run sent {} (valid by the document then) and met the service's
    422: the document now says what the service refuses."""
    doc = app.test_client().get("/api/openapi.json").get_json()
    schema = {**doc["components"]["schemas"]["AcceptanceIn"], "components": doc["components"]}
    assert jsonschema_rs.Draft202012Validator(schema).is_valid(body) is valid


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _link(client, ready) -> str:
    r = client.post(f"/api/orders/{ready.order.id}/acceptance/links", headers=ready.ht)
    assert r.status_code == 201, r.get_json()
    return urlparse(r.get_json()["url"]).path


def test_the_customer_confirms_once_through_the_link_page(ready, client):
    ready.documents()
    path = _link(client, ready)
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and ready.order.code in html and "确认验收" in html
    assert page.headers["Cache-Control"] == "no-store"
    doc_link = re.search(r'href="(/accept/[^"]+/documents/\d+)"', html).group(1)
    assert client.get(doc_link).mimetype == "application/pdf"
    form = {
        "csrf_token": _csrf(html),
        "signer_name": "刘经理",
        "satisfaction": "4",
        "comment": "好",
    }
    done = client.post(path, data=form)
    assert done.status_code == 200 and "验收已确认" in done.get_data(as_text=True)
    acceptance = client.get(f"/api/orders/{ready.order.id}/acceptance", headers=ready.ht)
    assert acceptance.get_json()["method"] == "link"
    assert acceptance.get_json()["signer_name"] == "刘经理"
    again = client.get(path)
    assert again.status_code == 409 and "已使用" in again.get_data(as_text=True)
    assert client.post(path, data=form).status_code == 409
    assert client.get(doc_link).status_code == 409


def test_a_bad_score_on_the_link_page_is_shown_and_nothing_is_stored(ready, client):
    ready.documents()
    path = _link(client, ready)
    token = _csrf(client.get(path).get_data(as_text=True))
    r = client.post(path, data={"csrf_token": token, "signer_name": "刘", "satisfaction": "9"})
    assert r.status_code == 422 and "1-5 分" in r.get_data(as_text=True)
    r = client.post(path, data={"csrf_token": token, "signer_name": " ", "satisfaction": "3"})
    assert r.status_code == 422
    assert client.post(path, data={"signer_name": "刘", "satisfaction": "3"}).status_code == 400
    assert count(ready.session, Acceptance) == 0


def test_expired_and_forged_links_show_a_clear_page(ready, client, session):
    ready.documents()
    _, token = create_acceptance_link(
        session=session,
        actor=act(session, ready.tracker),
        order_id=ready.order.id,
        secret=SECRET,
        now=clock.now() - timedelta(days=8),
    )
    session.commit()
    expired = client.get(f"/accept/{token}")
    assert expired.status_code == 410 and "已过期" in expired.get_data(as_text=True)
    forged = client.get(f"/accept/{tampered(token)}")
    assert forged.status_code == 404 and "链接无效" in forged.get_data(as_text=True)


def test_a_link_page_says_when_acceptance_is_blocked(ready, client):
    ready.documents()
    path = _link(client, ready)
    client.post(
        f"/api/orders/{ready.order.id}/issues",
        json={"description": "护栏缺失", "risk": "high"},
        headers=ready.h,
    )
    html = client.get(path).get_data(as_text=True)
    assert "暂时无法确认验收" in html and "护栏缺失" in html and "<form" not in html


def test_only_trackers_create_links(ready, client):
    ready.documents()
    r = client.post(f"/api/orders/{ready.order.id}/acceptance/links", headers=ready.h)
    assert r.status_code == 403
