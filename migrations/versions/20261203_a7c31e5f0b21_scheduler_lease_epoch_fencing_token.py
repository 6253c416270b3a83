"""scheduler lease: epoch (fencing token), one more each time another process takes the lead

Revision ID: a7c31e5f0b21
Revises: 128b3a7e3297
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c31e5f0b21"
down_revision: str | None = "128b3a7e3297"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduler_lease", schema=None) as batch_op:
        batch_op.add_column(sa.Column("epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("scheduler_lease", schema=None) as batch_op:
        batch_op.drop_column("epoch")
