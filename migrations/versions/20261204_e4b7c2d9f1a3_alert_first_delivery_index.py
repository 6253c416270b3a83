"""alerts: partial index for the escalation rules' first delivery of an exception

Revision ID: e4b7c2d9f1a3
Revises: d8a3f1c6b2e9
Create Date: 2026-12-04 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4b7c2d9f1a3"
down_revision: str | None = "d8a3f1c6b2e9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["rule", "entity_type", "entity_id", "order_id", "level", "delivered_at"]


def upgrade() -> None:
    delivered_open = sa.text("acknowledged_at IS NULL AND delivered_at IS NOT NULL")
    op.create_index(
        "ix_alert_first_delivery",
        "alert",
        COLUMNS,
        postgresql_where=delivered_open,
        sqlite_where=delivered_open,
    )


def downgrade() -> None:
    op.drop_index("ix_alert_first_delivery", table_name="alert")
