"""The OpenAPI document states every rule the door applies to a request's shape, so that
schema-valid data is never refused with 422 (schemathesis' positive-data acceptance) and
schema-invalid data always is: unknown fields, NUL characters, decimal places of quantities.
"""

from __future__ import annotations

import inspect
import io
import json

import jsonschema_rs
import pytest
from pydantic import BaseModel

import app.api
from app.security import ANY_JSON, NO_NUL
from models.base import BLANK, BLANKS, NOT_BLANK
from models.enums import Role
from models.orders import Order
from tests.clocks import days
from tests.factories import bearer, count, make_material, make_order, make_user

ORDER = {"customer": "华东化工", "contract_no": "HT-9", "delivery_date": days(90).isoformat()}
TEXT_RULES = ("pattern", "format", "enum", "const", "contentMediaType")


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


@pytest.fixture
def tracker(session):
    user = make_user(session, Role.tracker)
    session.commit()
    return user


def _input_schemas(spec: dict) -> dict[str, dict]:
    """Every component a request body or a parameter references, directly or not."""
    schemas, found = spec["components"]["schemas"], {}

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            name = node.get("$ref", "").rsplit("/", 1)[-1]
            if name and name not in found:
                found[name] = schemas[name]
                walk(schemas[name])
            for value in node.values():
                walk(value)

    for path_item in spec["paths"].values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                walk(operation.get("requestBody"))
                walk(operation.get("parameters"))
    return found


def _nodes(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)


def test_every_input_object_in_the_document_forbids_unknown_fields(spec):
    inputs = _input_schemas(spec)
    objects = {n: s for n, s in inputs.items() if s.get("type") == "object"}
    assert len(objects) > 50
    open_ = [n for n, s in objects.items() if s.get("additionalProperties") is not False]
    assert open_ == []


def test_every_input_string_and_key_in_the_document_excludes_nul(spec):
    inputs = list(_input_schemas(spec).values())
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                inputs += [p["schema"] for p in operation.get("parameters", [])]
    loose = [
        node
        for node in _nodes(inputs)
        if node.get("type") == "string" and not any(rule in node for rule in TEXT_RULES)
    ]
    assert loose == []
    free = [n for n in _nodes(inputs) if isinstance(n.get("additionalProperties"), dict)]
    assert free and all(
        n["propertyNames"].get("pattern") or n["propertyNames"].get("format") for n in free
    )
    # A list of anything (the offline scan queue) is any JSON without NUL, not {}.
    assert spec["components"]["schemas"][ANY_JSON]["anyOf"][0]["pattern"] == NO_NUL


def test_every_documented_model_name_is_one_model(spec):
    # Two pydantic models of one name share one component: one operation is documented with
    # the other's fields (the order import once showed the BOM import's create_materials).
    by_name: dict[str, set] = {}
    for module in vars(app.api).values():
        if inspect.ismodule(module) and module.__name__.startswith("app.api."):
            for name, obj in vars(module).items():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, BaseModel)
                    and obj.__module__ == module.__name__
                ):
                    by_name.setdefault(name, set()).add(obj)
    components = spec["components"]["schemas"]
    shared = sorted(n for n, classes in by_name.items() if len(classes) > 1 and n in components)
    assert shared == []


def test_an_unknown_field_is_refused_with_a_chinese_422(client, session, tracker):
    before = count(session, Order)
    r = client.post("/api/orders", json={**ORDER, "colour": "红"}, headers=bearer(tracker))
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "colour：不允许的字段"
    assert error["details"]["fields"] == [{"field": "colour", "type": "extra_forbidden"}]
    assert count(session, Order) == before


@pytest.mark.parametrize(
    "body",
    [
        {"customer": "华东\u0000化工"},  # a NUL in a value
        {"tech_params": {"压\u0000力": "1.6MPa"}},  # in a key
        {"tech_params": {"压力": "1.6\u0000MPa"}},  # in a nested value
    ],
)
def test_a_nul_in_any_json_string_or_key_is_refused(client, session, tracker, body):
    r = client.post("/api/orders", json={**ORDER, **body}, headers=bearer(tracker))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "nul_character"


