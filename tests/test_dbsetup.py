"""The reset between tests finds every table a test changed and puts it back as migrated."""

from __future__ import annotations

from sqlalchemy import text

from models.base import utcnow
from tests.dbsetup import _BASELINES, _rows, reset_tables

SUPPLIER = {"name": "新供应商", "is_active": True, "created_at": utcnow(), "updated_at": utcnow()}


def _content(db) -> dict[str, list[dict]]:
    baseline = _BASELINES[db.url]
    with db.engine.connect() as conn:
        return {t.name: _rows(conn, t) for t in baseline.order}


def test_an_untouched_database_has_nothing_to_put_back(db):
    with db.engine.connect() as conn:
        assert _BASELINES[db.url].changed(conn) == set()


def test_an_edited_an_added_and_a_deleted_reference_row_and_a_new_row_are_all_found(db):
    baseline = _BASELINES[db.url]
    before = _content(db)
    tables = {t.name: t for t in baseline.order}
    added = {**before["operation_template"][0], "id": 900, "name": "新工序"}
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE department SET name = name || '改' WHERE id = 2"))
        conn.execute(text("DELETE FROM checklist_template WHERE id = 3"))
        conn.execute(tables["operation_template"].insert(), [added])
        conn.execute(tables["supplier"].insert(), [{**SUPPLIER}])
    with db.engine.connect() as conn:
        changed = baseline.changed(conn)
    assert {"department", "checklist_template", "operation_template", "supplier"} <= changed
    reset_tables(db)
    assert _content(db) == before
    with db.engine.connect() as conn:
        assert baseline.changed(conn) == set()


def test_a_reference_table_emptied_is_filled_again(db):
    before = _content(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM contingency_step"))
    with db.engine.connect() as conn:
        assert "contingency_step" in _BASELINES[db.url].changed(conn)
    reset_tables(db)
    assert _content(db) == before
