"""chat_inbound: the sender index led by the sender, not the platform

ix_chat_inbound_sender was (platform, sender_id, received_at). On a table PostgreSQL had not
analysed yet (a new deployment, the first minutes of a benchmark) its planner chose that index
for the dedupe read (`platform = $1 AND message_id = $2`, whose own unique key has the same
leading column), with message_id as a filter; psycopg's prepared statement then kept the plan,
and each new message read every earlier one of its platform: PostgreSQL's CPU per DingTalk
message grew from 1.2 to 3.1 ms over 12,000 messages. Led by sender_id, the index serves the
sender's queries as before and no longer competes for the message key's.

Revision ID: a9d4e2c7b5f1
Revises: e5b1c8d2f4a7
Create Date: 2026-12-06 17:55:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a9d4e2c7b5f1"
down_revision: str | None = "e5b1c8d2f4a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_chat_inbound_sender"


def upgrade() -> None:
    op.drop_index(INDEX, table_name="chat_inbound")
    op.create_index(INDEX, "chat_inbound", ["sender_id", "platform", "received_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="chat_inbound")
    op.create_index(INDEX, "chat_inbound", ["platform", "sender_id", "received_at"])