def test_text_that_only_looks_like_a_nul_is_accepted(client, session, tracker):
    # "%00" is three characters in JSON, and an escaped backslash before "u0000" is text too:
    # the document allows both, so the door must (it once scanned the raw bytes).
    customer = "华东%00化工\\u0000"
    raw = json.dumps({**ORDER, "customer": customer})
    assert "\\\\u0000" in raw
    r = client.post(
        "/api/orders", data=raw, content_type="application/json", headers=bearer(tracker)
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["customer"] == customer


def test_a_nul_in_a_query_argument_or_a_form_field_is_refused(client, tracker):
    r = client.get("/api/orders?q=%00", headers=bearer(tracker))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "nul_character"
    r = client.post("/api/orders", data={"customer": "a\u0000"}, headers=bearer(tracker))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "nul_character"
    # A multipart form's fields too (its files are binary and may hold any byte).
    upload = {"file": (io.BytesIO(b"\x00\x01"), "orders.csv"), "dry_run": "\u0000"}
    r = client.post("/api/orders/import", data=upload, headers=bearer(tracker))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "nul_character"
    upload = {"file": (io.BytesIO(b"\x00\x01"), "orders.csv"), "dry_run": "true"}
    r = client.post("/api/orders/import", data=upload, headers=bearer(tracker))
    assert (r.get_json().get("error") or {}).get("code") != "nul_character"


@pytest.mark.parametrize(
    ("needed", "accepted"),
    [
        (12.5, True),
        (0.001, True),
        ("12.125", True),
        (1000000000, True),
        ("1000000000", True),  # the maximum as text too (a query string carries 1e9 so)
        ("1000000000.000", True),
        ("1000000000.5", False),
        ("1000000001", False),
        (1.0005, False),  # four places: the document's multipleOf 0.001 says so too
        ("1e3", False),  # the document's pattern: a plain decimal
        (" 5", False),
        ("5.", False),
        ("0", False),
        (0, False),
        (True, False),
    ],
)
def test_quantities_are_refused_exactly_where_the_document_says(client, session, needed, accepted):
    liaison = make_user(session, Role.tracker)
    order = make_order(session, liaison=liaison)
    material = make_material(session, unit="kg")  # three places (件 takes none: a 409)
    session.commit()
    body = {"material_id": material.id, "needed": needed, "need_date": days(30).isoformat()}
    r = client.post(f"/api/orders/{order.id}/bom", json=body, headers=bearer(liaison))
    assert r.status_code == (201 if accepted else 422), r.get_json()
    if not accepted:
        assert r.get_json()["error"]["code"] == "validation_error"
    schema = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    number, text = schema["BomLineCreate"]["properties"]["needed"]["anyOf"]
    assert number["multipleOf"] == 0.001 and number["maximum"] == 1e9
    assert text["pattern"].startswith("^") and text["pattern"].endswith("$")


def test_blank_text_where_text_is_required_is_refused_as_the_document_says(client, spec, tracker):
    # Such fields are stripped before their minimum length is checked: "  " is empty, and the
    # document's pattern says so (schemathesis once sent " " as valid data).
    title = spec["components"]["schemas"]["ImprovementIn"]["properties"]["title"]
    assert title["pattern"] == NOT_BLANK
    r = client.post(
        "/api/orders/1/retro/improvements",
        json={"title": "  ", "stage_kind": "production"},
        headers=bearer(tracker),
    )
    assert r.status_code == 422 and r.get_json()["error"]["message"] == "title：不能为空或过短"


def test_an_unknown_department_code_is_a_404_like_any_missing_row(client, session):
    admin = make_user(session, Role.admin)
    session.commit()
    body = {"username": "wang", "roles": ["tracker"], "department": "nope"}
    r = client.post("/api/users", json=body, headers=bearer(admin))
    assert r.status_code == 404, r.get_json()
    assert r.get_json()["error"]["message"] == "部门代码 nope 不存在"


def test_the_blank_characters_are_every_character_any_engine_calls_blank():
    # Python's str.isspace() and strip(), and ECMA-262's \s (a JSON Schema reader's) which adds
    # U+FEFF; the pattern class BLANK holds exactly these.
    python = {c for c in map(chr, range(0x110000)) if c.isspace()}
    assert set(BLANKS) == python | {"\ufeff"}
    in_class = jsonschema_rs.validator_for({"type": "string", "pattern": f"^[{BLANK}]$"})
    assert [c for c in map(chr, range(0x3100)) if in_class.is_valid(c)] == sorted(BLANKS[:-1])
    assert in_class.is_valid("\ufeff") and not in_class.is_valid("\u200b")


def _document_says(spec: dict, schema: str, field: str, value: str) -> bool:
    node = spec["components"]["schemas"][schema]["properties"][field]
    node = next((n for n in node.get("anyOf", [node]) if n.get("type") == "string"), node)
    return jsonschema_rs.validator_for(node).is_valid(value)


@pytest.mark.parametrize(
    ("username", "accepted"),
    [
        ("\x85wang\u3000", True),  # blanks around are trimmed (U+0085: not ECMA's \s)
        ("\ufeffwang", True),  # U+FEFF too (ECMA's \s, not Python's)
        ("wang\x1cli", False),  # no blank inside (U+001C: Python's, not ECMA's)
        ("wang\x85li", False),
        ("wang\ufeffli", False),
        ("\x0b\x0bÌ\x1c牠  \n", False),  # schemathesis sent this one as valid
    ],
)
def test_a_username_is_refused_exactly_where_the_document_says(
    client, spec, session, username, accepted
):
    admin = make_user(session, Role.admin)
    session.commit()
    assert _document_says(spec, "UserCreate", "username", username) is accepted
    body = {"username": username, "roles": ["tracker"]}
    r = client.post("/api/users", json=body, headers=bearer(admin))
    assert r.status_code == (201 if accepted else 422), r.get_json()
    if accepted:
        assert r.get_json()["username"] == "wang"


@pytest.mark.parametrize(
    ("title", "accepted"),
    [("\x85", False), ("\ufeff", False), ("\x1c\u3000", False), ("\ufeff改进", True)],
)
def test_blank_text_is_blank_to_the_document_and_the_door_alike(
    client, spec, tracker, title, accepted
):
    assert _document_says(spec, "ImprovementIn", "title", title) is accepted
    body = {"title": title, "stage_kind": "production"}
    r = client.post("/api/orders/1/retro/improvements", json=body, headers=bearer(tracker))
    # No order 1: text the door accepts gets as far as the 404.
    assert r.status_code == (404 if accepted else 422), r.get_json()


@pytest.mark.parametrize(("mobile", "accepted"), [("13800000000", True), ("١٣٨٠٠٠٠٠٠٠٠", False)])
def test_a_mobile_number_is_ascii_digits_for_the_document_and_the_door(
    client, spec, session, mobile, accepted
):
    admin = make_user(session, Role.admin)
    session.commit()
    assert _document_says(spec, "UserCreate", "mobile", mobile) is accepted
    body = {"username": "wang", "roles": ["tracker"], "mobile": mobile}
    r = client.post("/api/users", json=body, headers=bearer(admin))
    assert r.status_code == (201 if accepted else 422), r.get_json()
