"""outbox: dedupe keys unique where set, and only those entered in the index

The unique constraint on outbox.dedupe_key entered every row, the many without a key (chat
replies, and now a sweep's warning messages) included. A sweep writes one outbox row per
warning and destination, hundreds of thousands at 1M open items; their alert id already names
them, and the alert's own unique key keeps two racing sweeps from writing them twice. The
constraint becomes a unique index over the rows that have a key.

Revision ID: d7f2b9e4a6c1
Revises: c3e8a1f5d9b7
Create Date: 2026-12-06 13:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7f2b9e4a6c1"
down_revision: str | None = "c3e8a1f5d9b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_outbox_dedupe_key"
# The constraint was created unnamed: PostgreSQL named it outbox_dedupe_key_key; SQLite's
# reflection gives it no name, so batch mode names it by this convention to drop it.
NAMES = {"uq": "%(table_name)s_%(column_0_name)s_key"}


def upgrade() -> None:
    keyed = sa.text("dedupe_key IS NOT NULL")
    with op.batch_alter_table("outbox", naming_convention=NAMES) as batch_op:
        batch_op.drop_constraint("outbox_dedupe_key_key", type_="unique")
        batch_op.create_index(
            INDEX, ["dedupe_key"], unique=True, postgresql_where=keyed, sqlite_where=keyed
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.create_unique_constraint("outbox_dedupe_key_key", ["dedupe_key"])
