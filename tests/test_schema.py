import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import models  # noqa: F401
from models.base import in_schema


# SQLite's reflection cannot read expression indexes (upper(code)), so Alembic skips them there
# with a warning; PostgreSQL's run compares them.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_build_exactly_the_schema_the_models_describe(db):
    with db.engine.connect() as conn:
        opts = {"compare_type": False, "include_object": in_schema(conn.dialect.name)}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_openapi_document_is_generated_from_the_code(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/api/orders" in doc["paths"] and "/api/orders/{order_id}/review" in doc["paths"]
    assert "OrderCreate" in doc["components"]["schemas"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json()["database"] == "up"


def test_unknown_api_routes_answer_in_the_envelope(client):
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    r = client.delete("/api/openapi.json")
    assert r.status_code == 405 and r.get_json()["error"]["message"] == "不支持该请求方法"


def test_sqlite_runs_in_wal_mode_with_foreign_keys_enforced(db):
    if not db.is_sqlite:
        return
    from sqlalchemy import text

    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
