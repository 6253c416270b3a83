"""Fixtures of the reliability tests: a PostgreSQL schema of their own, an order with BOM
lines, a warehouse user and twenty site engineers, and gunicorn serving it on 127.0.0.1.

These tests start real processes and run for seconds each; select them with
`pytest -m reliability`, leave them out with `-m "not reliability"`."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlmodel import func, select

from app.db import Database
from models.bom import BomLine
from models.enums import Role
from tests.conftest import IN_CI, PG_URL
from tests.dbsetup import drop_pg_schema, migrate, pg_url_for_worker
from tests.factories import (
    SECRET,
    add_to_order,
    bearer,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_user,
    make_warehouse,
)

REPORTERS = 20


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/reliability/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(scope="module")
def pg_db():
    """A migrated PostgreSQL schema for one test module, dropped afterwards."""
    schema = f"reliability_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = pg_url_for_worker(PG_URL, schema, required=IN_CI)
    db = Database(url)
    migrate(db)
    yield db
    db.dispose()
    drop_pg_schema(PG_URL, schema)


@dataclass
class World:
    db: Database
    order_id: int
    materials: list[str]
    scanner: dict
    reporters: list[dict] = field(default_factory=list)

    def received(self) -> Decimal:
        with self.db.session() as s:
            query = select(func.sum(BomLine.received)).where(BomLine.order_id == self.order_id)
            return s.exec(query).one() or Decimal(0)

    def scan(self, client_id: str, material: str, quantity: int = 1) -> dict:
        return {
            "client_id": client_id,
            "result": material,
            "scanType": "CODE_128",
            "action": "receive",
            "quantity": quantity,
            "order_id": self.order_id,
            "confirm_over": True,
        }


@pytest.fixture
def world(pg_db) -> World:
    """A procuring order with four BOM lines, a warehouse user and twenty site engineers."""
    with pg_db.session() as s:
        order = make_procuring_order(s)
        materials = []
        for i in range(4):
            material = make_material(s, code=f"REL-{order.id}-{i}")
            make_bom_line(s, order, material, needed=1_000_000)
            materials.append(material.code)
        scanner = make_warehouse(s, order)
        reporters = []
        for _ in range(REPORTERS):
            user = make_user(s, Role.site_engineer)
            add_to_order(s, order, user, Role.site_engineer)
            reporters.append(user)
        s.commit()
        return World(
            db=pg_db,
            order_id=order.id,
            materials=materials,
            scanner=bearer(scanner),
            reporters=[bearer(u) for u in reporters],
        )


@pytest.fixture
def secret() -> str:
    return SECRET
