"""issue first due time and timeline due times; money in fen

Site issues keep the due time they were raised with (`first_due_at`, backfilled from `due_at`)
and each timeline step records the due time it set.

Money is whole fen everywhere: purchase_line.unit_price was stored in ten-thousandths of a yuan
(rounded to the fen here) and shipment.insured_amount was a float (now BIGINT fen).

Revision ID: 4a7d2c9e1b35
Revises: a7c31e5f0b21
Create Date: 2026-12-03 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4a7d2c9e1b35"
down_revision: str | None = "a7c31e5f0b21"
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
    op.execute(
        "UPDATE purchase_line SET unit_price = CAST(ROUND(unit_price / 100.0) AS BIGINT) "
        "WHERE unit_price IS NOT NULL"
    )
    _replace_column("shipment", "insured_amount", sa.Float(), sa.BigInteger(), "ROUND({} * 100)")


def _replace_column(table: str, name: str, old_type, new_type, convert: str) -> None:
    """Swap a column for one of another type, converting the values on the way."""
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column(f"{name}_new", new_type, nullable=True))
    op.execute(
        f"UPDATE {table} SET {name}_new = CAST({convert.format(name)} AS "
        f"{'BIGINT' if isinstance(new_type, sa.BigInteger) else 'FLOAT'})"
    )
    with op.batch_alter_table(table) as batch:
        batch.drop_column(name)
    with op.batch_alter_table(table) as batch:
        batch.alter_column(f"{name}_new", new_column_name=name, existing_type=new_type)


def downgrade() -> None:
    _replace_column("shipment", "insured_amount", sa.BigInteger(), sa.Float(), "{} / 100.0")
    op.execute("UPDATE purchase_line SET unit_price = unit_price * 100")
    with op.batch_alter_table("site_issue_event") as batch:
        batch.drop_column("due_at")
    with op.batch_alter_table("site_issue") as batch:
        batch.drop_column("first_due_at")
