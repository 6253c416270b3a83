"""stage: who started it early (before its predecessor was done) and why

Revision ID: 5a7e1c2d9b40
Revises: c3d5e7f9a1b2
Create Date: 2026-12-03 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5a7e1c2d9b40"
down_revision: str | None = "c3d5e7f9a1b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stage") as batch_op:
        batch_op.add_column(sa.Column("started_early_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("started_early_reason", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            "stage_started_early_by_id_fkey", "users", ["started_early_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("stage") as batch_op:
        batch_op.drop_constraint("stage_started_early_by_id_fkey", type_="foreignkey")
        batch_op.drop_column("started_early_reason")
        batch_op.drop_column("started_early_by_id")
