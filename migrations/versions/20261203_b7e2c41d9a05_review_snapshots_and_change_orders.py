"""review snapshots per sign-off and change orders

Revision ID: b7e2c41d9a05
Revises: 4a7d2c9e1b35
Create Date: 2026-12-03 13:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e2c41d9a05"
down_revision: str | None = "4a7d2c9e1b35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("change_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_order_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_change_order_status"), ["status"], unique=False)
    with op.batch_alter_table("signoff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snapshot", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signoff", schema=None) as batch_op:
        batch_op.drop_column("snapshot")
    with op.batch_alter_table("change_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_order_status"))
        batch_op.drop_index(batch_op.f("ix_change_order_order_id"))
    op.drop_table("change_order")
