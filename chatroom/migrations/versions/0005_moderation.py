"""Roles, edits, deletes, mutes and the public moderation log.

Existing accounts become members and the oldest account (by creation time, then id) becomes
the admin, as the first account of a new server does. Messages gain `edited_at` and `deleted`;
earlier bodies of edited messages go to `message_versions`. As in 0002 and 0003, no table is
rebuilt: the new columns have constant defaults, which SQLite can add in place.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("users", sa.Column("role", sa.String(16), nullable=False, server_default="member"))
    op.execute("UPDATE users SET role = 'admin' WHERE id = (SELECT id FROM users ORDER BY created_at, id LIMIT 1)")
    op.add_column("messages", sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("messages", sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "message_versions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("message_id", BigId, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_message_versions_message_id_messages", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_message_versions"),
    )
    op.create_index("ix_message_versions_message_id", "message_versions", ["message_id"])

    op.create_table(
        "mutes",
        sa.Column("room_id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("moderator_id", BigId, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name="fk_mutes_room_id_rooms", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_mutes_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["moderator_id"], ["users.id"], name="fk_mutes_moderator_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("room_id", "user_id", name="pk_mutes"),
    )
    op.create_index("ix_mutes_user_id", "mutes", ["user_id"])

    op.create_table(
        "moderation_log",
        sa.Column("id", BigId, nullable=False),
        sa.Column("room_id", BigId, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("moderator_id", BigId, nullable=False),
        sa.Column("target_id", BigId, nullable=True),
        sa.Column("message_id", BigId, nullable=True),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name="fk_moderation_log_room_id_rooms", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["moderator_id"], ["users.id"], name="fk_moderation_log_moderator_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["users.id"], name="fk_moderation_log_target_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_moderation_log_message_id_messages", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_moderation_log"),
    )
    op.create_index("ix_moderation_log_room_id_id", "moderation_log", ["room_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_moderation_log_room_id_id", table_name="moderation_log")
    op.drop_table("moderation_log")
    op.drop_index("ix_mutes_user_id", table_name="mutes")
    op.drop_table("mutes")
    op.drop_index("ix_message_versions_message_id", table_name="message_versions")
    op.drop_table("message_versions")
    op.execute("ALTER TABLE messages DROP COLUMN deleted")
    op.execute("ALTER TABLE messages DROP COLUMN edited_at")
    op.execute("ALTER TABLE users DROP COLUMN role")
