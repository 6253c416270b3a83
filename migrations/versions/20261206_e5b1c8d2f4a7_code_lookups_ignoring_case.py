"""orders, material: indexes on upper(code) for the lookups that ignore case

A chat command (`进度 gd-2026-0001`), a scanned order label and a material code typed in
another case are found by `upper(code) = :code`. The unique index on code cannot serve that
expression, so each such lookup read the whole table: every chat message naming an order, on
PostgreSQL and SQLite alike.

Revision ID: e5b1c8d2f4a7
Revises: d7f2b9e4a6c1
Create Date: 2026-12-06 17:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5b1c8d2f4a7"
down_revision: str | None = "d7f2b9e4a6c1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {"ix_orders_code_upper": "orders", "ix_material_code_upper": "material"}


def upgrade() -> None:
    for name, table in INDEXES.items():
        op.create_index(name, table, [sa.text("upper(code)")])


def downgrade() -> None:
    for name, table in INDEXES.items():
        op.drop_index(name, table_name=table)
