"""alerts: first delivery and resolution; outbox rows name their alert and person, and a
cancel reason

Revision ID: c5d1e8a4f7b2
Revises: 5a7e1c2d9b40
Create Date: 2026-12-03 14:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5d1e8a4f7b2"
down_revision: str | None = "5a7e1c2d9b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_reason", sa.String(length=200), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_alert_id"), ["alert_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_user_id_users"), "users", ["user_id"], ["id"], ondelete="SET NULL"
        )
    # Alerts raised before this revision were sent when raised: their clocks ran from then.
    op.execute("UPDATE alert SET delivered_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_user_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_alert_id"))
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("user_id")
        batch_op.drop_column("alert_id")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("resolved_reason")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("delivered_at")
