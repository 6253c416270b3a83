"""A JSON body's booleans are booleans and its integers are no booleans (models/inputs.py
`Flag`, `Whole`): pydantic's lax mode read 0.0 as false and false as 0, so
`{"required": 0.0, "position": false}` made a checklist item and `"limit_minutes": true` a
one-minute limit (both found by the long schemathesis run, as schema-violating requests
accepted). Text stays readable as before ("true", "5"): query strings, forms and chat
commands are text.

The fields are read off the OpenAPI document, so a field added later is checked too.
"""

from __future__ import annotations

from models.enums import Role
from models.reminders import RiskMatrixSetting
from models.stages import ChecklistTemplate
from tests.factories import bearer, count, make_user
from tests.request_fields import body_fields, document, errors_at, models

KINDS = {"boolean", "integer"}


def _fields(app) -> list[tuple[str, str, str]]:
    return sorted(body_fields(document(app), KINDS, json_only=True))


def test_the_document_names_the_booleans_and_integers_this_test_checks(app):
    fields = _fields(app)
    # Counted on 2026-12-07: 81, of them 22 booleans. Fewer means the walk missed some.
    assert len(fields) >= 81 and sum(kind == "boolean" for *_, kind in fields) >= 22
    assert ("ChecklistTemplateIn", "position", "integer") in fields
    assert ("RiskLimitIn", "limit_minutes", "integer") in fields
    assert ("ScanIn", "confirm_over", "boolean") in fields


def test_no_request_body_reads_a_number_as_a_boolean_or_a_boolean_as_an_integer(app):
    found = models()
    schemas = document(app)["components"]["schemas"]
    for component, prop, kind in _fields(app):
        model = found[component]
        bad = {"boolean": [0, 1, 0.0, 1.0], "integer": [True, False]}[kind.removesuffix("[]")]
        refused = "bool_type" if kind.startswith("boolean") else "int_type"
        good = True if kind.startswith("boolean") else _least(schemas[component], prop)
        if kind.endswith("[]"):
            bad, good = [[value] for value in bad], [good]
        for value in bad:
            assert refused in errors_at(model, prop, value), (component, prop, value)
        assert errors_at(model, prop, good) == [], (component, prop, good)


def _least(schema: dict, prop: str) -> int:
    """The smallest integer the property takes (1 where the document sets no minimum)."""
    options = [schema["properties"][prop], *schema["properties"][prop].get("anyOf", [])]
    for option in options:
        option = option.get("items", option)
        if "minimum" in option:
            return max(1, int(option["minimum"]))
    return 1


def test_text_for_a_boolean_or_an_integer_is_read_as_before(app):
    """Forms, query strings and chat commands send text: that is not what changed."""
    found = models()
    assert errors_at(found["ChecklistTemplateIn"], "required", "false") == []
    assert errors_at(found["ChecklistTemplateIn"], "position", "5") == []
    template = found["ChecklistTemplateIn"].model_validate(
        {"stage_kind": "review", "title": "核对", "required": "false", "position": "5"}
    )
    assert (template.required, template.position) == (False, 5)


def test_a_checklist_item_with_a_number_for_required_and_false_for_position_is_refused(
    client, session
):
    admin = make_user(session, Role.admin)
    session.commit()
    before = count(session, ChecklistTemplate)
    body = {"position": False, "required": 0.0, "stage_kind": "review", "title": "0"}
    r = client.post("/api/checklist-templates", json=body, headers=bearer(admin))
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "validation_error"
    assert "required：应为 true 或 false" in error["message"]
    assert "position：应为整数" in error["message"]
    assert count(session, ChecklistTemplate) == before
    good = {**body, "position": 0, "required": False}
    r = client.post("/api/checklist-templates", json=good, headers=bearer(admin))
    assert r.status_code == 201


def test_a_risk_limit_of_true_minutes_is_refused_and_the_matrix_is_unchanged(client, session):
    admin = make_user(session, Role.admin)
    session.commit()
    body = {"levels": [{"level": "high", "limit_minutes": True}]}
    r = client.put("/api/risk-matrix", json=body, headers=bearer(admin))
    assert r.status_code == 422
    assert "limit_minutes：应为整数" in r.get_json()["error"]["message"]
    assert count(session, RiskMatrixSetting) == 0
