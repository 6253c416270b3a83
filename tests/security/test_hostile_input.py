"""Hostile input at the door: JSON nested too deep (item 5) and integers past their column
(item 6) are refused with the JSON envelope on every route, never a 500 or a traceback."""

from __future__ import annotations

import json
import logging

import pytest

from models.enums import Role
from tests.factories import bearer, make_user

DEEP = b"[" * 1000 + b"]" * 1000
PAST_INT32 = 2**31
HUGE_IDS = [str(PAST_INT32), str(2**63), "9" * 40, "9" * 5000]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def admin_headers(session):
    admin = make_user(session, Role.admin, Role.tracker, username="door-admin")
    session.commit()
    return bearer(admin)


def _no_traceback(caplog) -> bool:
    return not any(r.exc_info or r.levelno >= logging.ERROR for r in caplog.records)


def _json_routes(app) -> list[tuple[str, str]]:
    """(method, url) of every API route that takes a body, ids filled with 1."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "x")
        routes += [(m, url) for m in sorted(rule.methods & {"POST", "PUT", "PATCH"})]
    return routes


def test_json_nested_a_thousand_deep_is_422_on_every_json_endpoint(
    app, client, admin_headers, caplog
):
    routes = _json_routes(app)
    assert len(routes) > 40
    for method, url in [*routes, ("POST", "/api/auth/token")]:
        r = client.open(
            url, method=method, data=DEEP, content_type="application/json", headers=admin_headers
        )
        assert r.status_code == 422, (method, url, r.status_code)
        assert r.get_json()["error"]["code"] == "json_too_deep", (method, url)
    assert _no_traceback(caplog)


def test_json_nested_deep_in_a_form_field_or_the_web_login_is_refused(
    client, admin_headers, caplog
):
    r = client.post("/api/auth/token", data=DEEP, content_type="application/json")
    assert r.status_code == 422 and "嵌套" in r.get_json()["error"]["message"]
    r = client.post("/login", data=DEEP, content_type="application/json")
    assert r.status_code in (400, 422)  # the CSRF check may refuse it first
    r = client.post("/api/orders/1/photos", data={"note": DEEP.decode()}, headers=admin_headers)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "json_too_deep"
    assert _no_traceback(caplog)


def test_json_within_the_depth_limit_still_works(client, session):
    make_user(session, Role.tracker, username="li")
    session.commit()
    body = {"username": "li", "password": "x" * 8, "extra": [[[[{"a": [1]}]]]]}
    r = client.post("/api/auth/token", json=body)
    assert r.status_code in (401, 422)
    assert r.get_json()["error"]["code"] != "json_too_deep"


def _int_routes(app) -> list[tuple[str, str, list[str]]]:
    routes = []
    for rule in app.url_map.iter_rules():
        ints = [a for a, c in rule._converters.items() if type(c).__name__ == "IdConverter"]
        if ints:
            routes += [(m, rule.rule, ints) for m in sorted(rule.methods & set(METHODS))]
    return routes


@pytest.mark.parametrize("huge", HUGE_IDS, ids=["2^31", "2^63", "40 digits", "5000 digits"])
def test_a_path_id_past_the_column_range_is_404_on_every_route(app, client, admin_headers, huge):
    routes = _int_routes(app)
    assert len(routes) > 78
    for method, rule, ints in routes:
        url = rule
        for arg in ints:
            url = url.replace(f"<int:{arg}>", huge)
        url = url.replace("<", "").replace(">", "")  # other arguments: any text
        r = client.open(url, method=method, headers=admin_headers, json={})
        assert r.status_code == 404, (method, rule, r.status_code)
        if url.startswith("/api/"):
            assert r.get_json()["error"]["code"] == "not_found"


def test_the_largest_postgresql_integer_is_an_ordinary_missing_id(client, admin_headers):
    r = client.get(f"/api/orders/{2**31 - 1}", headers=admin_headers)
    assert r.status_code == 404


def _openapi(client) -> dict:
    return client.get("/api/openapi.json").get_json()


def _id_query_params(spec) -> list[tuple[str, str]]:
    found = []
    for path, item in spec["paths"].items():
        if "{" in path or "get" not in item:
            continue
        for param in item["get"].get("parameters", []):
            if param["in"] == "query" and (param["name"] == "id" or param["name"].endswith("_id")):
                found.append((path, param["name"]))
    return found


@pytest.mark.parametrize("huge", [PAST_INT32, -(2**31) - 1, 2**63, 10**40])
def test_an_id_query_filter_past_the_column_range_is_422(client, admin_headers, huge):
    params = _id_query_params(_openapi(client))
    assert {"order_id", "liaison_id"} <= {name for _, name in params}
    for path, name in params:
        r = client.get(path, query_string={name: str(huge)}, headers=admin_headers)
        assert r.status_code == 422, (path, name, r.status_code)
        assert r.get_json()["error"]["code"] == "number_out_of_range"


def _id_body_fields(spec) -> list[tuple[str, str, str, bool]]:
    """(method, path, field, is_list) of every id in a JSON request body."""
    schemas = spec["components"]["schemas"]
    found = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            content = (op.get("requestBody") or {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref")
            if not ref:
                continue
            props = schemas[ref.rsplit("/", 1)[1]].get("properties", {})
            for name in props:
                if name == "id" or name.endswith(("_id", "_ids")):
                    found.append((method.upper(), path, name, name.endswith("_ids")))
    return found


@pytest.mark.parametrize("huge", [PAST_INT32, 2**63, 10**40])
def test_an_id_in_a_body_past_the_column_range_is_422(client, session, admin_headers, huge):
    fields = _id_body_fields(_openapi(client))
    assert len(fields) > 10
    for method, path, name, is_list in fields:
        url = path.replace("{", "").replace("}", "")
        url = "/".join("1" if part.endswith("_id") else part for part in url.split("/"))
        body = {name: [huge] if is_list else huge}
        r = client.open(
            url,
            method=method,
            data=json.dumps(body),
            headers=admin_headers,
            content_type="application/json",
        )
        assert r.status_code == 422, (method, path, name, r.status_code)
        assert r.get_json()["error"]["code"] == "number_out_of_range"


UNNAMED_PARTS = [
    b"Content-Disposition: form-data\r\n\r\nvalue",
    b"Content-Disposition: form-data; name=\r\n\r\nvalue",
    b'Content-Disposition: form-data; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8',
]


@pytest.mark.parametrize("part", UNNAMED_PARTS)
def test_a_form_part_without_a_name_is_a_clear_422_on_every_api_route(
    app, client, admin_headers, caplog, part
):
    """werkzeug files a part without a name under the key None: the NUL check met it with
    `"\\x00" in None`, a 500 (found by the long schemathesis run on POST /api/orders/import)."""
    body = b"--XyZ\r\n" + part + b"\r\n--XyZ--\r\n"
    for method, url in _json_routes(app):
        r = client.open(
            url,
            method=method,
            data=body,
            content_type="multipart/form-data; boundary=XyZ",
            headers=admin_headers,
        )
        assert r.status_code == 422, (method, url, r.status_code)
        error = r.get_json()["error"]
        assert (error["code"], error["message"]) == (
            "unnamed_form_field",
            "表单中有未命名的字段（缺少 name）",
        ), (method, url)
    assert _no_traceback(caplog)


@pytest.mark.parametrize("path", ["/login", "/m/login", "/orders/1"])
def test_a_page_form_with_an_unnamed_part_is_refused_before_the_csrf_check(client, caplog, path):
    """Flask-WTF's CSRF check runs first on pages and called None.endswith (a 500)."""
    body = b"--XyZ\r\n" + UNNAMED_PARTS[0] + b"\r\n--XyZ--\r\n"
    r = client.post(path, data=body, content_type="multipart/form-data; boundary=XyZ")
    assert r.status_code == 422
    assert "未命名的字段" in r.get_data(as_text=True)
    assert _no_traceback(caplog)
