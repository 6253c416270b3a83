"""The API's documentation is collected when the document is first asked for, not at import
(app/api/blueprint.py): the routes validate from the start and the document is complete."""

from __future__ import annotations

from app.api import BLUEPRINTS
from app.api.blueprint import APIBlueprint


def test_every_api_blueprint_defers_its_documentation():
    assert BLUEPRINTS and all(isinstance(bp, APIBlueprint) for bp in BLUEPRINTS)


def test_the_document_holds_every_api_route(client):
    document = client.get("/api/openapi.json").get_json()
    documented = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    app = client.application
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api_"):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", f"{{{argument}}}")
            path = path.replace(f"<{argument}>", f"{{{argument}}}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((path, method))
    assert routed - documented == set()
    # the tags of the blueprints came along too
    assert {tag["name"] for tag in document["tags"]} >= {"认证", "验收"}


def test_a_second_app_gets_the_same_document(client, tmp_path):
    """Blueprints are shared by every app in a process; each app's document is whole."""
    from app import create_app
    from tests.factories import SECRET

    first = client.get("/api/openapi.json").get_json()
    other = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/other.db",
            "SECRET_KEY": SECRET,
            "INSTANCE_DIR": str(tmp_path),
            "UPLOAD_DIR": str(tmp_path),
        }
    )
    assert other is not client.application
    second = other.test_client().get("/api/openapi.json").get_json()
    assert first["paths"] == second["paths"] and first["tags"] == second["tags"]
