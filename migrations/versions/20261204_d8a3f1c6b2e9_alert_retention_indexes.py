"""alerts: partial indexes for the sweep (open alerts per rule) and the retention prune
(closed alerts by closing time); which groups follow an order

Revision ID: d8a3f1c6b2e9
Revises: c5d1e8a4f7b2
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d8a3f1c6b2e9"
down_revision: str | None = "c5d1e8a4f7b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    open_only = sa.text("resolved_at IS NULL")
    closed_only = sa.text("resolved_at IS NOT NULL")
    op.create_index(
        "ix_alert_unresolved",
        "alert",
        ["rule", "entity_id"],
        postgresql_where=open_only,
        sqlite_where=open_only,
    )
    op.create_index(
        "ix_alert_resolved_at",
        "alert",
        ["resolved_at"],
        postgresql_where=closed_only,
        sqlite_where=closed_only,
    )
    op.create_index("ix_chat_group_order_order", "chat_group_order", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_chat_group_order_order", table_name="chat_group_order")
    op.drop_index("ix_alert_resolved_at", table_name="alert")
    op.drop_index("ix_alert_unresolved", table_name="alert")
