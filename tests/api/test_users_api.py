"""Changing a user through PATCH /api/users/<id>: what may be cleared with null and what may
only be left out (schemathesis once sent {"roles": null}: a 500)."""

import pytest

from models.enums import Role
from tests.factories import bearer, make_user


@pytest.fixture()
def admin(session):
    user = make_user(session, Role.admin)
    session.commit()
    return user


@pytest.mark.parametrize("field", ["roles", "is_active", "display_name", "password"])
def test_null_for_a_field_that_cannot_be_cleared_is_a_clear_422(client, session, admin, field):
    wang = make_user(session, Role.tracker, mobile="13800000001")
    session.commit()
    r = client.patch(f"/api/users/{wang.id}", json={field: None}, headers=bearer(admin))
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == f"{field}：不能为 null（不修改请省略该字段）"
    shown = client.get(f"/api/users/{wang.id}", headers=bearer(admin)).get_json()
    assert shown["roles"] == ["tracker"] and shown["is_active"] is True


def test_null_clears_the_mobile_email_and_department(client, session, admin):
    wang = make_user(session, Role.tracker, mobile="13800000001", email="wang@example.com")
    session.commit()
    body = {"mobile": None, "email": None, "department": None}
    r = client.patch(f"/api/users/{wang.id}", json=body, headers=bearer(admin))
    assert r.status_code == 200, r.get_json()
    shown = r.get_json()
    assert shown["mobile"] is None and shown["email"] is None and shown["department"] is None


def test_the_document_shows_which_fields_null_clears(client):
    spec = client.get("/api/openapi.json").get_json()
    fields = spec["components"]["schemas"]["UserUpdate"]["properties"]
    nullable = {
        name
        for name, node in fields.items()
        if {"type": "null"} in node.get("anyOf", []) or node.get("type") == "null"
    }
    assert nullable == {"mobile", "email", "department"}
    assert all("default" not in fields[name] for name in set(fields) - nullable)


def test_a_long_mobile_number_is_text_not_an_integer_out_of_range(client, session, admin):
    # The door bounds integers (and ids sent as strings), not text of digits: a 19-digit
    # mobile the document allows was refused as "数值超出范围：mobile".
    wang = make_user(session, Role.tracker)
    session.commit()
    body = {"mobile": "+1000000000000000000"}
    r = client.patch(f"/api/users/{wang.id}", json=body, headers=bearer(admin))
    assert r.status_code == 200, r.get_json()
    r = client.post("/api/orders", json={"liaison_id": "2147483648"}, headers=bearer(admin))
    assert r.get_json()["error"]["code"] == "number_out_of_range"
