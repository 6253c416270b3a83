"""outbox: the digest index holds only the rows merged into a digest

Every outbox row was entered in ix_outbox_digest_id, although only a row merged into a digest
has a digest_id (the lookup `digest_id = :id` finds those). A sweep writes one outbox row per
warning and destination, hundreds of thousands at 1M open items: one index entry fewer each.

Revision ID: b5d1e8a2c7f4
Revises: f2a9c4e7b1d3
Create Date: 2026-12-06 11:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5d1e8a2c7f4"
down_revision: str | None = "f2a9c4e7b1d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_outbox_digest_id"


def upgrade() -> None:
    merged = sa.text("digest_id IS NOT NULL")
    op.drop_index(INDEX, table_name="outbox")
    op.create_index(INDEX, "outbox", ["digest_id"], postgresql_where=merged, sqlite_where=merged)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="outbox")
    op.create_index(INDEX, "outbox", ["digest_id"])
