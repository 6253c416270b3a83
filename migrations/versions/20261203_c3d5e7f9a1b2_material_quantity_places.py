"""material quantity places: whole units for count units (件/台/套...)

Revision ID: c3d5e7f9a1b2
Revises: b7e2c41d9a05
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d5e7f9a1b2"
down_revision: str | None = "b7e2c41d9a05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# models.materials.COUNT_UNITS as of this revision (lower case).
COUNT_UNITS = [
    "件",
    "台",
    "套",
    "个",
    "只",
    "根",
    "块",
    "张",
    "把",
    "支",
    "条",
    "组",
    "副",
    "对",
    "片",
    "箱",
    "盒",
    "包",
    "袋",
    "桶",
    "卷",
    "pcs",
    "pc",
    "set",
    "ea",
]


def upgrade() -> None:
    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("quantity_places", sa.Integer(), server_default="3", nullable=False)
        )
    # Count units take whole numbers, except materials that already hold a fractional quantity
    # (stored in whole thousandths): those keep three places until someone fixes the data.
    units = ", ".join(f"'{unit}'" for unit in COUNT_UNITS)
    fractional = """
        material.stock % 1000 <> 0
        OR EXISTS (SELECT 1 FROM bom_line b WHERE b.material_id = material.id
                   AND (b.needed % 1000 <> 0 OR b.received % 1000 <> 0 OR b.issued % 1000 <> 0))
        OR EXISTS (SELECT 1 FROM purchase_line p JOIN bom_line b ON b.id = p.bom_line_id
                   WHERE b.material_id = material.id
                   AND (p.quantity % 1000 <> 0 OR p.received % 1000 <> 0))
    """
    op.execute(
        f"UPDATE material SET quantity_places = 0 "
        f"WHERE lower(trim(unit)) IN ({units}) AND NOT ({fractional})"
    )


def downgrade() -> None:
    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.drop_column("quantity_places")
