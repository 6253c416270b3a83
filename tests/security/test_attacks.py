"""Attacks from docs/SECURITY.md that had no test elsewhere: CSRF on every web form, path
traversal in uploaded file names, oversized bodies, and revoking another user's tokens."""

from __future__ import annotations

import io
from pathlib import Path

from sqlmodel import select

from app.services.core import settings
from models.acceptance import OrderDocument
from models.changes import ChangeLog
from models.enums import Role
from models.orders import Order
from models.photos import Photo
from tests.api.test_acceptance_api import Ready
from tests.factories import PASSWORD, bearer, count, make_order, make_user
from tests.images import jpeg
from tests.pdfs import pdf
from tests.web.test_pages import _login

ARGS = {"token": "x" * 40, "kind": "review", "verb": "start"}


def test_every_web_form_refuses_a_post_without_the_csrf_token(app, client, session):
    admin = make_user(session, Role.admin, Role.tracker, username="boss")
    order = make_order(session, liaison=admin)
    session.commit()
    assert _login(client, "boss").status_code == 302
    changes = count(session, ChangeLog)
    adapter = app.url_map.bind("localhost")
    forms = [
        r for r in app.url_map.iter_rules() if r.endpoint.startswith("web.") and "POST" in r.methods
    ]
    assert len(forms) >= 20
    for rule in forms:
        values = {
            k: order.id if k == "order_id" else 1 if k.endswith("_id") else ARGS.get(k, "x")
            for k in rule.arguments
        }
        url = adapter.build(rule.endpoint, values, method="POST")
        r = client.post(url, data={"username": "boss", "password": PASSWORD, "note": "x"})
        assert r.status_code == 400, (rule.endpoint, r.status_code)
    assert count(session, ChangeLog) == changes
    assert client.get("/orders").status_code == 200  # the logout form was refused too


def test_a_cross_site_api_write_with_the_session_cookie_is_refused(client, session):
    tracker = make_user(session, Role.tracker, username="li")
    order = make_order(session, liaison=tracker, customer="原客户")
    session.commit()
    _login(client, "li")
    r = client.patch(f"/api/orders/{order.id}", json={"customer": "被篡改"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "csrf_failed"
    session.expire_all()
    assert session.get(Order, order.id).customer == "原客户"


def test_path_traversal_in_a_photo_file_name_stays_inside_the_upload_directory(client, session):
    upload_dir = Path(settings().upload_dir)
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    session.commit()
    upload_dir.mkdir(parents=True, exist_ok=True)  # a fresh checkout has none yet
    before = set(upload_dir.parent.iterdir())
    r = client.post(
        f"/api/orders/{order.id}/photos",
        headers=bearer(tracker),
        data={"file": (io.BytesIO(jpeg(seed=11)), "../../../../evil.jpg")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201
    assert set(upload_dir.parent.iterdir()) == before  # nothing written beside the uploads
    photo = session.get(Photo, r.get_json()["id"])
    stored = [p for p in upload_dir.rglob("*") if p.is_file() and photo.sha256 in p.name]
    assert stored and all(upload_dir in p.parents for p in stored)


def test_path_traversal_in_a_document_file_name_keeps_only_the_base_name(client, session):
    upload_dir = Path(settings().upload_dir)
    ready = Ready(client, session)
    upload_dir.mkdir(parents=True, exist_ok=True)  # a fresh checkout has none yet
    before = set(upload_dir.parent.iterdir())
    for name in ("../../../etc/passwd.pdf", "..\\..\\windows\\evil.pdf"):
        r = ready.upload(pdf(name), name=name)
        assert r.status_code == 201, r.get_json()
    names = sorted(session.exec(select(OrderDocument.filename)).all())
    assert "passwd.pdf" in names and not any("/" in n or "\\" in n for n in names)
    assert set(upload_dir.parent.iterdir()) == before


def test_an_oversized_body_is_413_in_the_envelope_and_nothing_is_stored(
    app, client, session, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    tracker = make_user(session, Role.tracker, Role.admin)
    session.commit()
    orders = count(session, Order)
    r = client.post(
        "/api/orders",
        headers=bearer(tracker),
        json={"code": "GD-BIG", "customer": "客" * 5000, "project": "x"},
    )
    assert r.status_code == 413
    assert r.get_json()["error"] == {"code": "too_large", "message": "上传内容过大"}
    assert count(session, Order) == orders
    photo = client.post(
        f"/api/orders/{1}/photos",
        headers=bearer(tracker),
        data={"file": (io.BytesIO(b"\xff" * 10_000), "big.jpg")},
        content_type="multipart/form-data",
    )
    assert photo.status_code == 413 and count(session, Photo) == 0


def test_an_admin_revokes_a_users_tokens_and_sessions(client, session):
    admin = make_user(session, Role.admin)
    worker = make_user(session, Role.tracker, username="lost-phone")
    session.commit()
    stolen = bearer(worker)
    web = client.application.test_client()
    _login(web, "lost-phone")
    assert web.get("/orders").status_code == 200
    r = client.post(f"/api/users/{worker.id}/revoke-tokens", headers=bearer(admin))
    assert r.status_code == 204
    assert client.get("/api/me", headers=stolen).status_code == 401
    assert web.get("/orders").status_code == 302  # the web session ended too
    fresh = client.post("/api/auth/token", json={"username": "lost-phone", "password": PASSWORD})
    assert fresh.status_code == 200  # the password still works: a new login is a new token


def test_only_admins_revoke_other_peoples_tokens(client, session):
    one = make_user(session, Role.tracker)
    other = make_user(session, Role.tracker)
    session.commit()
    r = client.post(f"/api/users/{other.id}/revoke-tokens", headers=bearer(one))
    assert r.status_code == 403 and r.get_json()["error"]["message"]
    assert client.get("/api/me", headers=bearer(other)).status_code == 200
    own = bearer(one)
    assert client.post(f"/api/users/{one.id}/revoke-tokens", headers=own).status_code == 204
    assert client.get("/api/me", headers=own).status_code == 401
    missing = client.post("/api/users/999999/revoke-tokens", headers=bearer(other))
    assert missing.status_code == 404
