"""issue first due time and timeline due times; money in fen

Site issues keep the due time they were raised with (`first_due_at`, backfilled from `due_at`)
and each timeline step records the due time it set.

Revision ID: 4a7d2c9e1b35
Revises: 128b3a7e3297
Create Date: 2026-12-03 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4a7d2c9e1b35"
down_revision: str | None = "128b3a7e3297"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site_issue") as batch:
        batch.add_column(sa.Column("first_due_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE site_issue SET first_due_at = due_at")
    with op.batch_alter_table("site_issue") as batch:
        batch.alter_column(
            "first_due_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    with op.batch_alter_table("site_issue_event") as batch:
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("site_issue_event") as batch:
        batch.drop_column("due_at")
    with op.batch_alter_table("site_issue") as batch:
        batch.drop_column("first_due_at")
