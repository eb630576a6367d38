"""@mentions: the names each message's body mentions, and an index of them per person.

`messages.mentions` holds the mentioned usernames of each message (M's `mentions`);
`message_mentions` holds one row per mentioned person other than the author, for the
person's list of mentions and each room's count after their read position. Messages written
before this revision mention nobody: their bodies are not parsed again (docs/protocol.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A constant default: no table rewrite on PostgreSQL, and existing rows mention nobody.
    op.add_column("messages", sa.Column("mentions", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "message_mentions",
        sa.Column("message_id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("room_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_message_mentions_message_id_messages", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_message_mentions_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_message_mentions_room_id_rooms", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("message_id", "user_id", name="pk_message_mentions"),
    )
    op.create_index("ix_message_mentions_user_id_message_id", "message_mentions", ["user_id", "message_id"])
    op.create_index(
        "ix_message_mentions_user_id_room_id_message_id", "message_mentions", ["user_id", "room_id", "message_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_message_mentions_user_id_room_id_message_id", table_name="message_mentions")
    op.drop_index("ix_message_mentions_user_id_message_id", table_name="message_mentions")
    op.drop_table("message_mentions")
    op.execute("ALTER TABLE messages DROP COLUMN mentions")
